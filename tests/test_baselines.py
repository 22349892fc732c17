"""two_template_test: the single- vs two-template fit baseline."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_stellar.baselines import two_template_test


def _templates(n_pix=400):
    x = np.arange(n_pix, dtype=float)
    centres = (60, 140, 220, 300)
    return np.array([1 - 0.4 * np.exp(-0.5 * ((x - c) / 3.0) ** 2) for c in centres])


def test_recovers_a_constructed_pair():
    T = _templates()
    rng = np.random.default_rng(0)
    # template 0 plus template 2 shifted by +2 pixels, 30 % of the light
    shifted = np.roll(T[2], 2)
    y = 0.7 * T[0] + 0.3 * shifted + rng.normal(0, 0.005, T.shape[1])
    single = T[1] + rng.normal(0, 0.005, T.shape[1])
    res = two_template_test(np.vstack([y, single]), T, max_shift=3)
    assert res.delta_bic[0] > 100 and res.delta_bic[1] < 10
    assert res.primary[0] == 0 and res.secondary[0] == 2 and res.shift[0] == 2
    assert abs(res.light_fraction[0] - 0.3) < 0.05
    assert res.secondary[1] == -1 or res.delta_bic[1] < 10
    assert np.all(res.rss2 <= res.rss1 + 1e-12)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.integers(0, 3), st.floats(0.5, 2.0), st.integers(0, 2**16))
def test_a_single_template_is_not_called_binary(k, scale, seed):
    T = _templates()
    rng = np.random.default_rng(seed)
    y = scale * T[k] + rng.normal(0, 0.01, T.shape[1])
    res = two_template_test(y[None, :], T)
    assert res.delta_bic[0] < 10


def test_bad_input_names_the_argument():
    T = _templates()
    with pytest.raises(ValueError, match="same number of pixels"):
        two_template_test(T[:, :10], T)
    with pytest.raises(ValueError, match="max_shift"):
        two_template_test(T, T, max_shift=-1)
    with pytest.raises(ValueError, match="finite"):
        two_template_test(np.full_like(T, np.nan), T)
    with pytest.raises(ValueError, match="templates"):
        two_template_test(T, T[:1])
