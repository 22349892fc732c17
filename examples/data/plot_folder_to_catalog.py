"""
From a folder of files to a catalog
===================================

A survey run starts from folders of FITS files, some of which will be
unreadable. :func:`~sklearn_stellar.io.read_lamost` with
``errors="report"`` reads what it can and accounts for **every** file in
``.files`` (``read``, ``empty`` or ``failed`` with the reason);
:mod:`sklearn_stellar.catalog` turns the classifier's output into one row
per spectrum and one per star, written as ECSV.

**What is real and what is modelled.** The spectra are real: LAMOST DR8
low-resolution spectra of stars observed at two to five epochs. Three
broken "files" are made on purpose in a temporary folder, next to links to
the real files (nothing is copied into the repository). The p_b values come
from a *tiny demonstration network* trained in seconds on modelled binaries
(:func:`~sklearn_stellar.datasets.make_binary_spectra`); they show the
mechanics of the catalog, not which of these stars are binaries.
"""

# %%
# A folder with good and bad files
# --------------------------------
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from astropy.table import Table

from sklearn_stellar.catalog import binary_catalog, group_by_position, spectrum_table
from sklearn_stellar.datasets import get_data_home, make_binary_spectra
from sklearn_stellar.io import read_lamost, spectra_to_array
from sklearn_stellar.pipelines import make_binary_pipeline

source = get_data_home() / "lamost" / "lrs" / "repeat_epochs"
epochs = Table.read(source / "epochs.csv")
# The files of the first 12 stars in the table, each with all its epochs.
stars = list(dict.fromkeys(epochs["star"]))[:12]
chosen = epochs[np.isin(epochs["star"], stars)]

workdir = Path(tempfile.mkdtemp(prefix="sklearn_stellar_catalog_"))
folder = workdir / "spectra"
folder.mkdir()
for name in chosen["file"]:
    (folder / name).symlink_to(source / name)
(folder / "empty.fits").write_bytes(b"")
(folder / "not_fits.fits").write_text("this is not a FITS file\n")
(folder / "gone.fits.gz").symlink_to(workdir / "no_such_file.fits.gz")

spectra = read_lamost(folder, errors="report")
files = spectra.files
for status in ("read", "empty", "failed"):
    print(f"{status}: {np.sum(files['status'] == status)} files")
print(files[files["status"] != "read"]["path", "status", "reason"])

# %%
# A tiny model, then p_b for every spectrum
# -----------------------------------------
# The model's grid is the training set's; the real spectra are resampled
# onto it by :func:`~sklearn_stellar.io.spectra_to_array`.
train = make_binary_spectra(n_samples=200, binary_fraction=0.5, random_state=0)
model = make_binary_pipeline(
    train.wavelength,
    n_filters=4,
    max_epochs=2,
    lr=1e-3,
    validation_fraction=None,
    random_state=0,
)
model.fit(train.data, train.target)
X, _ = spectra_to_array(spectra, train.wavelength)
p_b = model.predict_proba(X)[:, 1]

# %%
# Catalogs, written as ECSV
# -------------------------
# ``spectrum_table`` keeps one row per spectrum with its identifiers,
# position and S/N; ``binary_catalog`` one row per star with the highest p_b
# of its spectra, as in Jing et al. (2024). A LAMOST designation is built
# from each epoch's measured position, so one star can carry several; the
# catalog therefore groups spectra into stars by position
# (:func:`~sklearn_stellar.catalog.group_by_position`: friends-of-friends
# within 3 arcsec; one star's epochs here lie at most 1.45 arcsec apart,
# different stars at least 277 arcsec). ``designations`` lists what each
# star carried. The file table is written too: no input goes unaccounted for.
metadata = [s.meta for s in spectra]
per_spectrum = spectrum_table(p_b, metadata)
per_star = binary_catalog(p_b, metadata)
by_designation = binary_catalog(p_b, metadata, star_key="designation")
print(
    f"{len(per_star)} stars by position, {len(by_designation)} by designation, "
    f"{len(set(chosen['star']))} in epochs.csv"
)

# %%
# The grouping agrees with epochs.csv
# -----------------------------------
# ``epochs.csv`` knows which file belongs to which star; every group found
# by position holds the files of exactly one of its stars, and every star's
# files fall in one group.
star_of = dict(zip(chosen["file"], chosen["star"], strict=True))
truth = np.array([star_of[Path(m["filename"]).name] for m in metadata])
star = group_by_position([m["ra"] for m in metadata], [m["dec"] for m in metadata])
pairs = set(zip(star.tolist(), truth.tolist(), strict=True))
print(
    f"{len(pairs)} (group, epochs.csv star) pairs for {len(set(star))} groups "
    f"and {len(set(truth))} stars: agree = "
    f"{len(pairs) == len(set(star)) == len(set(truth))}"
)
per_spectrum.write(workdir / "spectra.ecsv")
per_star.write(workdir / "stars.ecsv")
files.write(workdir / "files.ecsv")
back = Table.read(workdir / "stars.ecsv")
print(f"wrote {len(per_spectrum)} spectra, {len(back)} stars, {len(files)} files")
back["p_b"].info.format = ".3f"
print(back["star", "designations", "n_spectra", "p_b", "is_binary"][:5])

# %%
# Figure: files, and p_b per star
# -------------------------------
# Each star's epochs are spectra of the same object, so a stable classifier
# gives them similar p_b; the spread of the dots is the tiny model's
# epoch-to-epoch scatter, the star marks the catalog's maximum.
fig, (ax_files, ax_stars) = plt.subplots(
    1, 2, figsize=(11.0, 4.0), gridspec_kw={"width_ratios": [1, 3]}
)
statuses, counts = np.unique(files["status"], return_counts=True)
ax_files.bar(statuses, counts, color=["C3" if s != "read" else "C0" for s in statuses])
ax_files.set_ylabel("files")
ax_files.set_title("read_lamost(..., errors='report')")
star_of_group = dict(zip(star.tolist(), truth.tolist(), strict=True))
for i, key in enumerate(per_star["star"]):
    ax_stars.plot(
        np.full(np.sum(star == key), i), p_b[star == key], "o", color="C0", alpha=0.6
    )
ax_stars.plot(
    np.arange(len(per_star)),
    per_star["p_b"],
    "*",
    color="C3",
    ms=10,
    label="catalog p_b (max over epochs)",
)
ax_stars.set_xticks(np.arange(len(per_star)))
ax_stars.set_xticklabels([str(star_of_group[k]) for k in per_star["star"]])
ax_stars.set_xlabel("star (grouped by position; labelled with epochs.csv's id)")
ax_stars.set_ylabel("p_b (tiny demonstration model)")
ax_stars.legend(frameon=False, fontsize="small")
fig.tight_layout()
shutil.rmtree(workdir)  # the temporary folder and the catalogs in it
plt.show()
