"""
The seed papers' figures from the library's recipes
===================================================

Trains the two recipes briefly on the bundled training sets and draws, with
:mod:`sklearn_stellar.plotting`, the figures that seed 000 (binary stars) and
seed 004 (classical Be stars) use to judge their classifiers: the ROC curve
(seed 000, Fig. 2), the ``p_b`` distributions of binaries and single stars
with the precision at a 1:2 prior (Fig. 3), the number of spectra above a
threshold (Fig. 6) and a gallery of H-alpha images with their ``P(Be)``
(seed 004, Figs. 4-6). The networks train for a few epochs only, so the
figures show the method, not the papers' numbers.
"""

# %%
# Binary stars (seed 000)
# -----------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_stellar.datasets import make_be_spectra, make_binary_spectra
from sklearn_stellar.pipelines import make_be_pipeline, make_binary_pipeline
from sklearn_stellar.plotting import (
    BinaryProbabilityDisplay,
    HalphaGalleryDisplay,
    RocDisplay,
    ThresholdCountDisplay,
)

binaries = make_binary_spectra(n_samples=300, binary_fraction=0.5, random_state=0)
train = binaries.split == "train"
binary_model = make_binary_pipeline(
    binaries.wavelength,
    max_epochs=8,
    lr=1e-3,
    validation_fraction=None,
    random_state=0,
)
binary_model.fit(binaries.data[train], binaries.target[train])
X_test, y_test = binaries.data[~train], binaries.target[~train]

fig, (ax_roc, ax_pb, ax_count) = plt.subplots(1, 3, figsize=(15, 4.5))
RocDisplay.from_estimator(binary_model, X_test, y_test, name="CNN", ax=ax_roc)
BinaryProbabilityDisplay.from_estimator(binary_model, X_test, y_test, ax=ax_pb)
ThresholdCountDisplay.from_estimator(binary_model, X_test, ax=ax_count)
fig.tight_layout()

# %%
# Classical Be stars (seed 004)
# -----------------------------
be = make_be_spectra(n_samples=120, random_state=0)
train = be.split == "train"
be_model = make_be_pipeline(
    be.wavelength, image_size=64, width=8, max_epochs=4, random_state=0
)
be_model.fit(be.data[train], be.target[train])
test = np.flatnonzero(~train)
# Four Be and four non-Be spectra of the held-out set.
rows = np.r_[test[be.target[test] == 1][:4], test[be.target[test] == 0][:4]]
HalphaGalleryDisplay.from_estimator(
    be_model, be.data[rows], np.where(be.target[rows] == 1, "Be", "non-Be"), n_cols=4
)
plt.show()
