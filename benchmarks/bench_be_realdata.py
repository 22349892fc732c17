"""Run the fitted Be-star pipeline on the real LAMOST files of the data home.

Reads every MRS file (red arm: every single exposure and the coadd) and every
LRS file (H-alpha at R ~ 1800) with :func:`sklearn_stellar.io.read_lamost`,
puts them on the training grid (vacuum, 1e-5 dex, 6300-6800 A) with
:func:`sklearn_stellar.io.spectra_to_array`, and prints for each spectrum the
EW filter's verdict (EW(H-alpha) < 10 A and EW(Mg b) < 1.2 A: early type;
rejected spectra get P(Be) = 0), the EWs and P(Be). MRS blue and red arms of
the same exposure are put side by side as in training. The pipeline comes
from ``bench_be_workflow.py --out``.

With ``--train-small`` it trains a *small* two-arm Be pipeline with the
domain guard (``make_be_pipeline(domain=True)``, 32 px images, width-4
ResNet, few epochs, ``make_be_spectra(blue_arm=True)``) instead of loading
one, and reports the false-positive rate on these real absorption spectra
(none is a known Be star) that pass the EW filter, before the domain guard
(EW filter only) and after it (issue 14 item 1).

Usage::

    python benchmarks/bench_be_realdata.py --pipeline /tmp/be_pipeline.pkl
    nice -n 10 python benchmarks/bench_be_realdata.py --train-small [--n 800]
"""

from __future__ import annotations

import argparse
import pickle
import warnings

import numpy as np

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.io import read_lamost, spectra_to_array
from sklearn_stellar.preprocessing import ContinuumNormalizer


def refit_normalizers(pipe, grid):
    """Rebuild the continuum normalizers' cached bases with this code version.

    A ContinuumNormalizer's fit depends on the wavelength grid only, so
    refitting on one dummy row changes nothing but keeps a pickle made with an
    older sklearn-stellar (different private caches) usable.
    """
    dummy = np.ones((1, grid.size))
    normalizers = [pipe.estimator_.steps[0][1]]
    normalizers += [
        f.normalizer_ for _, f in pipe.filters_ if getattr(f, "normalizer_", None)
    ]
    for norm in normalizers:
        if isinstance(norm, ContinuumNormalizer):
            norm.fit(dummy)


def train_small(n, seed, epochs):
    """A small two-arm Be pipeline with the domain guard, and its grid."""
    import torch

    from sklearn_stellar.datasets import make_be_spectra
    from sklearn_stellar.pipelines import make_be_pipeline

    torch.set_num_threads(1)
    data = make_be_spectra(n, blue_arm=True, random_state=seed)
    train = data.split == "train"
    pipe = make_be_pipeline(
        data.wavelength, domain=True, image_size=32, width=4, max_epochs=epochs,
        batch_size=32, random_state=seed,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(data.data[train], data.target[train])
        acc = pipe.score(data.data[~train], data.target[~train])
    print(f"small model: {int(train.sum())} training spectra, {epochs} epochs, "
          f"synthetic star-disjoint test accuracy {acc:.3f}")  # fmt: skip
    return pipe, data.wavelength


def false_positives(pipe, X, label):
    """P(Be) >= 0.5 among rows passing the EW filter, without / with the guard."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = pipe.filter_report(X)
        inner = pipe.estimator_.predict_proba(pipe._split(X)[0])[:, 1]
    names = list(report.keys())
    ew_cols = [n for n in names if n.startswith("ew__")]
    ew_pass = np.ones(len(X), dtype=bool)
    ew = dict(pipe.filters_)["ew"]
    for col, (low, high) in zip(ew_cols, ew.get_cut_bounds(), strict=True):
        v = np.asarray(report[col])
        with np.errstate(invalid="ignore"):
            ew_pass &= (v > low) & (v < high)
    guarded = ew_pass & (report.status == "ok")
    before = int((inner[ew_pass] >= 0.5).sum())
    after = int((inner[guarded] >= 0.5).sum())
    print(f"{label}: {len(X)} spectra, {int(ew_pass.sum())} pass the EW filter, "
          f"P(Be) >= 0.5 for {before} ({before / max(ew_pass.sum(), 1):.0%}) before "
          f"the domain guard; {int(guarded.sum())} pass the guard too, P(Be) >= 0.5 "
          f"for {after} ({after / max(guarded.sum(), 1):.0%}) after; out_of_domain "
          f"{int((report.status == 'out_of_domain').sum())}")  # fmt: skip


def mastar_hot(grid):
    """MaStar HC templates (R ~ 1800, vacuum, another instrument) on ``grid``.

    Read with astropy here (no library reader): primary flux, log-linear
    wavelength from CRVAL1/CDELT1. The EW filter keeps the early types.
    """
    from astropy.io import fits

    folder = get_data_home() / "libraries" / "mastarhc_v2"
    rows = []
    for path in sorted(folder.glob("MaStarHC_*.fits*")):
        with fits.open(path) as hdul:
            flux = np.asarray(hdul[0].data, dtype=np.float64)
            head = hdul[0].header
        wave = 10.0 ** (head["CRVAL1"] + head["CDELT1"] * np.arange(flux.size))
        rows.append(np.interp(grid, wave, flux, left=np.nan, right=np.nan))
    return np.array(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", default="/tmp/be_pipeline.pkl")
    parser.add_argument("--images", default=None, help="save the images (.npz)")
    parser.add_argument("--train-small", action="store_true")
    parser.add_argument("--n", type=int, default=800)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.train_small:
        pipe, grid = train_small(args.n, args.seed, args.epochs)
    else:
        with open(args.pipeline, "rb") as fh:
            saved = pickle.load(fh)
        pipe, grid = saved["pipeline"], saved["wavelength"]
        refit_normalizers(pipe, grid)
    home = get_data_home() / "lamost"
    mrs = read_lamost(home / "mrs", errors="report")
    lrs = read_lamost(home / "lrs", errors="report", recursive=True)
    red = [s for s in mrs if s.meta["arm"] == "R"]
    blue = {
        (s.meta["filename"], s.meta["exposure"].replace("B-", "R-")): s
        for s in mrs
        if s.meta["arm"] == "B"
    }
    is_blue = grid < 6000.0
    rows = []
    for survey, spectra in (("MRS", red), ("LRS", list(lrs))):
        if not spectra:
            continue
        if survey == "MRS":
            # Both arms of the same exposure side by side, as in training.
            X = np.full((len(spectra), grid.size), np.nan)
            X[:, ~is_blue], _ = spectra_to_array(spectra, grid[~is_blue])
            pairs = [
                blue.get((s.meta["filename"], s.meta["exposure"])) for s in spectra
            ]
            have = [i for i, b in enumerate(pairs) if b is not None]
            if have:
                X[np.ix_(have, np.flatnonzero(is_blue))], _ = spectra_to_array(
                    [pairs[i] for i in have], grid[is_blue]
                )
        else:
            X, _ = spectra_to_array(spectra, grid)
        if args.train_small:
            false_positives(pipe, X, survey)
            continue
        measured = pipe.measure(X)
        proba = pipe.predict_proba(X)[:, 1]
        ew, mgb = measured.measurements[:, 0], measured.measurements[:, 1]
        for s, p, e, ok, m in zip(
            spectra, proba, ew, measured.pass_mask, mgb, strict=True
        ):
            snr = s.meta["snr"]
            snr = snr.get("R") if survey == "MRS" else snr.get("r")
            rows.append(
                (
                    survey,
                    s.meta["obsid"],
                    s.meta.get("designation"),
                    s.meta["exposure"] if survey == "MRS" else "-",
                    s.meta.get("class"),
                    s.meta.get("subclass"),
                    snr,
                    e,
                    bool(ok),
                    p,
                    m,
                )
            )
        if args.images:
            raster = pipe.estimator_.steps[1][1]
            norm = pipe.estimator_.steps[0][1]
            np.savez_compressed(
                f"{args.images}_{survey}.npz",
                images=raster.transform(norm.transform(X)),
                proba=proba,
            )
    if args.train_small:
        false_positives(pipe, mastar_hot(grid), "MaStar HC templates")
        return
    print(
        f"{'survey':6s} {'obsid':>10s} {'designation':22s} {'exposure':12s} "
        f"{'class':6s} {'subclass':8s} {'S/N':>6s} {'EW(Ha)':>7s} {'EW ok':5s} "
        f"{'P(Be)':>6s} {'EW(Mgb)':>7s}"
    )
    for r in rows:
        snr = f"{r[6]:.0f}" if isinstance(r[6], (int, float)) else str(r[6])
        print(
            f"{r[0]:6s} {str(r[1]):>10s} {str(r[2]):22s} {str(r[3]):12s} "
            f"{str(r[4]):6s} {str(r[5]):8s} {snr:>6s} {r[7]:7.2f} {str(r[8]):5s} "
            f"{r[9]:6.3f} {r[10]:7.2f}"
        )
    files = list(mrs.files) + list(lrs.files)
    kept = [r for r in rows if r[8]]
    print(
        f"{len(rows)} spectra from {len(files)} files; passed the EW filter "
        f"(early-type): {len(kept)}; P(Be) >= 0.5: {sum(r[9] >= 0.5 for r in rows)}"
    )


if __name__ == "__main__":
    main()
