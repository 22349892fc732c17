"""One inverse-variance policy for every function taking ``ivar``.

0 marks a masked pixel; negative, NaN or inf raise a ValueError naming the row
and pixel; a row with no positive value warns (EmptySpectrumWarning, once per
call with the count of rows).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_stellar.exceptions import EmptySpectrumWarning
from sklearn_stellar.lines import equivalent_width
from sklearn_stellar.preprocessing import resample
from sklearn_stellar.utils import check_ivar

WAVE = np.linspace(6500.0, 6620.0, 121)
FLUX = 1.0 - 0.3 * np.exp(-0.5 * ((WAVE - 6563.0) / 3.0) ** 2)
X = np.vstack([FLUX, FLUX, FLUX])


def _resample(ivar):
    return resample(X, WAVE, WAVE[5:-5] + 0.5, ivar=ivar)


def _ew(ivar):
    return equivalent_width(X, WAVE, (6548.0, 6578.0), ivar=ivar)


def _check(ivar):
    return check_ivar(ivar, X.shape)


# Every function taking ivar (ContinuumNormalizer is checked in test_continuum).
FUNCTIONS = [_check, _resample, _ew]


@pytest.mark.parametrize("func", FUNCTIONS)
@pytest.mark.parametrize(
    ("value", "shown"), [(-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf")]
)
def test_bad_ivar_value_is_refused_naming_row_and_pixel(func, value, shown):
    ivar = np.ones(X.shape)
    ivar[2, 60] = value
    with pytest.raises(ValueError, match=rf"`ivar`.*row 2, pixel 60 holds {shown}"):
        func(ivar)


@pytest.mark.parametrize("func", FUNCTIONS)
def test_wrong_shape_is_refused(func):
    with pytest.raises(
        ValueError, match=r"`ivar` must have the same shape as (X|`flux`) \(3, 121\)"
    ):
        func(np.ones((3, 5)))


@pytest.mark.parametrize("func", FUNCTIONS)
def test_non_numeric_ivar_is_a_type_error(func):
    with pytest.raises(TypeError, match="`ivar` must be a numeric array"):
        func([["a"] * X.shape[1]] * 3)


def test_all_zero_row_warns_once_with_the_count_and_gives_nan():
    ivar = np.ones(X.shape)
    ivar[0] = 0.0
    ivar[2] = 0.0
    with pytest.warns(EmptySpectrumWarning, match=r"2 of 3 rows .*e\.g\. row 0") as rec:
        new_flux, new_ivar = _resample(ivar)
    assert len(rec) == 1
    assert np.isnan(new_flux[[0, 2]]).all() and np.isfinite(new_flux[1]).all()
    assert (new_ivar[[0, 2]] == 0).all()


def test_all_zero_row_in_equivalent_width_warns_and_is_nan():
    ivar = np.ones(X.shape)
    ivar[1] = 0.0
    with (
        pytest.warns(EmptySpectrumWarning, match="1 of 3 rows"),
        pytest.warns(RuntimeWarning, match="no valid pixel"),
    ):
        ew, err = _ew(ivar)
    assert np.isnan(ew[1]) and np.isnan(err[1])
    assert np.isfinite(ew[[0, 2]]).all()


def test_zero_pixels_are_masked_not_errors():
    ivar = np.ones(X.shape)
    ivar[:, 60] = 0.0
    new_flux, _ = resample(X, WAVE, WAVE, ivar=ivar)
    assert np.isnan(new_flux[:, 60]).all()
    assert np.isfinite(np.delete(new_flux, 60, axis=1)).all()


@given(
    arrays(np.float64, (4, 7), elements=st.floats(0.0, 1e6)),
    st.integers(0, 3),
    st.integers(0, 6),
    st.sampled_from([-1e-300, -5.0, np.nan, np.inf, -np.inf]),
)
def test_check_ivar_accepts_exactly_the_finite_non_negative(ivar, row, pixel, bad):
    # Property: valid arrays come back unchanged (no copy); one bad value anywhere
    # is refused and located.
    valid = ivar.copy()
    valid[:, 0] = 1.0  # no empty row, so no warning
    out = check_ivar(valid, valid.shape)
    assert out is valid
    valid[row, pixel] = bad
    with pytest.raises(ValueError, match=rf"row {row}, pixel {pixel} "):
        check_ivar(valid, valid.shape)


def test_one_dimensional_ivar_names_the_index():
    with pytest.raises(ValueError, match=r"index \(1,\) holds -2.0"):
        check_ivar([1.0, -2.0, 3.0], (3,))
    with pytest.warns(EmptySpectrumWarning, match="1 of 1 rows"):
        check_ivar([0.0, 0.0], (2,))


def test_warn_false_leaves_the_report_to_the_caller():
    ivar = np.ones(X.shape)
    ivar[1] = 0.0
    out = check_ivar(ivar, X.shape, warn=False)  # filterwarnings=error: silent
    assert out is ivar
    with pytest.raises(ValueError, match="row 1, pixel 3"):
        ivar[1, 3] = -1.0
        check_ivar(ivar, X.shape, warn=False)


# ContinuumNormalizer checks ivar block by block with the same policy.


@pytest.mark.parametrize(
    ("value", "shown"), [(-1.0, "-1.0"), (np.nan, "nan"), (np.inf, "inf")]
)
def test_continuum_normalizer_names_the_bad_ivar_row_and_pixel(value, shown):
    from sklearn_stellar.preprocessing import ContinuumNormalizer

    ivar = np.ones(X.shape)
    ivar[2, 60] = value
    norm = ContinuumNormalizer(wavelength=WAVE, sigma=20.0).fit(X)
    with pytest.raises(ValueError, match=rf"`ivar`.*row 2, pixel 60 holds {shown}"):
        norm.transform(X, ivar=ivar)


def test_continuum_normalizer_warns_empty_rows_with_the_library_class():
    # _UnusableReport.warn uses EmptySpectrumWarning (a UserWarning subclass)
    # for "no usable pixel", the class the readers and check_ivar use.
    from sklearn_stellar.preprocessing import ContinuumNormalizer

    ivar = np.ones(X.shape)
    ivar[0] = 0.0
    norm = ContinuumNormalizer(wavelength=WAVE, sigma=20.0).fit(X)
    with pytest.warns(EmptySpectrumWarning, match="no usable pixel") as rec:
        out = norm.transform(X, ivar=ivar)
    assert len(rec) == 1
    assert np.isnan(out[0]).all() and np.isfinite(out[1:]).all()


def test_continuum_normalizer_names_the_row_of_the_whole_array_in_blocks():
    # transform checks ivar block by block (bounded memory); with one-row
    # blocks the message must still name the row of the whole array.
    from sklearn_stellar.preprocessing import ContinuumNormalizer

    ivar = np.ones(X.shape)
    ivar[2, 7] = -2.0
    norm = ContinuumNormalizer(wavelength=WAVE, sigma=20.0).fit(X)
    with pytest.raises(ValueError, match=r"row 2, pixel 7 holds -2\.0"):
        norm._normalize(X, ivar, False, block_bytes=8 * X.shape[1])
