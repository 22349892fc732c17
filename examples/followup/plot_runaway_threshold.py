"""
Runaway classical Be stars: the Maxwellian and its 1 % limit
============================================================

Wang et al. (2022, section 6) fitted a Maxwellian
``f(v) = a v^2 exp(-v^2 / b^2)`` to the peculiar tangential velocities of
323 classical Be stars (``b = 8.701`` km/s) and called runaways the stars
beyond the speed where the fit falls to about 1 % of its peak: 24 km/s.

This example draws a synthetic sample of the same size from that
Maxwellian, adds a few fast stars, fits it with
:func:`sklearn_stellar.followup.fit_maxwellian` and finds the limit with
:func:`sklearn_stellar.followup.runaway_threshold`. The numbers are
synthetic: the paper's velocities are not public here.
"""

# %%
# A synthetic sample
# ------------------
# A Maxwellian with scale ``b`` is a chi distribution with three degrees of
# freedom and ``scale = b / sqrt(2)`` in :mod:`scipy.stats`.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import maxwell

from sklearn_stellar.followup import fit_maxwellian, maxwellian, runaway_threshold

rng = np.random.default_rng(0)
B_SEED = 8.701  # km/s, Wang et al. (2022)
speeds = np.concatenate(
    [
        maxwell.rvs(scale=B_SEED / np.sqrt(2), size=310, random_state=rng),
        rng.uniform(26.0, 45.0, size=13),  # a few fast stars
    ]
)

# %%
# Fit and limit
# -------------
# The histogram fit depends somewhat on the bin width (the paper does not give
# its own); the limit depends only on ``b``: ``x^2 exp(1 - x^2) = 0.01`` with
# ``x = v / b`` has the root ``x = 2.764`` beyond the peak.
fit = fit_maxwellian(speeds, bin_width=1.0)
threshold = runaway_threshold(fit.b, fraction=0.01)
seed_threshold = runaway_threshold(B_SEED)
n_runaways = int(np.sum(speeds > threshold))
print(f"fitted b = {fit.b:.2f} +/- {fit.b_err:.2f} km/s, a = {fit.a:.3f}")
print(f"runaway limit {threshold:.1f} km/s (the paper's b gives {seed_threshold:.1f})")
print(f"{n_runaways} of {speeds.size} stars beyond it")

# %%
# Figure
# ------
centres = 0.5 * (fit.bin_edges[1:] + fit.bin_edges[:-1])
grid = np.linspace(0.0, fit.bin_edges[-1], 400)
fig, ax = plt.subplots(figsize=(6.0, 3.8))
ax.bar(centres, fit.counts, width=1.0, color="0.8", label="synthetic sample")
ax.plot(grid, maxwellian(grid, fit.a, fit.b), "C0", label=f"fit, b = {fit.b:.2f} km/s")
ax.axvline(threshold, color="C3", ls="--", label=f"1 % of peak: {threshold:.1f} km/s")
ax.axvline(seed_threshold, color="k", ls=":", label="Wang et al. 2022: 24 km/s")
ax.set_xlabel("peculiar tangential velocity (km/s)")
ax.set_ylabel("stars per 1 km/s bin")
ax.legend(frameon=False)
fig.tight_layout()
