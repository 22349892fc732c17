"""Impossible values given to the small public helpers: a ValueError or TypeError
naming the argument and the value, never a silent NaN or a bare numpy message.

One table: (function, arguments, exception, message pattern).
"""

import numpy as np
import pytest

from sklearn_stellar.catalog import binary_catalog, count_above
from sklearn_stellar.datasets import main_sequence_relation
from sklearn_stellar.filters import (
    EWFilter,
    QColorFilter,
    classify_ir_colours,
    deredden_ir,
    q_index,
)
from sklearn_stellar.lines import bartlett_width, der_snr, find_halpha_peaks
from sklearn_stellar.metrics import (
    detection_rate,
    make_precision_at_prior_scorer,
    precision_at_prior,
    precision_at_prior_curve,
)
from sklearn_stellar.preprocessing import (
    air_to_vacuum,
    log_linear_grid,
    to_medium,
    vacuum_to_air,
)

NAN, INF = float("nan"), float("inf")
Y, S = [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3]
META = [{"designation": "A"}, {"designation": "B"}]
HALPHA_WAVE = np.linspace(6540.0, 6600.0, 200)
HALPHA_X = np.ones((2, 200))
PHOT = np.array([[10.0, 9.8, 9.7, 9.6]])  # J, H, Ks, W1

CASES = [
    # --- wavelength conversions: Angstrom, positive, finite
    (
        vacuum_to_air,
        ([4000.0, 0.0],),
        ValueError,
        r"`wavelength` must be positive.*index 1 holds 0\.0",
    ),
    (
        vacuum_to_air,
        ([-6563.0],),
        ValueError,
        r"`wavelength` must be positive.*-6563\.0",
    ),
    (
        vacuum_to_air,
        ([0.6563],),
        ValueError,
        r"`wavelength` must be in Angstrom.*0\.6563.*micrometres",
    ),
    (
        vacuum_to_air,
        ([6563.0, NAN],),
        ValueError,
        r"`wavelength` must be finite; index 1 holds nan",
    ),
    (vacuum_to_air, ("red",), TypeError, r"`wavelength` must be numeric"),
    (
        air_to_vacuum,
        (0.65,),
        ValueError,
        r"`wavelength` must be in Angstrom.*got 0\.65",
    ),
    (air_to_vacuum, ([INF],), ValueError, r"`wavelength` must be finite.*inf"),
    (
        to_medium,
        ([0.6], "air", "vacuum"),
        ValueError,
        r"`wavelength` must be in Angstrom",
    ),
    (to_medium, ([0.6], "air", "air"), ValueError, r"`wavelength` must be in Angstrom"),
    (log_linear_grid, (0.4, 0.9), ValueError, r"`start` must be in Angstrom.*0\.4"),
    (log_linear_grid, (NAN, 5000.0), ValueError, r"`start` must be finite"),
    (log_linear_grid, (4000.0, INF), ValueError, r"`stop` must be finite"),
    (log_linear_grid, (5000.0, 4000.0), ValueError, r"`start` < `stop`"),
    (log_linear_grid, (4000.0, 5000.0, NAN), ValueError, r"`dlog` must be finite"),
    (log_linear_grid, (4000.0, 5000.0, -1e-4), ValueError, r"`dlog` must be positive"),
    (log_linear_grid, ("a", 5000.0), TypeError, r"`start` must be numeric"),
    # --- metrics: thresholds finite (probabilities for the scorer), zero_division
    (
        lambda: precision_at_prior(Y, S, threshold=NAN),
        (),
        ValueError,
        r"`threshold` must be a finite number, got nan",
    ),
    (
        lambda: precision_at_prior(Y, S, threshold="high"),
        (),
        ValueError,
        r"`threshold` must be a finite number, got 'high'",
    ),
    (
        lambda: precision_at_prior(Y, S, zero_division="x"),
        (),
        ValueError,
        r"`zero_division` must be \"warn\", 0\.0 or 1\.0, got 'x'",
    ),
    (lambda: precision_at_prior(Y, S, ratio=NAN), (), ValueError, r"`ratio`.*got nan"),
    (
        lambda: precision_at_prior_curve(Y, S, ratio=-1.0),
        (),
        ValueError,
        r"`ratio`.*got -1\.0",
    ),
    (
        lambda: detection_rate(Y, S, threshold=NAN),
        (),
        ValueError,
        r"`threshold` must be a finite number",
    ),
    (
        lambda: detection_rate(Y, S, threshold=INF),
        (),
        ValueError,
        r"`threshold` must be a finite number, got inf",
    ),
    (
        lambda: make_precision_at_prior_scorer(threshold=NAN),
        (),
        ValueError,
        r"`threshold` must be a finite number",
    ),
    (
        lambda: make_precision_at_prior_scorer(threshold=-0.1),
        (),
        ValueError,
        r"`threshold` must be >= 0\.0 and <= 1\.0, got -0\.1",
    ),
    # --- catalog helpers: probabilities in [0, 1]
    (
        lambda: binary_catalog([0.1, 0.2], META, threshold=NAN),
        (),
        ValueError,
        r"`threshold` must be a finite number, got nan",
    ),
    (
        lambda: binary_catalog([0.1, 0.2], META, threshold="a"),
        (),
        ValueError,
        r"`threshold` must be a finite number, got 'a'",
    ),
    (
        lambda: binary_catalog([0.1, 0.2], META, threshold=1.5),
        (),
        ValueError,
        r"`threshold` must be >= 0\.0 and <= 1\.0, got 1\.5",
    ),
    (
        lambda: binary_catalog([0.1, NAN], META),
        (),
        ValueError,
        r"`p_b` must be probabilities.*rows \[1\]",
    ),
    (
        count_above,
        ([0.1, 0.2], [0.5, NAN]),
        ValueError,
        r"`thresholds` must be finite; index 1 holds nan",
    ),
    (
        count_above,
        ([0.1, 0.2], [-1.0]),
        ValueError,
        r"`thresholds` must be >= 0\.0 and <= 1\.0; index 0 holds -1\.0",
    ),
    (count_above, ([0.1, 0.2], ["a"]), TypeError, r"`thresholds` must be numeric"),
    # --- main-sequence relation: Teff in K, finite and positive
    (main_sequence_relation, (NAN,), ValueError, r"`teff` must be finite, got nan"),
    (
        main_sequence_relation,
        ([5000.0, -100.0],),
        ValueError,
        r"`teff` must be positive.*index 1 holds -100\.0",
    ),
    (main_sequence_relation, (0.0,), ValueError, r"`teff` must be positive.*got 0\.0"),
    (main_sequence_relation, ("hot",), TypeError, r"`teff` must be numeric"),
    # --- Q index: named bands, no inf, shapes that match
    (q_index, ("a", 1.0, 1.0), TypeError, r"`J` must be numeric"),
    (
        q_index,
        (1.0, [1.0, INF], 1.0),
        ValueError,
        r"`H` must be finite \(NaN allowed\); index 1 holds inf",
    ),
    (
        q_index,
        ([1.0, 2.0], [1.0, 2.0, 3.0], 1.0),
        ValueError,
        r"`J`, `H` and `Ks` must have the same length.*\(2,\), \(3,\)",
    ),
    (
        lambda: QColorFilter(threshold=NAN).fit(np.zeros((2, 3))),
        (),
        ValueError,
        r"'threshold' parameter",
    ),
    # --- EW cuts: a NaN bound would reject every star
    (
        lambda: EWFilter(wavelength=HALPHA_WAVE, cuts=[((6550, 6575), NAN, 10.0)]).fit(
            HALPHA_X
        ),
        (),
        ValueError,
        r"must not be NaN.*\(nan, 10\.0\)",
    ),
    # --- infrared colours: reddening and R_V
    (deredden_ir, (PHOT, NAN), ValueError, r"`ebv` must be finite, got nan"),
    (deredden_ir, (PHOT, -0.5), ValueError, r"`ebv` must be >= 0\.0; got -0\.5"),
    (deredden_ir, (PHOT, "a"), TypeError, r"`ebv` must be numeric"),
    (
        lambda: deredden_ir(PHOT, 0.1, r_v=NAN),
        (),
        ValueError,
        r"`r_v` must be a finite number",
    ),
    (
        lambda: deredden_ir(PHOT, 0.1, r_v=-3.1),
        (),
        ValueError,
        r"`r_v` must be positive, got -3\.1",
    ),
    (
        classify_ir_colours,
        (PHOT, [-1.0]),
        ValueError,
        r"`ebv` must be >= 0\.0; index 0 holds -1\.0",
    ),
    # --- signal-to-noise
    (
        bartlett_width,
        ([50.0, -5.0],),
        ValueError,
        r"`snr` must be >= 0\.0; index 1 holds -5\.0",
    ),
    (
        bartlett_width,
        ([INF],),
        ValueError,
        r"`snr` must be finite \(NaN allowed\); index 0 holds inf",
    ),
    (der_snr, ("abc",), TypeError, r"`X` must be a numeric array"),
    (der_snr, ([[1.0, INF, 1.0, 1.0, 1.0]],), ValueError, r"Input X contains infinity"),
    (
        lambda: find_halpha_peaks(HALPHA_X, HALPHA_WAVE, snr=[50.0, NAN]),
        (),
        ValueError,
        r"`snr` must be finite; index 1 holds nan",
    ),
    (
        lambda: find_halpha_peaks(HALPHA_X, HALPHA_WAVE, snr=[50.0, -1.0]),
        (),
        ValueError,
        r"`snr` must be a positive number",
    ),
]


def _id(case):
    func, args, _, pattern = case
    name = getattr(func, "__name__", "f")
    return f"{name}-{pattern[:25]}"


@pytest.mark.parametrize(
    ("func", "args", "error", "pattern"), CASES, ids=[_id(c) for c in CASES]
)
def test_impossible_value_is_refused_by_name(func, args, error, pattern):
    with pytest.raises(error, match=pattern):
        func(*args)


def test_valid_values_still_work():
    # The same helpers with sensible inputs: the checks refuse only the impossible.
    assert 6562.0 < float(vacuum_to_air(6564.61)) < 6563.0
    np.testing.assert_allclose(
        air_to_vacuum(vacuum_to_air([4000.0, 9000.0])), [4000.0, 9000.0], rtol=1e-8
    )
    assert np.isnan(q_index(NAN, 10.0, 9.0))  # a missing magnitude stays missing
    assert bartlett_width([NAN, 0.0, 200.0]).tolist() == [15, 15, 5]
    assert precision_at_prior(Y, S, threshold=-1.0, ratio=1.0) == 0.5  # decision scores
    assert count_above([0.1, 0.6], [0.0, 1.0]).tolist() == [2, 0]
    mass, lum = main_sequence_relation([3000.0, 9000.0])  # clipped, documented
    assert mass.shape == lum.shape == (2,) and np.all(mass > 0)
