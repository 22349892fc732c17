"""Shared fixtures: small real-data inputs read once per session."""

import os
import re

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


@pytest.fixture(scope="session")
def miles_teff(data_home):
    """MILES number -> Teff, parsed from ``paramsMILES_v9.1.txt`` itself (on
    purpose not the library's reader: its Teff differs from MILES_params.db for
    some stars, and the tests pick stars by the published table)."""
    teff = {}
    text = (data_home / "libraries" / "miles" / "paramsMILES_v9.1.txt").read_text()
    for line in text.splitlines()[3:]:
        match = re.match(r"^\S+\s+(\d{4})\s", line)
        temps = [t for t in line[36:].split() if re.fullmatch(r"\d{4,5}", t)]
        if match and temps:
            teff[int(match.group(1))] = float(temps[0])
    return teff
