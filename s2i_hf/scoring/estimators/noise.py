"""Noise: Immerkaer's fast noise variance estimate, restricted to the flat half of the key frames."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import cached, key_clipped, key_tiles, tile_chunks


__all__ = ["immerkaer_sigma", "noise_sigma", "ImmerkaerNoise"]


_MEDIAN_ABS = 0.6744897501960817  # median of |N(0, 1)|
_RESPONSE_SCALE = 6.0  # the operator's response to unit white noise has standard deviation sqrt(36) = 6


# a stack is read when at least this share of its pixels is away from clipping
MIN_UNCLIPPED = 0.05


def _immerkaer_median(y: np.ndarray, flat_share: float, clipped: np.ndarray | None = None) -> float | None:
    """sigma of one (K, H, W) stack from the median |response| over its flattest pixels, leaving out those whose
    3 x 3 window holds a ``clipped`` pixel (None if none is left)."""
    c = y[:, 1:-1, 1:-1]
    n, s, w, e = y[:, :-2, 1:-1], y[:, 2:, 1:-1], y[:, 1:-1, :-2], y[:, 1:-1, 2:]
    resp = y[:, :-2, :-2] + y[:, :-2, 2:]
    resp += y[:, 2:, :-2]
    resp += y[:, 2:, 2:]
    resp += 4.0 * c
    resp -= 2.0 * (n + s + w + e)
    grad = np.abs(e - w)
    grad += np.abs(s - n)
    sub = grad[:, ::3, ::3].ravel()
    if clipped is not None and clipped.any():
        # a clipped plateau is flat and noise-free whatever the noise was: away from it only
        rows = clipped[:, :, :-2] | clipped[:, :, 1:-1] | clipped[:, :, 2:]
        near = rows[:, :-2] | rows[:, 1:-1] | rows[:, 2:]  # the 3 x 3 windows of the interior pixels
        if near.mean() > 1.0 - MIN_UNCLIPPED:
            return None
        sub = sub[~near[:, ::3, ::3].ravel()]
        if sub.size == 0:
            return None
        grad[near] = np.inf
    k = min(sub.size - 1, int(flat_share * sub.size))
    thresh = np.partition(sub, k)[k]  # the flat_share quantile from a subsample: same threshold, less work
    flat = np.abs(resp[grad <= thresh])
    if flat.size == 0:
        return None
    # median by histogram in quarter levels: exact for 8-bit frames (whole-number responses), and much faster
    # than a selection when most responses tie (compressed or clean frames)
    hist = np.bincount(np.rint(flat * 4.0).astype(np.int64))
    median = np.searchsorted(np.cumsum(hist), (flat.size + 1) / 2.0) / 4.0
    return float(median) / (_MEDIAN_ABS * _RESPONSE_SCALE)


def immerkaer_sigma(
    y: np.ndarray, flat_share: float = 0.3, chunks: list[slice] | None = None, clipped: np.ndarray | None = None
) -> float:
    """Noise standard deviation of a (K, H, W) (or (H, W)) image stack, in the units of ``y``.

    Immerkaer 1996, "Fast noise variance estimation" (CVIU 64(2):300-302): the image is filtered with the
    difference of two Laplacians ``[[1,-2,1],[-2,4,-2],[1,-2,1]]``, which cancels smooth structure up to second
    order and turns white noise of sigma s into a response of standard deviation 6 s. Immerkaer takes the mean
    absolute response over the whole image (sigma = sqrt(pi/2) / 6 * mean|r|); edges and texture leak into it.
    Here the response is read only over the flattest pixels (central-difference gradient in the lowest
    ``flat_share`` of each chunk) and through its median (sigma = median|r| / (0.6745 * 6)), which is
    unbiased for Gaussian noise and ignores the structure that still leaks (a binary cellular pattern, for
    one, reads as noise-free instead of very noisy). ``chunks`` (slices of the first axis; default the whole
    stack) are estimated apart and their median is returned. With ``clipped`` (a boolean stack shaped like ``y``),
    pixels within one of a clipped pixel are left out: a plateau of crushed blacks or blown whites is the flattest
    part of a frame and reads noise-free whatever the grain was (an exposure change that clipped a fifth of a soft
    portrait took its sigma from 0.6 to 0.0, a luma gain of 2.8 from 0.6 to 0.0 instead of 1.7). Chunks with less
    than MIN_UNCLIPPED of their pixels away from clipping are skipped, and the whole stack is read as it is when
    none is left.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y[None]
    if clipped is not None:
        clipped = np.asarray(clipped, dtype=bool).reshape(y.shape)
    if y.shape[1] < 3 or y.shape[2] < 3:
        return 0.0
    parts = chunks or [slice(None)]
    vals = [_immerkaer_median(y[sl], flat_share, None if clipped is None else clipped[sl]) for sl in parts]
    vals = [v for v in vals if v is not None]
    if not vals and clipped is not None:
        return immerkaer_sigma(y, flat_share, chunks)
    return float(np.median(vals)) if vals else 0.0


def noise_sigma(clip) -> float:
    """Immerkaer noise sigma (0-255 luma) of a clip's key frames at native resolution, away from clipped pixels
    (cached)."""
    return cached(
        clip,
        "noise_sigma",
        lambda: immerkaer_sigma(key_tiles(clip), chunks=tile_chunks(clip), clipped=key_clipped(clip)),
    )


@register_scorer("immerkaer_noise", dimension="noise")
class ImmerkaerNoise(Scorer):
    """Noise level: the standard deviation of additive noise estimated with Immerkaer's operator (Immerkaer 1996,
    "Fast noise variance estimation", CVIU 64(2):300-302) on the key frames' luma at native resolution (tiles
    of the frame, never resampled: resampling averages noise away).

    The Laplacian-difference operator responds to texture and edges as well as to noise, so the response is
    read only over the flattest 30 % of the pixels of each key frame (smallest central-difference gradient)
    and through its median rather than Immerkaer's mean absolute value (robust to the structure that still
    leaks; unbiased for Gaussian noise); the median over key frames is returned. Pixels next to a clipped one
    (crushed or blown, see :func:`~s2i_hf.scoring.estimators.common.key_clipped`) are left out: a clipped plateau
    is flat whatever the grain was. Sensor grain, film grain and ffmpeg's ``noise`` filter (temporal or fixed)
    all raise it; blur and strong compression lower it (they remove noise). Fine texture over the whole frame
    (foliage, a cellular-automaton pattern) still leaks in somewhat, more so when clipping leaves little flat
    area (a brightened photograph whose sky blew out: sigma 0.3 -> 3, still "excellent").

    Raw: sigma in 0-255 luma levels (about 0-1.5 on clean footage, 2-4 on visibly grainy footage, 10+ on very
    noisy footage; in steps of about 0.25 at low levels, since 8-bit responses are whole numbers). Lower is
    better; the catalogue calibration is a decreasing logistic.
    """

    version = "3"

    def measure(self, clip) -> float:
        return noise_sigma(clip)
