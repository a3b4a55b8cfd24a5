"""Is guided overlap significantly higher than general overlap? Paired and upstream tests.

The verdict uses a one-sided paired bootstrap over samples: resample the samples with
replacement, keep each sample's (guided, general) pair together, and count the resamples whose
mean difference (guided - general) is not above 0; that share is the p-value.

Upstream (`src/helpers/bootstrap_helper.py`) resamples the guided and the general scores
independently and reports p = 1 - P[mean guided > mean general]; that unpaired figure is given
as well (`p_unpaired`) for comparison with the paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def paired_bootstrap(
    guided: Sequence[float], general: Sequence[float], *, resamples: int = 10_000, seed: int = 0
) -> dict[str, Any]:
    """One-sided paired bootstrap of mean(guided - general) > 0.

    Returns:
        `samples`, `mean_guided`, `mean_general`, `difference`, `ci` (95% of the difference),
        `p_value` (paired), `p_unpaired` (upstream's test).

    Raises:
        ValueError: No pairs, or sequences of different lengths.
    """
    import numpy as np

    if len(guided) != len(general) or not guided:
        raise ValueError("need one guided and one general score per sample")
    g = np.asarray(guided, dtype=float)
    h = np.asarray(general, dtype=float)
    n = g.size
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    diffs = (g[idx] - h[idx]).mean(axis=1)
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    idx_g = rng.integers(0, n, size=(resamples, n))
    idx_h = rng.integers(0, n, size=(resamples, n))
    unpaired = float((g[idx_g].mean(axis=1) > h[idx_h].mean(axis=1)).mean())
    return {
        "samples": int(n),
        "mean_guided": float(g.mean()),
        "mean_general": float(h.mean()),
        "difference": float((g - h).mean()),
        "ci": [float(lo), float(hi)],
        "p_value": float((diffs <= 0).mean()),
        "p_unpaired": 1.0 - unpaired,
    }
