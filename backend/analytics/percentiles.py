"""Percentiles estimated from the latency histograms of the rollups."""

from __future__ import annotations

from collections.abc import Sequence

from backend.models.analytics import LATENCY_EDGES_MS


def estimate(counts: Sequence[int], fraction: float) -> int | None:
    """The ``fraction`` percentile (0.5 = median) of values counted per bucket of
    :data:`~backend.models.analytics.LATENCY_EDGES_MS`, interpolated linearly inside its bucket.

    Args:
        counts: One count per bucket (``len(LATENCY_EDGES_MS) + 1``).
        fraction: In ``(0, 1]``.

    Returns:
        Milliseconds (an estimate within the bucket's width), or None when there are no values.
        The open last bucket (>= 60 s) reports its lower edge.
    """
    total = sum(counts)
    if total <= 0:
        return None
    target = fraction * total
    seen = 0
    for i, count in enumerate(counts):
        if count and seen + count >= target:
            lower = LATENCY_EDGES_MS[i - 1] if i > 0 else 0
            if i >= len(LATENCY_EDGES_MS):
                return lower
            upper = LATENCY_EDGES_MS[i]
            return round(lower + (upper - lower) * (target - seen) / count)
        seen += count
    return LATENCY_EDGES_MS[-1]
