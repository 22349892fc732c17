"""Domain guard of both recipes on the real LAMOST files of the data home.

Fits the domain guards of ``make_binary_pipeline(domain=True)`` and
``make_be_pipeline(domain=True)`` (their ``"domain"`` filter, a
:class:`~sklearn_stellar.domain.DomainGuard`) on small MILES-built training
sets (``make_binary_spectra``, ``make_be_spectra``), then applies each to
every spectrum of ``lamost/lrs`` (recursive) and ``lamost/mrs``: first the
header rules (:func:`~sklearn_stellar.domain.spectrum_domain_problem`:
survey, arm, coverage, CLASS/SUBCLASS, header S/N), then the array rules
(coverage, DER_SNR floor, PCA novelty). Prints one row per spectrum (file,
header class/subclass, header S/N, status, reason) and the counts per header
class. Only the guards are fitted: the networks play no part in the flags.

Usage::

    nice -n 10 python benchmarks/bench_domain.py [--n-binary 1500] [--n-be 1000]
        [--quiet] [--array-only]
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings

import numpy as np

from sklearn_stellar.datasets import (
    get_data_home,
    make_be_spectra,
    make_binary_spectra,
)
from sklearn_stellar.domain import spectrum_domain_problem
from sklearn_stellar.io import read_lamost, spectra_to_array
from sklearn_stellar.pipelines import make_be_pipeline, make_binary_pipeline


def fitted_guard(recipe, X):
    """The recipe's ``"domain"`` filter, fitted on training spectra X."""
    guard = dict(recipe.filters)["domain"]
    return guard.fit(X)


def guard_rows(guard, spectra, grid, *, survey, arm=None, header=True):
    """(status, reason) of every spectrum under ``guard``."""
    X, _ = spectra_to_array(spectra, wavelength=grid)
    values = guard.transform(X)
    mask = guard.pass_mask(X, measurements=values)
    names = guard.get_feature_names_out()
    bounds = guard.get_cut_bounds()
    out = []
    for s, v, ok in zip(spectra, values, mask, strict=True):
        problem = ""
        if header:
            problem = spectrum_domain_problem(
                s, wavelength=grid, survey=survey, arm=arm, guard=guard
            )
        if not problem and not ok:
            for name, value, (low, high) in zip(names, v, bounds, strict=True):
                if np.isnan(low) and np.isnan(high):
                    continue
                if not (low < value < high):
                    problem = f"{name} = {value:.3g} (cut {low:g}..{high:g})"
                    break
        out.append(("out_of_domain" if problem else "ok", problem, v))
    return out


def header_snr(meta, bands):
    snr = meta.get("snr") or {}
    values = [snr[b] for b in bands if snr.get(b) is not None]
    return min(values) if values else np.nan


def report(title, spectra, rows, bands, quiet):
    print(f"\n## {title}\n")
    if not quiet:
        print(f"{'file':48s} {'class':8s} {'subcl':6s} {'S/N':>6s} "
              f"{'novelty':>7s} status         reason")  # fmt: skip
    counts = collections.Counter()
    for s, (status, reason, v) in zip(spectra, rows, strict=True):
        m = s.meta
        cls = str(m.get("class"))
        sub = str(m.get("subclass"))
        key = _group(cls, sub)
        counts[(key, status)] += 1
        if not quiet:
            name = m["filename"].rsplit("/", 1)[-1][-40:]
            if m.get("survey") == "MRS":
                name = f"{name[-30:]}[{m['exposure']}]"
            print(f"{name:48s} {cls:8s} {sub:6s} {header_snr(m, bands):6.1f} "
                  f"{v[2]:7.2f} {status:14s} {reason}")  # fmt: skip
    print(f"\n{'group':28s} {'ok':>4s} {'out_of_domain':>14s}")
    for key in sorted({k for k, _ in counts}):
        print(
            f"{key:28s} {counts[(key, 'ok')]:4d} {counts[(key, 'out_of_domain')]:14d}"
        )
    total = collections.Counter(
        status for (_, status), n in counts.items() for _ in range(n)
    )
    print(f"{'all':28s} {total['ok']:4d} {total['out_of_domain']:14d}")


def _group(cls, sub):
    if cls != "STAR":
        return f"{cls} (no stellar type)"
    if sub.startswith(("dM", "sdM")):
        return "STAR M dwarf"
    if sub.startswith("gM"):
        return "STAR M giant"
    letter = sub[:1]
    if letter in "OBA":
        return "STAR O/B/A (hot)"
    if sub[:2] in ("F0", "F1", "F2", "F3", "F4"):
        return "STAR F0-F4"
    if sub[:2] in ("K8", "K9"):
        return "STAR K8-K9"
    return f"STAR {letter} (F5-K7 in domain)" if letter in "FGK" else f"STAR {sub}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-binary", type=int, default=1500)
    parser.add_argument("--n-be", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="counts only")
    parser.add_argument(
        "--array-only", action="store_true", help="no header rules (arrays only)"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    home = get_data_home() / "lamost"
    lrs = list(read_lamost(home / "lrs", errors="report", recursive=True))
    mrs = list(read_lamost(home / "mrs", errors="report"))
    header = not args.array_only

    t0 = time.perf_counter()
    data = make_binary_spectra(args.n_binary, random_state=args.seed)
    train = data.split == "train"
    guard = fitted_guard(
        make_binary_pipeline(data.wavelength, domain=True), data.data[train]
    )
    print(f"binary guard: {int(train.sum())} MILES-built training spectra, "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    rows = guard_rows(guard, lrs, data.wavelength, survey="LRS", header=header)
    report("Binary model (LRS, F5-K7 dwarfs)", lrs, rows, ("g",), args.quiet)
    rows = guard_rows(
        guard, [s for s in mrs if s.meta["arm"] == "R"], data.wavelength,
        survey="LRS", header=header,
    )  # fmt: skip
    n_ood = sum(r[0] == "out_of_domain" for r in rows)
    print(f"\nbinary model on {len(rows)} MRS red-arm spectra: {n_ood} out_of_domain")

    t0 = time.perf_counter()
    be = make_be_spectra(args.n_be, random_state=args.seed)
    train = be.split == "train"
    recipe = make_be_pipeline(be.wavelength, domain=True)
    guard = fitted_guard(recipe, be.data[train])
    print(f"\nBe guard: {int(train.sum())} MILES-built red-arm training spectra, "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    red = [s for s in mrs if s.meta["arm"] == "R"]
    rows = guard_rows(guard, red, be.wavelength, survey="MRS", arm="R", header=header)
    report("Be model (MRS red arm, O-A9): MRS red-arm spectra", red, rows, ("R",),
           args.quiet)  # fmt: skip
    rows = guard_rows(guard, lrs, be.wavelength, survey="MRS", arm="R", header=header)
    report("Be model: LRS spectra (R ~ 1800) on the MRS red grid", lrs, rows,
           ("r",), args.quiet)  # fmt: skip
    rows = guard_rows(guard, lrs, be.wavelength, survey="MRS", header=False)
    nov = np.array([r[2][2] for r in rows])
    print(f"\nLRS on the Be guard, arrays only: {sum(r[0] != 'ok' for r in rows)} of "
          f"{len(rows)} out_of_domain; novelty median {np.nanmedian(nov):.2f}, "
          f"min {np.nanmin(nov):.2f} (1 = training 99 % quantile)")  # fmt: skip


if __name__ == "__main__":
    main()
