"""Tests for sklearn_stellar.plotting: the figures draw the data they are given."""

import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score, roc_curve  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_stellar.catalog import binary_catalog, count_above  # noqa: E402
from sklearn_stellar.datasets import make_be_spectra, make_binary_spectra  # noqa: E402
from sklearn_stellar.filters import FilterRejectionWarning  # noqa: E402
from sklearn_stellar.metrics import precision_at_prior_curve  # noqa: E402
from sklearn_stellar.pipelines import make_be_pipeline  # noqa: E402
from sklearn_stellar.plotting import (  # noqa: E402
    BinaryProbabilityDisplay,
    HalphaGalleryDisplay,
    RocDisplay,
    ThresholdCountDisplay,
)
from sklearn_stellar.preprocessing import HalphaRasterizer  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def scores(rng):
    """Labels and p_b of a decent classifier: binaries high, singles low."""
    y = np.r_[np.ones(60, dtype=int), np.zeros(120, dtype=int)]
    p_b = np.clip(np.r_[rng.beta(5, 2, 60), rng.beta(1, 6, 120)], 0.0, 1.0)
    return y, p_b


@pytest.fixture(scope="module")
def binaries():
    """Real-library binary and single spectra, and a fitted linear classifier."""
    d = make_binary_spectra(n_samples=80, binary_fraction=0.5, random_state=0)
    train = d.split == "train"
    clf = make_pipeline(LogisticRegression(C=0.1, max_iter=2000))
    clf.fit(d.data[train] / d.data[train].mean(axis=1, keepdims=True), d.target[train])
    X = d.data[~train] / d.data[~train].mean(axis=1, keepdims=True)
    return clf, X, d.target[~train]


# ---------------------------------------------------------------- ROC
def test_roc_draws_sklearns_curve(scores):
    y, p_b = scores
    disp = RocDisplay.from_predictions(y, p_b, name="CNN")
    fpr, tpr, _ = roc_curve(y, p_b)
    np.testing.assert_array_equal(disp.line_.get_xdata(), fpr)
    np.testing.assert_array_equal(disp.line_.get_ydata(), tpr)
    assert disp.roc_auc == pytest.approx(roc_auc_score(y, p_b))
    np.testing.assert_array_equal(disp.chance_level_.get_xydata(), [[0, 0], [1, 1]])
    assert disp.chance_level_.get_linestyle() == "--"
    assert disp.ax_.get_legend().get_texts()[0].get_text() == (
        f"CNN (AUC = {disp.roc_auc:.3f})"
    )
    assert disp.figure_ is disp.ax_.figure


def test_roc_from_estimator_uses_its_probabilities_and_classes(binaries):
    clf, X, y = binaries
    disp = RocDisplay.from_estimator(clf, X, y, chance_level=False)
    fpr, tpr, _ = roc_curve(y, clf.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(disp.line_.get_xdata(), fpr)
    np.testing.assert_array_equal(disp.line_.get_ydata(), tpr)
    assert disp.chance_level_ is None and disp.name == "Pipeline"
    assert disp.pos_label == 1
    # String labels: the positive class is named, and the curve flips with it.
    names = np.where(y == 1, "binary", "single")
    p = clf.predict_proba(X)[:, 1]
    flipped = RocDisplay.from_predictions(names, 1 - p, pos_label="single")
    np.testing.assert_allclose(flipped.roc_auc, disp.roc_auc)


def test_roc_reuses_given_axes_and_plot_returns_self(scores):
    y, p_b = scores
    fig, ax = plt.subplots()
    first = RocDisplay.from_predictions(y, p_b, ax=ax, name="a")
    second = RocDisplay.from_predictions(y, 1 - p_b, ax=ax, name="b")
    assert first.ax_ is second.ax_ is ax and first.figure_ is fig
    assert len(ax.get_lines()) == 4  # two curves, two diagonals
    again = first.plot(ax=ax, chance_level=False)
    assert again is first and len(ax.get_lines()) == 5


# ---------------------------------------------------- p_b distributions
@pytest.mark.parametrize("density", [True, False])
def test_probability_histograms_are_the_scores_by_class(scores, density):
    y, p_b = scores
    disp = BinaryProbabilityDisplay.from_predictions(y, p_b, bins=10, density=density)
    edges = np.linspace(0.0, 1.0, 11)
    for patch, cls in zip(disp.hist_, (1, 0), strict=True):
        values, drawn_edges, _ = patch.get_data()
        expected, _ = np.histogram(p_b[y == cls], edges, density=density)
        np.testing.assert_allclose(drawn_edges, edges)
        np.testing.assert_allclose(values, expected)
    assert disp.hist_[0].get_fill() and not disp.hist_[1].get_fill()
    assert disp.ax_.get_ylabel() == ("probability density" if density else "number")


@pytest.mark.parametrize("ratio", [0.5, 1.0, 0.1])
def test_probability_precision_curve_is_the_librarys(scores, ratio):
    y, p_b = scores
    disp = BinaryProbabilityDisplay.from_predictions(y, p_b, ratio=ratio)
    precision, _, _, thresholds = precision_at_prior_curve(y, p_b, ratio=ratio)
    line = disp.precision_line_
    np.testing.assert_array_equal(line.get_xdata(), thresholds)
    np.testing.assert_array_equal(line.get_ydata(), precision)
    assert line.axes is disp.ax_precision_ is not disp.ax_
    assert disp.ax_precision_.get_shared_x_axes().joined(disp.ax_, line.axes)


def test_probability_default_ratio_is_the_papers_one_to_two(scores):
    y, p_b = scores
    disp = BinaryProbabilityDisplay.from_predictions(y, p_b)
    assert disp.ratio == 0.5
    assert disp.precision_line_.get_label() == "precision at 1:2"
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert labels == ["binary", "single", "precision at 1:2"]


def test_probability_from_estimator_and_ax_reuse(binaries):
    clf, X, y = binaries
    fig, ax = plt.subplots()
    disp = BinaryProbabilityDisplay.from_estimator(
        clf, X, y, bins=[0.0, 0.5, 1.0], density=False, ax=ax
    )
    p = clf.predict_proba(X)[:, 1]
    assert disp.ax_ is ax and disp.figure_ is fig
    np.testing.assert_array_equal(
        disp.hist_[0].get_data().values,
        [np.sum(p[y == 1] < 0.5), np.sum(p[y == 1] >= 0.5)],
    )
    assert disp.hist_[0].get_data().values.sum() == np.sum(y == 1)
    assert disp.hist_[1].get_data().values.sum() == np.sum(y == 0)


def test_probability_scores_outside_0_1_use_their_range():
    disp = BinaryProbabilityDisplay.from_predictions(
        [0, 0, 1, 1], [-2.0, -1.0, 1.0, 3.0], bins=5, density=False
    )
    np.testing.assert_allclose(disp.edges, np.linspace(-2.0, 3.0, 6))


# ---------------------------------------------------- counts above threshold
def test_threshold_counts_are_count_above(scores):
    _, p_b = scores
    disp = ThresholdCountDisplay.from_predictions(p_b, bins=10)
    thresholds = np.linspace(0.0, 1.0, 101)
    line = disp.lines_["spectra"]
    np.testing.assert_array_equal(line.get_xdata(), thresholds)
    np.testing.assert_array_equal(line.get_ydata(), count_above(p_b, thresholds))
    assert line.get_linestyle() == "--" and disp.ax_.get_yscale() == "log"
    values, edges, _ = disp.hist_["spectra"].get_data()
    np.testing.assert_array_equal(values, np.histogram(p_b, np.linspace(0, 1, 11))[0])


def test_threshold_counts_add_stars_from_metadata():
    p_b = [0.2, 0.7, 0.4, 0.95, 0.1]
    # Star A's designation changes between its epochs (A, A2): grouped by
    # position it is still one star.
    meta = [
        {"designation": d, "ra": ra, "dec": 5.0}
        for d, ra in zip(("A", "A2", "B", "C", "C"), (1.0, 1.0001, 2.0, 3.0, 3.0),
                         strict=True)
    ]  # fmt: skip
    disp = ThresholdCountDisplay.from_predictions(
        p_b, metadata=meta, thresholds=[0.0, 0.5, 0.9], bins=None, log=False
    )
    stars = binary_catalog(p_b, meta)["p_b"]
    assert list(disp.lines_) == ["spectra", "stars"] and disp.hist_ == {}
    np.testing.assert_array_equal(disp.lines_["spectra"].get_ydata(), [5, 2, 1])
    np.testing.assert_array_equal(disp.lines_["stars"].get_ydata(), [3, 2, 1])
    np.testing.assert_array_equal(
        disp.lines_["stars"].get_ydata(), count_above(stars, [0.0, 0.5, 0.9])
    )
    assert disp.ax_.get_yscale() == "linear"
    by_name = ThresholdCountDisplay.from_predictions(
        p_b, metadata=meta, star_key="designation", thresholds=[0.0], bins=None
    )
    np.testing.assert_array_equal(by_name.lines_["stars"].get_ydata(), [4])


def test_threshold_counts_from_estimator_and_mapping(binaries):
    clf, X, _ = binaries
    fig, ax = plt.subplots()
    disp = ThresholdCountDisplay.from_estimator(clf, X, ax=ax, thresholds=[0.5])
    p = clf.predict_proba(X)[:, 1]
    assert disp.ax_ is ax
    assert disp.lines_["spectra"].get_ydata().tolist() == [int(np.sum(p > 0.5))]
    named = ThresholdCountDisplay.from_predictions({"a": p, "b": p[:3]}, bins=None)
    assert named.lines_["b"].get_ydata()[0] == 3


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=10),
)
def test_threshold_count_curve_never_increases(p_b, thresholds):
    thresholds = np.sort(thresholds)
    fig, ax = plt.subplots()
    try:
        disp = ThresholdCountDisplay.from_predictions(
            p_b, thresholds=thresholds, bins=None, ax=ax
        )
        counts = disp.lines_["spectra"].get_ydata()
        expected_scale = "log" if counts.max() > 0 else "linear"
        assert ax.get_yscale() == expected_scale
    finally:
        plt.close(fig)
    assert np.all(np.diff(counts) <= 0) and counts[0] <= len(p_b)


# ---------------------------------------------------- H-alpha gallery
def test_gallery_from_images_draws_each_row_with_its_probability(rng):
    images = rng.integers(0, 256, size=(5, 8 * 8), dtype=np.uint8)
    proba = [0.99, 0.51, 0.5, 0.02, 0.0]
    disp = HalphaGalleryDisplay.from_images(
        images, proba, y_true=["Be", "Be", "non-Be", "non-Be", "Be"], n_cols=3
    )
    assert len(disp.axes_) == 5 and len(disp.images_) == 5
    assert len(disp.figure_.axes) == 6  # a 2 x 3 grid, the last one blank
    assert not disp.figure_.axes[5].get_images()
    for k, (ax, im) in enumerate(zip(disp.axes_, disp.images_, strict=True)):
        np.testing.assert_array_equal(im.get_array(), images[k].reshape(8, 8))
        assert im.axes is ax
    titles = [ax.get_title() for ax in disp.axes_]
    assert titles[0] == "P(Be) = 0.99\ntrue: Be"
    assert titles[3] == "P(Be) = 0.02\ntrue: non-Be"
    assert disp.images_[0].get_clim() == (0, 255)


def test_gallery_reuses_given_axes_and_shapes():
    images = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 12) / 24
    fig, axes = plt.subplots(2, 2)
    disp = HalphaGalleryDisplay.from_images(
        images, [0.3, 0.7], image_shape=(3, 4), ax=axes, proba_name="p"
    )
    assert disp.figure_ is fig and list(disp.axes_) == list(axes.ravel()[:2])
    assert disp.images_[1].get_array().shape == (3, 4)
    assert [ax.get_title() for ax in disp.axes_] == ["p = 0.30", "p = 0.70"]


@pytest.fixture(scope="module")
def be_spectra():
    return make_be_spectra(n_samples=40, random_state=0)


def test_gallery_from_estimator_shows_the_pipelines_own_images(be_spectra):
    d = be_spectra
    raster = HalphaRasterizer(wavelength=d.wavelength, size=16)
    clf = make_pipeline(raster, LogisticRegression(max_iter=500)).fit(d.data, d.target)
    disp = HalphaGalleryDisplay.from_estimator(clf, d.data, d.target, max_images=7)
    expected = clf[0].transform(d.data[:7]).reshape(7, 16, 16)
    assert len(disp.images_) == 7
    for k in range(7):
        np.testing.assert_array_equal(disp.images_[k].get_array(), expected[k])
    proba = clf.predict_proba(d.data[:7])[:, 1]
    titles = [ax.get_title() for ax in disp.axes_]
    assert titles == [
        f"P(Be) = {p:.2f}\ntrue: {t}" for p, t in zip(proba, d.target[:7], strict=True)
    ]


def test_gallery_from_the_be_recipe_goes_through_filters_and_normaliser(be_spectra):
    d = be_spectra
    clf = make_be_pipeline(d.wavelength, image_size=16)
    clf.set_params(estimator__resnet=LogisticRegression(max_iter=500))
    with warnings.catch_warnings():
        # Rows the EW cut rejects warn at predict time; the counts are not
        # what this test checks (their probabilities are compared below).
        warnings.simplefilter("ignore", FilterRejectionWarning)
        clf.fit(d.data, d.target)
        disp = HalphaGalleryDisplay.from_estimator(clf, d.data, max_images=5)
        proba = clf.predict_proba(d.data[:5])[:, 1]
    inner = clf.estimator_
    normalised = inner.named_steps["norm"].transform(d.data[:5])
    expected = inner.named_steps["raster"].transform(normalised)
    for k in range(5):
        np.testing.assert_array_equal(
            disp.images_[k].get_array(), expected[k].reshape(16, 16)
        )
    assert [ax.get_title() for ax in disp.axes_] == [f"P(Be) = {p:.2f}" for p in proba]


def test_gallery_needs_a_rasterizer_step(binaries):
    clf, X, _ = binaries
    with pytest.raises(TypeError, match="HalphaRasterizer step"):
        HalphaGalleryDisplay.from_estimator(clf, X)


# ---------------------------------------------------- bad input
@pytest.mark.parametrize(
    "display", [RocDisplay, BinaryProbabilityDisplay], ids=["roc", "proba"]
)
def test_bad_labels_and_scores_are_named(display):
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        display.from_predictions([0, 1, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match="exactly two classes, got 1"):
        display.from_predictions([1, 1, 1], [0.2, 0.8, 0.5])
    with pytest.raises(ValueError, match="`y_score` must be finite"):
        display.from_predictions([0, 1], [0.2, np.nan])
    with pytest.raises(ValueError, match="`pos_label` must be given"):
        display.from_predictions(["a", "b"], [0.2, 0.8])
    with pytest.raises(ValueError, match="`pos_label`='c' is not one of"):
        display.from_predictions(["a", "b"], [0.2, 0.8], pos_label="c")


def test_bad_inputs_of_the_other_displays():
    with pytest.raises(ValueError, match="`ratio`"):
        BinaryProbabilityDisplay.from_predictions([0, 1], [0.2, 0.8], ratio=0)
    with pytest.raises(ValueError, match="`bins` must be a positive integer"):
        BinaryProbabilityDisplay.from_predictions([0, 1], [0.2, 0.8], bins=0)
    with pytest.raises(ValueError, match="`p_b` must be probabilities"):
        ThresholdCountDisplay.from_predictions([0.2, 1.5])
    with pytest.raises(ValueError, match="`thresholds`"):
        ThresholdCountDisplay.from_predictions([0.2], thresholds=[2.0])
    with pytest.raises(ValueError, match="`p_b` has 2 values but `metadata`"):
        ThresholdCountDisplay.from_predictions([0.2, 0.3], metadata=[{}])
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        HalphaGalleryDisplay.from_images(np.zeros((2, 4)), [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="not a square image"):
        HalphaGalleryDisplay.from_images(np.zeros((2, 5)), [0.1, 0.2])
    with pytest.raises(ValueError, match="at least 2 matplotlib Axes"):
        _, ax = plt.subplots()
        HalphaGalleryDisplay.from_images(np.zeros((2, 4)), [0.1, 0.2], ax=ax)
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes"):
        RocDisplay.from_predictions([0, 1], [0.2, 0.8], ax="left")


@pytest.mark.parametrize("bad", ["abc", 1 + 2j, object(), ["0.2", "x"]])
def test_values_that_are_not_numbers_are_named(bad):
    # numpy's "could not convert string to float" / "float() argument must
    # be ..." named no argument.
    cases = {
        "y_score": lambda: RocDisplay.from_predictions([0, 1], bad),
        "bins": lambda: BinaryProbabilityDisplay.from_predictions(
            [0, 1], [0.2, 0.8], bins=bad
        ),
        "p_b": lambda: ThresholdCountDisplay.from_predictions(bad),
        "thresholds": lambda: ThresholdCountDisplay.from_predictions(
            [0.2], thresholds=bad
        ),
        "proba": lambda: HalphaGalleryDisplay.from_images(np.zeros((2, 4)), bad),
    }
    for name, call in cases.items():
        with pytest.raises(TypeError, match=f"`{name}` must be numeric"):
            call()
    plt.close("all")


@pytest.mark.parametrize("dtype", [complex, str, object])
def test_images_that_are_not_pixel_values_are_named(dtype):
    images = np.full((2, 4), 1 if dtype is complex else "a", dtype=dtype)
    with pytest.raises(TypeError, match="`images` must be numeric"):
        HalphaGalleryDisplay.from_images(images, [0.1, 0.2])
    # Numeric objects are pixel values (converted), as in the rest of the library.
    disp = HalphaGalleryDisplay.from_images(np.zeros((2, 4), dtype=object), [0.1, 0.2])
    assert disp.images_[0].get_array().shape == (2, 2)
    plt.close("all")


# ---------------------------------------------------- matplotlib optional
def test_import_works_without_matplotlib_and_plotting_names_the_extra():
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "import sklearn_stellar.plotting as P\n"
        "disp = P.RocDisplay(fpr=[0, 1], tpr=[0, 1])\n"
        "try:\n"
        "    disp.plot()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install sklearn-stellar[plotting]" in out.stdout
    assert "RocDisplay.plot needs matplotlib" in out.stdout
