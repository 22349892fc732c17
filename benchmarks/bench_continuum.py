"""Benchmark ContinuumNormalizer against its peers on 1,000 real LAMOST LRS spectra.

Gaussian method: the peer is TheCannon's dense formulation (``gaussian_weight_matrix``
builds the P x P weight matrix once per call, ``_find_cont_gaussian_smooth`` does
two dense matrix products over the whole block, ``_cont_norm`` divides), reimplemented
here without its prints. Two weightings are timed: unit weights on finite pixels
(Jing et al. (2024) eq. 1; the peer gets ivar = 1 on finite pixels) and LAMOST's inverse
variances (Ho et al. 2017). Ours uses the same kernel (``kernel="cannon"``,
``sigma=L``); its ``fit`` (building the cached factorisation) is timed separately.

Spline method: the peers are per-spectrum Python loops over scipy splines with the
same asymmetric sigma clipping: ``make_lsq_spline`` on the same knots (the same
model) and ``make_smoothing_spline`` (scipy's smoothing spline).

Data: the 100 DR7 LRS spectra of plan HD103621N361936B01 in the data home (native
3909-pixel log-linear grid, ivar == 0 pixels set to NaN), tiled to 1,000 rows.

The Gaussian method is timed in ``--repeat`` paired rounds (the peer once, then
ours best of 5, back to back): the best times over all rounds and the median and
lowest per-round ratio are printed (the machine's speed drifts between seconds).

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_continuum.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from astropy.io import fits
from scipy.interpolate import make_lsq_spline, make_smoothing_spline

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.preprocessing import ContinuumNormalizer

PLAN = "lamost/lrs/dr7_plan_HD103621N361936B01"


def load_lrs(n_spectra):
    files = sorted((get_data_home() / PLAN).glob("*.fits"))
    rows = [fits.getdata(f).astype(np.float64) for f in files]
    wave = rows[0][2]
    assert all(np.array_equal(r[2], wave) for r in rows), "grids differ"
    flux = np.array([r[0] for r in rows])
    ivar = np.array([r[1] for r in rows])
    flux[ivar == 0] = np.nan
    reps = -(-n_spectra // len(rows))
    return (
        wave,
        np.tile(flux, (reps, 1))[:n_spectra],
        np.tile(ivar, (reps, 1))[:n_spectra],
    )


# ---------------------------------------------------------------- TheCannon peer
def gaussian_weight_matrix(wl, L):
    return np.exp(-0.5 * (wl[:, None] - wl[None, :]) ** 2 / L**2)


def _find_cont_gaussian_smooth(wl, fluxes, ivars, w):
    bot = np.dot(ivars, w.T)
    top = np.dot(fluxes * ivars, w.T)
    bad = bot == 0
    cont = np.zeros(top.shape)
    cont[~bad] = top[~bad] / bot[~bad]
    return cont


def _cont_norm(fluxes, ivars, cont):
    bad = cont == 0.0
    norm_fluxes = np.ones(fluxes.shape)
    norm_fluxes[~bad] = fluxes[~bad] / cont[~bad]
    norm_ivars = cont**2 * ivars
    return norm_fluxes, norm_ivars


def cannon_normalize(wl, fluxes, ivars, L):
    """TheCannon's _cont_norm_gaussian_smooth for one block of spectra."""
    w = gaussian_weight_matrix(wl, L)
    cont = _find_cont_gaussian_smooth(wl, fluxes, ivars, w)
    return _cont_norm(fluxes, ivars, cont)[0], cont


def best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_gaussian(wave, flux, ivar, repeat):
    L = 350.0 / np.sqrt(2.0)  # Jing et al. (2024)'s sigma = 35 nm in TheCannon's units
    finite = np.isfinite(flux)
    peer_flux = np.where(finite, flux, 0.0)
    print(
        f"== gaussian: {flux.shape[0]} spectra x {flux.shape[1]} pixels, L = {L:.1f} A"
    )
    t0 = time.perf_counter()
    est = ContinuumNormalizer(wavelength=wave, kernel="cannon", sigma=L).fit(flux)
    t_fit = time.perf_counter() - t0
    op = est._models[0]
    if op.kind == "blocked":
        form = f"{op.n_full} blocks of {op.block} px x {op.n_nodes} nodes"
    else:
        form = f"rank {op.right.shape[1]}" if op.kind == "lowrank" else op.kind
    print(f"   kernel stored as {op.kind} ({form}), fit {t_fit:.3f} s")
    for label, weights in (("unit weights", None), ("ivar weights", ivar)):
        peer_ivar = (
            finite.astype(np.float64) if weights is None else np.where(finite, ivar, 0)
        )
        # Paired rounds: each times the peer once, then ours (best of 5 back to
        # back), so that both see the same load; this machine is a VM whose
        # speed drifts by tens of % between seconds, so the per-round ratios and
        # their median are the robust figure; best-of over all rounds is printed
        # too.
        peer_times, our_times = [], []
        for _ in range(repeat):
            t_peer, (peer_out, peer_cont) = best_of(
                lambda pi=peer_ivar: cannon_normalize(wave, peer_flux, pi, L), 1
            )
            t_ours, ours = best_of(lambda w=weights: est.transform(flux, ivar=w), 5)
            peer_times.append(t_peer)
            our_times.append(t_ours)
        ratios = np.array(peer_times) / np.array(our_times)
        t_peer, t_ours = min(peer_times), min(our_times)
        ok = finite & (peer_cont != 0) & (peer_out != 0)
        rel = np.max(np.abs(ours[ok] - peer_out[ok]) / np.abs(peer_out[ok]))
        print(
            f"   {label}: TheCannon dense {t_peer:.3f} s, ours {t_ours:.4f} s "
            f"-> {t_peer / t_ours:.1f}x (incl. fit: {t_peer / (t_ours + t_fit):.1f}x); "
            f"paired rounds: median {np.median(ratios):.1f}x, lowest "
            f"{ratios.min():.1f}x ({repeat} rounds); "
            f"max rel diff {rel:.2e} over {ok.sum()} pixels"
        )


# ------------------------------------------------------------------ spline peers
def clipped_spline_loop(wave, flux, fit_one, lower, upper, n_iter):
    """Per-spectrum loop with the same clipping rule as ContinuumNormalizer."""
    cont = np.full_like(flux, np.nan)
    failed = 0
    for row in range(flux.shape[0]):
        f = flux[row]
        usable = np.isfinite(f)
        keep = usable.copy()
        try:
            for it in range(n_iter + 1):
                c = fit_one(wave[keep], f[keep])(wave)
                if it == n_iter:
                    break
                resid = np.where(usable, f - c, 0.0)
                rms = np.sqrt(np.sum(resid[keep] ** 2) / max(keep.sum(), 1))
                new = usable & (resid <= upper * rms) & (resid >= -lower * rms)
                if np.array_equal(new, keep):
                    break
                keep = new
        except (ValueError, np.linalg.LinAlgError):
            failed += 1
            continue
        cont[row] = c
    return cont, failed


def paired_spline_rounds(est, wave, flux, fit_one, rounds, n_peer):
    """Per-spectrum time ratio peer/ours in ``rounds`` back-to-back pairs.

    Each round times ours on all rows, then the make_lsq_spline loop on the
    first ``n_peer`` rows, so both see the same machine load; the ratio is of
    the per-spectrum times. Returns the list of ratios.
    """
    lower, upper, n_iter = est.lower_sigma, est.upper_sigma, est.n_iter
    ratios = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        est.continuum(flux)
        t_ours = (time.perf_counter() - t0) / flux.shape[0]
        t0 = time.perf_counter()
        clipped_spline_loop(wave, flux[:n_peer], fit_one, lower, upper, n_iter)
        t_peer = (time.perf_counter() - t0) / n_peer
        ratios.append(t_peer / t_ours)
    return ratios


def bench_spline(wave, flux, repeat, n_smoothing, rounds=0, n_peer=200):
    est = ContinuumNormalizer(wavelength=wave, method="spline").fit(flux)
    lower, upper, n_iter = est.lower_sigma, est.upper_sigma, est.n_iter
    n_int = int(round((wave[-1] - wave[0]) / est.knot_spacing))
    knots = np.r_[
        [wave[0]] * 3, np.linspace(wave[0], wave[-1], n_int + 1), [wave[-1]] * 3
    ]
    print(
        f"== spline: {flux.shape[0]} spectra x {flux.shape[1]} pixels, "
        f"{n_int + 3} B-splines, clip -{lower}/+{upper} sigma, n_iter={n_iter}"
    )
    peers = [
        (
            "scipy make_lsq_spline loop (same knots)",
            lambda x, y: make_lsq_spline(x, y, knots, k=3),
            flux.shape[0],
        ),
        (
            "scipy make_smoothing_spline loop (lam=1e6)",
            lambda x, y: make_smoothing_spline(x, y, lam=1e6),
            min(n_smoothing, flux.shape[0]),
        ),
    ]
    if rounds:
        ratios = paired_spline_rounds(est, wave, flux, peers[0][1], rounds, n_peer)
        print(
            f"   paired rounds vs make_lsq_spline loop ({rounds} rounds, peer on "
            f"{n_peer} spectra): median {np.median(ratios):.1f}x, lowest "
            f"{min(ratios):.1f}x, highest {max(ratios):.1f}x"
        )
    for label, fit_one, n_rows in peers:
        sub = flux[:n_rows]
        t_ours, ours = best_of(lambda s=sub: est.continuum(s), repeat)
        t0 = time.perf_counter()
        cont, failed = clipped_spline_loop(wave, sub, fit_one, lower, upper, n_iter)
        t_peer = time.perf_counter() - t0
        ok = np.isfinite(cont) & np.isfinite(sub) & (np.abs(cont) > 0)
        rel = np.median(np.abs(ours[ok] / cont[ok] - 1.0))
        print(
            f"   {label} on {n_rows} spectra: {t_peer:.2f} s, ours {t_ours:.3f} s "
            f"-> {t_peer / t_ours:.1f}x; median |ours/peer - 1| {rel:.1e}; "
            f"peer failed on {failed} spectra"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-spectra", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--n-smoothing",
        type=int,
        default=100,
        help="spectra for the slow make_smoothing_spline peer (ours timed on the same)",
    )
    parser.add_argument(
        "--method", choices=["gaussian", "spline", "both"], default="both"
    )
    parser.add_argument(
        "--rounds", type=int, default=0, help="paired rounds for the spline"
    )
    parser.add_argument("--n-peer", type=int, default=200)
    args = parser.parse_args()
    wave, flux, ivar = load_lrs(args.n_spectra)
    print(f"LAMOST LRS: {flux.shape}, {np.isnan(flux).sum()} masked pixels")
    if args.method in ("gaussian", "both"):
        bench_gaussian(wave, flux, ivar, args.repeat)
    if args.method in ("spline", "both"):
        bench_spline(
            wave, flux, args.repeat, args.n_smoothing, args.rounds, args.n_peer
        )


if __name__ == "__main__":
    main()
