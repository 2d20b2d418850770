"""Content richness (ITU-T P.910 SI/TI) and composition (where the visual weight sits)."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import cached, cut_pairs, frame_diff_std, key_small_luma, small_stride
from .noise import noise_sigma


__all__ = ["sobel_magnitude", "spatial_information", "temporal_information", "SitiContent", "ThirdsComposition"]


def sobel_magnitude(y: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of each (H, W) image of a (K, H, W) stack (valid region, (K, H-2, W-2))."""
    a, b, c = y[:, :-2], y[:, 1:-1], y[:, 2:]
    sx = (a[:, :, 2:] - a[:, :, :-2]) + 2 * (b[:, :, 2:] - b[:, :, :-2]) + (c[:, :, 2:] - c[:, :, :-2])
    v = y[:, :, :-2] + 2 * y[:, :, 1:-1] + y[:, :, 2:]
    sy = v[:, 2:] - v[:, :-2]
    return np.hypot(sx, sy)


def _sobel(clip) -> np.ndarray:
    return cached(clip, "sobel_small", lambda: sobel_magnitude(key_small_luma(clip)))


def spatial_information(clip) -> float:
    """ITU-T P.910 SI: the maximum over key frames of the standard deviation of the Sobel magnitude (0-255
    luma, frames strided to <= 128 px)."""
    s = _sobel(clip)
    return float(s.reshape(s.shape[0], -1).std(axis=1).max()) if s.size else 0.0


def temporal_information(clip) -> float:
    """ITU-T P.910 TI: the maximum over consecutive pairs within a shot of the standard deviation of the frame
    difference (green channel at about 96 x 72 px, 0-255)."""
    s = frame_diff_std(clip)[~cut_pairs(clip)]  # a scene cut is not activity within the content
    return float(s.max()) if s.size else 0.0


@register_scorer("siti_content", dimension="content")
class SitiContent(Scorer):
    """Content richness from ITU-T Rec. P.910 spatial and temporal information: SI (std of the Sobel
    magnitude, max over key frames) and TI (std of the frame difference, max over consecutive pairs), 0-255
    luma on frames reduced to about 128 px (so values run lower than P.910's full-resolution SI/TI),
    combined as ln(1 + SI) + 0.5 ln(1 + TI).

    A proxy for how much there is to see (detail and activity). Whether content is *interesting or
    meaningful* is beyond a weight-free estimator, and no synthetic distortion validates it (blur lowers SI,
    noise raises it: neither changes how interesting a scene is). Raw: higher is richer (about 5-7.5 for
    natural footage, under 3 for nearly empty frames).
    """

    version = "3"

    def measure(self, clip) -> float:
        return float(np.log1p(spatial_information(clip)) + 0.5 * np.log1p(temporal_information(clip)))


# Each Sobel component turns white noise of sigma s into noise of sigma sqrt(12) s; the magnitude of the two
# stays under about 3 times that for 99 % of pixels. COMPOSITION_CORE x SOBEL_NOISE_GAIN x s is removed from it,
# and at least SOBEL_FLOOR (the Sobel magnitude of a ramp of one grey level per pixel is 8).
SOBEL_NOISE_GAIN, COMPOSITION_CORE, SOBEL_FLOOR = float(np.sqrt(12.0)), 3.5, 8.0
_POWER_POINTS = np.array([(1 / 3, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1 / 3), (2 / 3, 2 / 3), (0.5, 0.5)])


@register_scorer("thirds_composition", dimension="composition")
class ThirdsComposition(Scorer):
    """Composition: where the visual weight of each key frame sits. The centroid of the Sobel gradient energy
    (a saliency proxy) is compared with the rule-of-thirds power points and the centre (the nearest counts);
    median over key frames. After the rule-of-thirds feature of photo-aesthetics work (Datta, Joshi, Li & Wang
    2006, "Studying aesthetics in photographic images using a computational approach", ECCV; Liu, Chen, Wolf &
    Cohen-Or 2010, "Optimizing photo composition", Computer Graphics Forum 29(2)).

    The gradient magnitude is cored by the noise left in the small frames (``COMPOSITION_CORE`` x the Sobel
    response to that noise) and by ``SOBEL_FLOOR`` (a gradient under about one grey level per pixel): grain
    spreads gradient energy evenly over the frame and a smooth sky gradient over its whole height, and either
    would pull the centroid to the centre, so that a subject in a corner would read better than one on a
    power point. A left/right balance term is not used: a single subject on a third is the rule, not a flaw.
    A frame where nothing clears the coring keeps its faint structure's weight; a blank frame has nothing
    composed and reads as a subject in the corner.

    Raw: the distance of the centroid to the nearest power point or the centre, in frame units; lower is
    better. The calibration is geometric, not fitted: within about 0.15 of a power point or the centre reads
    good or better, a quarter frame off fair, a subject in a corner (0.3-0.47) poor or bad. A heuristic: no
    synthetic distortion validates composition, and a deliberately off-balance frame reads as poor.
    """

    version = "5"

    def measure(self, clip) -> float:
        e = _sobel(clip)
        if e.size == 0:
            return 0.0
        core = max(COMPOSITION_CORE * SOBEL_NOISE_GAIN * noise_sigma(clip) / small_stride(clip), SOBEL_FLOOR)
        cored = np.maximum(e - core, 0.0)
        # a frame where nothing stands out above the floor (heavy blur, fog) keeps its faint structure's weight;
        # a frame with no structure at all has nothing composed: it reads as the farthest placement (a corner)
        faint = cored.sum(axis=(1, 2)) <= 1e-6
        cored[faint] = e[faint]
        k, h, w = cored.shape
        tot = cored.sum(axis=(1, 2))
        blank = tot <= 1e-6
        tot = np.where(blank, 1.0, tot)
        cy = np.where(blank, 0.0, (cored.sum(axis=2) @ np.arange(h)) / tot / max(h - 1, 1))
        cx = np.where(blank, 0.0, (cored.sum(axis=1) @ np.arange(w)) / tot / max(w - 1, 1))
        dist = np.min(
            np.hypot(cy[:, None] - _POWER_POINTS[None, :, 0], cx[:, None] - _POWER_POINTS[None, :, 1]), axis=1
        )
        return float(np.median(dist))
