"""Quality-balanced sampling of an unlabeled pool (Score2Instruct, SIG data sources).

1. A light *proxy* gives every candidate a noisy quality score in [0, 1] (by default the overall score of
   the same scorers on a fraction of the frames at low resolution: decoding dominates the cost, so the
   proxy is several times cheaper than full scoring).
2. Candidates are sampled uniformly over ``bins`` equal-width proxy-score bins up to the target size:
   every bin gets the same quota; a bin with fewer candidates gives all it has and its unused quota is
   shared among the others (seeded RNG, so the same inputs and seed give the same pool).
3. After full scoring, a video whose proxy disagrees with its full overall score by more than
   ``max_disagreement`` is dropped: such a video is one whose quality cannot be judged reliably from
   a glimpse (unstable content, scene cuts, scorer failure modes), and its labels are the least trustworthy.
"""

from __future__ import annotations

import random
from typing import Sequence


__all__ = ["balanced_sample", "disagreement_filter"]


def balanced_sample(
    ids: Sequence[str], proxy: Sequence[float], target: int, bins: int = 10, seed: int = 0
) -> list[str]:
    """Ids sampled uniformly over proxy-score bins, ``target`` at most, in input order."""
    if len(ids) != len(proxy):
        raise ValueError(f"{len(ids)} ids but {len(proxy)} proxy scores")
    if target <= 0 or bins <= 0:
        raise ValueError("target and bins must be positive")
    if target >= len(ids):
        return list(ids)
    rng = random.Random(f"balance:{seed}")
    buckets: list[list[int]] = [[] for _ in range(bins)]
    for i, p in enumerate(proxy):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"proxy score of {ids[i]} is {p}, outside [0, 1]")
        buckets[min(bins - 1, int(p * bins))].append(i)
    for b in buckets:
        rng.shuffle(b)
    chosen: list[int] = []
    remaining = target
    open_buckets = [b for b in buckets if b]
    while remaining > 0 and open_buckets:
        quota = max(1, remaining // len(open_buckets))
        next_round = []
        for b in open_buckets:
            take = b[:quota][:remaining]
            chosen.extend(take)
            remaining -= len(take)
            del b[: len(take)]
            if b:
                next_round.append(b)
            if remaining == 0:
                break
        open_buckets = next_round
    keep = set(chosen)
    return [ids[i] for i in range(len(ids)) if i in keep]


def disagreement_filter(
    proxy: dict[str, float], full: dict[str, float], max_disagreement: float
) -> tuple[list[str], list[str]]:
    """(kept, dropped) ids: dropped where |proxy - full| > max_disagreement."""
    kept, dropped = [], []
    for vid, score in full.items():
        p = proxy.get(vid)
        (dropped if p is not None and abs(p - score) > max_disagreement else kept).append(vid)
    return kept, dropped
