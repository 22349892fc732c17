"""Shared fixtures: small real-data inputs read once per session."""

import os

import numpy as np
import pytest

# Tests train tiny networks; keep torch from oversubscribing CI's 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def data_home():
    from sklearn_stellar.datasets import get_data_home

    return get_data_home()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
