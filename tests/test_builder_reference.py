"""The training-set builders give the same arrays, bit for bit, at a fixed seed.

The checksums were computed with the builders as they were before they were
broken into named steps (commit bee8dc8 for ``make_binary_spectra``; for
``make_be_spectra`` the same code with the one intended change, its emission
floor judged by the library's Table 1 smoothing). A refactor that changes any
random draw, its order, or any arithmetic changes them. They hash float
arrays, so a numpy or platform change that alters rounding also changes them:
then regenerate them from those commits and check the cause.
"""

import hashlib

import numpy as np
import pytest

from sklearn_stellar.datasets import make_be_spectra, make_binary_spectra


def _checksum(data):
    digest = hashlib.sha256()
    for key in sorted(data):
        value = data[key]
        if key == "metadata":
            for name in value.colnames:
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(np.asarray(value[name])).tobytes())
        elif isinstance(value, np.ndarray):
            digest.update(key.encode())
            digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    "params, expected",
    [
        (
            {"n_samples": 60, "random_state": 0},
            "e18a1f48c271c8d6af2e27aa7160a1ec749060b7f943ac794b1e84e902da3870",
        ),
        (
            {
                "n_samples": 300,
                "random_state": 1,
                "train_interpolation": 0.5,
                "train_line_strength": (0.8, 1.2),
                "wavelength_range": (4000.0, 6000.0),
            },
            "64397781d335c7636d77f670e18463e1961ea60c86b83b7558d351c852eb6b8d",
        ),
    ],
)
def test_binary_builder_matches_reference(params, expected):
    assert _checksum(make_binary_spectra(**params)) == expected


@pytest.mark.parametrize(
    "params, expected",
    [
        (
            {"n_samples": 60, "random_state": 0},
            "6fdfd02265bc1029a33b03eccc1b112dc68b9bd8cf1117d6a589a3732a84f3c2",
        ),
        (
            {
                "n_samples": 41,
                "random_state": 3,
                "blue_arm": True,
                "snr_range": (10.0, 40.0),
            },
            "391ef183977b9e5da318cd8909fe14d45d9288a724a3fdb076b982a5e32dd9f9",
        ),
    ],
)
def test_be_builder_matches_reference(params, expected):
    assert _checksum(make_be_spectra(**params)) == expected
