"""scikit-learn's common checks over every public estimator of sklearn-stellar.

Estimators are discovered with :func:`sklearn_stellar.utils.all_estimators`, so a
new public estimator is checked the day it is exported. Estimators that need
parameters to be usable on the checks' small random data (a wavelength grid the
size of the checks' X, a tiny network) get them from ``CHECK_PARAMS``; every
expected failure is listed with its reason in ``EXPECTED_FAILED_CHECKS``.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_stellar.utils import all_estimators

# Estimator name -> constructor parameters for the checks (tiny nets etc.).
# A callable value receives nothing and returns the parameter dict.
CHECK_PARAMS = {
    # Helper C (lines/filters): a 3-pixel grid matches the 3-column X most checks
    # use; FilteredClassifier without filters exercises the wrapper itself.
    "EWTransformer": {
        "wavelength": [6550.0, 6560.0, 6570.0],
        "windows": [(6552.0, 6568.0)],
        "medium": "air",
    },
    # The checks' X is random numbers, not spectra: without a normalizer
    # EWFilter refuses flux whose level is evidently not the continuum's (1),
    # so an identity normalizer states that X is taken as it is.
    "EWFilter": lambda: {
        "wavelength": [6550.0, 6560.0, 6570.0],
        "cuts": [((6552.0, 6568.0), None, 10.0)],
        "medium": "air",
        "normalizer": FunctionTransformer(),
    },
    # With no filter no row is ever rejected, so FilterRejectionWarning (an
    # error under pytest) never fires in the checks: the checks test the
    # wrapper's API, tests/test_filters.py its rejections and warning.
    "FilteredClassifier": lambda: {
        "filters": [],
        "estimator": LogisticRegression(),
    },
    # Tiny network, fast learning rate, no early-stopping split (the checks'
    # data sets are too small for one); fixed seed for the idempotence checks.
    "BinarySpectrumCNN": {
        "n_filters": 4,
        "kernel_size": 3,
        "hidden_units": 16,
        "dropout": 0.1,
        "lr": 1e-2,
        "max_epochs": 30,
        "batch_size": 32,
        "validation_fraction": None,
        "random_state": 0,
    },
    # Helper E: a 3-pixel air grid inside the H-alpha window, tiny images; a
    # width-2 ResNet-18 (channels 2-16) reading each row of X as a 1 x n image;
    # channels_last=False: with it 12 epochs fall short in check_classifiers_train.
    "HalphaRasterizer": {
        "wavelength": [6550.0, 6560.0, 6570.0],
        "medium": "air",
        "size": 4,
    },
    "BeResNet18": {
        "width": 2,
        "max_epochs": 12,
        "batch_size": 32,
        "lr": 3e-2,
        "augment": False,
        "channels_last": False,
        "random_state": 0,
    },
}

# Estimator name -> {check name: reason}.
# Helper C: estimators bound to a fixed column layout (a wavelength grid, or
# the J, H, Ks columns) reject the checks' X with another number of columns.
_FIXED_COLUMNS = (
    "X must have exactly one column per pixel of `wavelength` (or the 3 J, H, Ks "
    "columns); this check uses X with another number of columns"
)
_FIXED_COLUMN_CHECKS = (
    "check_estimators_overwrite_params",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_fit2d_1sample",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
)
EXPECTED_FAILED_CHECKS = {
    "EWTransformer": dict.fromkeys(
        _FIXED_COLUMN_CHECKS + ("check_fit2d_1feature",), _FIXED_COLUMNS
    ),
    "EWFilter": dict.fromkeys(
        _FIXED_COLUMN_CHECKS + ("check_fit2d_1feature",), _FIXED_COLUMNS
    ),
    "QColorFilter": dict.fromkeys(_FIXED_COLUMN_CHECKS, _FIXED_COLUMNS),
    # Helper E: the rasterizer draws a fixed wavelength grid (see _FIXED_COLUMNS);
    # ResNet convolutions (oneDNN) use batch-size-dependent float32 algorithms.
    "HalphaRasterizer": dict.fromkeys(
        _FIXED_COLUMN_CHECKS + ("check_fit2d_1feature",),
        "X must have exactly one column per pixel of `wavelength`; this check "
        "uses X with another number of columns",
    ),
    "BeResNet18": {
        "check_methods_subset_invariance": "oneDNN picks batch-size-dependent "
        "float32 convolution algorithms: a row's probabilities differ by ~1e-4 "
        "between batch compositions, above the check's 1e-7 tolerance",
    },
    # The guard's DER_SNR column needs >= 5 pixels per row; these checks use X
    # with 2-4 columns, so the S/N is NaN with der_snr's RuntimeWarning (an
    # error under filterwarnings=error): announced, not silent.
    "DomainGuard": dict.fromkeys(
        (
            "check_f_contiguous_array_estimator",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit_idempotent",
        ),
        "DER_SNR needs >= 5 pixels per row: the check's X has fewer columns, the "
        "S/N column is NaN with a RuntimeWarning",
    ),
    "FilteredClassifier": {
        "check_classifiers_classes": "string labels need an explicit "
        "negative_label (the class given to rejected rows); by design None is "
        "refused for them",
    },
}


def _instances():
    for name, cls in all_estimators():
        params = CHECK_PARAMS.get(name, {})
        yield cls(**(params() if callable(params) else params))


def _expected_failed(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_every_public_estimator_is_checked():
    names = {name for name, _ in all_estimators()}
    assert names, "no public estimator discovered"


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
