"""Run the fitted Be-star pipeline on the real LAMOST files of the data home.

Reads every MRS file (red arm: every single exposure and the coadd) and every
LRS file (H-alpha at R ~ 1800) with :func:`sklearn_stellar.io.read_lamost`,
puts them on the training grid (vacuum, 1e-5 dex, 6300-6800 A) with
:func:`sklearn_stellar.io.spectra_to_array`, and prints for each spectrum the
EW filter's verdict, the H-alpha EW, P(Be) and the class. The pipeline comes
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", default="/tmp/be_pipeline.pkl")
    parser.add_argument("--images", default=None, help="save the images (.npz)")
    args = parser.parse_args(argv)
    with open(args.pipeline, "rb") as fh:
        saved = pickle.load(fh)
    pipe, grid = saved["pipeline"], saved["wavelength"]
    home = get_data_home() / "lamost"
    mrs = read_lamost(home / "mrs", errors="report")
    lrs = read_lamost(home / "lrs", errors="report", recursive=True)
    red = [s for s in mrs if s.meta["arm"] == "R"]
    rows = []
    for survey, spectra in (("MRS", red), ("LRS", list(lrs))):
        if not spectra:
            continue
        X, _ = spectra_to_array(spectra, grid)
        measured = pipe.measure(X)
        proba = pipe.predict_proba(X)[:, 1]
        ew = measured.measurements[:, 0]
        for s, p, e, ok in zip(spectra, proba, ew, measured.pass_mask, strict=True):
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
        f"{'P(Be)':>6s}"
    )
    for r in rows:
        snr = f"{r[6]:.0f}" if isinstance(r[6], (int, float)) else str(r[6])
        print(
            f"{r[0]:6s} {str(r[1]):>10s} {str(r[2]):22s} {str(r[3]):12s} "
            f"{str(r[4]):6s} {str(r[5]):8s} {snr:>6s} {r[7]:7.2f} {str(r[8]):5s} "
            f"{r[9]:6.3f}"
        )
    files = list(mrs.files) + list(lrs.files)
    print(
        f"{len(rows)} spectra from {len(files)} files; P(Be) >= 0.5: "
        f"{sum(r[9] >= 0.5 for r in rows)}"
    )


if __name__ == "__main__":
    main()
