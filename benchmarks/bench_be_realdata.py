"""Run the fitted Be-star pipeline on the real LAMOST files of the data home.

Reads every MRS file (red arm: every single exposure and the coadd) and every
LRS file (H-alpha at R ~ 1800) with :func:`sklearn_stellar.io.read_lamost`,
puts them on the training grid (vacuum, 1e-5 dex, 6300-6800 A) with
:func:`sklearn_stellar.io.spectra_to_array`, and prints for each spectrum the
EW filter's verdict (EW(H-alpha) < 10 A and EW(Mg b) < 1.2 A: early type;
rejected spectra get P(Be) = 0), the EWs and P(Be). MRS blue and red arms of
the same exposure are put side by side as in training. The pipeline comes
from ``bench_be_workflow.py --out``.

Usage::

    python benchmarks/bench_be_realdata.py --pipeline /tmp/be_pipeline.pkl
"""

from __future__ import annotations

import argparse
import pickle

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", default="/tmp/be_pipeline.pkl")
    parser.add_argument("--images", default=None, help="save the images (.npz)")
    args = parser.parse_args(argv)
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
