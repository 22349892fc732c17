"""scikit-learn's common checks over every public estimator of sklearn-stellar.

Estimators are discovered with :func:`sklearn_stellar.utils.all_estimators`, so a
new public estimator is checked the day it is exported. Estimators that need
parameters to be usable on the checks' small random data (a wavelength grid the
size of the checks' X, a tiny network) get them from ``CHECK_PARAMS``; every
expected failure is listed with its reason in ``EXPECTED_FAILED_CHECKS``.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_stellar.utils import all_estimators

# Estimator name -> constructor parameters for the checks (tiny nets etc.).
# A callable value receives nothing and returns the parameter dict.
CHECK_PARAMS = {
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
}

# Estimator name -> {check name: reason}.
EXPECTED_FAILED_CHECKS = {}


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
