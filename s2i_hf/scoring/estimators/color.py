"""Tone and colour: two-sided exposure, Hasler-Suesstrunk colourfulness, contrast-based lighting."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import cached, key_small_luma, key_small_rgb

__all__ = ["colourfulness", "tone_stats", "exposure_penalty", "HaslerColorfulness", "TwoSidedExposure", "ContrastLighting"]


def colourfulness(rgb: np.ndarray) -> float:
    """Colourfulness M of Hasler & Suesstrunk 2003 ("Measuring colourfulness in natural images", SPIE 5007)
    of an (..., 3) RGB array in 0-255: with rg = R - G and yb = (R + G) / 2 - B,
    M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2). 0 for grey; about 15 'slightly',
    33 'moderately', 59 'quite', 82 'highly', 109+ 'extremely' colourful on the paper's scale."""
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


def _smooth(y: np.ndarray) -> np.ndarray:
    """(K, H*W) mask of pixels whose right and lower neighbours differ by under one grey level (y in 0-1)."""
    g = np.zeros_like(y)
    g[:, :, :-1] = np.abs(np.diff(y, axis=2))
    g[:, :-1, :] = np.maximum(g[:, :-1, :], np.abs(np.diff(y, axis=1)))
    return (g < 1.0 / 255.0).reshape(y.shape[0], -1)


def _percentiles(levels: np.ndarray, qs) -> np.ndarray:
    """(K, len(qs)) percentiles (0-1 scale, 1/255 resolution) of (K, N) integer grey levels, from histograms."""
    k, n = levels.shape
    hist = np.bincount((levels + 256 * np.arange(k)[:, None]).ravel(), minlength=256 * k).reshape(k, 256)
    cdf = np.cumsum(hist, axis=1)
    return np.stack([(cdf < q / 100.0 * n).sum(axis=1) for q in qs], axis=1) / 255.0


def tone_stats(clip) -> dict:
    """Luma statistics of the key frames (0-1 scale; median over key frames): 1st/99th percentiles, mean,
    standard deviation and the shares of clipped plateaus (cached)."""
    def build():
        rgb = key_small_rgb(clip)
        y = key_small_luma(clip) * np.float32(1.0 / 255.0)
        k = y.shape[0]
        flat = y.reshape(k, -1)
        levels = np.clip(np.rint(flat * 255.0), 0, 255).astype(np.int64)
        q = _percentiles(levels, (0.1, 1, 99, 99.9))
        # Clipped regions are flat plateaus (neighbours differ by under one grey level) that are either
        # - at the frame's extreme level, when that level is near white (near black): tied to the frame's own
        #   extremes, a blown window stays counted when the frame is darkened a little, and crushed shadows
        #   when it is brightened; or
        # - bright (luma >= 0.9) with a colour channel at its top code value (dark, luma <= 0.1, with a channel
        #   at 0): a clipped *coloured* highlight need not be the frame's top level (a yellow at luma 0.9 lies
        #   under a white at 1.0), and without this a gain that clips it further could hide it again. The
        #   channel test keeps smooth, unclipped bright skies out.
        tol = 1.5 / 255.0
        smooth = _smooth(y)
        top, bottom = q[:, 3:4], q[:, 0:1]
        cmax = rgb.max(axis=-1).reshape(k, -1)
        cmin = rgb.min(axis=-1).reshape(k, -1)
        at_top = (flat >= top - tol) & (top >= CLIP_LUMA_HIGH)
        at_bottom = (flat <= bottom + tol) & (bottom <= CLIP_LUMA_LOW)
        blown = smooth & (at_top | ((flat >= CLIP_LUMA_HIGH) & (cmax >= CHANNEL_TOP)))
        crushed = smooth & (at_bottom | ((flat <= CLIP_LUMA_LOW) & (cmin <= 255.0 - CHANNEL_TOP)))
        return {
            "p1": float(np.median(q[:, 1])),
            "p99": float(np.median(q[:, 2])),
            "mean": float(np.median(flat.mean(axis=1))),
            "std": float(np.median(flat.std(axis=1))),
            "blown": float(np.median(blown.mean(axis=1))),
            "crushed": float(np.median(crushed.mean(axis=1))),
        }

    return cached(clip, "tone_stats", build)


# Where well-exposed footage sits (0-1 luma): blacks reach below BLACK, whites above WHITE, the mean inside
# [MEAN_LOW, MEAN_HIGH]. Each level term is zero inside this zone and grows outside it. Clipped plateaus up to
# CLIP_FLOOR of the frame (a specular highlight, a black logo) are free; beyond, they weigh CLIP_WEIGHT.
BLACK, WHITE, MEAN_LOW, MEAN_HIGH = 0.15, 0.60, 0.25, 0.62
CLIP_FLOOR, CLIP_WEIGHT = 0.02, 3.0
# Plateaus count as clipped at luma >= CLIP_LUMA_HIGH (<= CLIP_LUMA_LOW), see tone_stats; CHANNEL_TOP is the
# code value from which an RGB channel counts as saturated (decoders round limited-range white to 254-255).
CLIP_LUMA_HIGH, CLIP_LUMA_LOW, CHANNEL_TOP = 0.9, 0.1, 254.0
# A black level above BLACK says "over-exposed" only when the whites are high too (p99 from GATE_WHITE, fully
# from GATE_WHITE + GATE_SPAN); a white level under WHITE says "under-exposed" only when the blacks are low
# too (p1 under GATE_BLACK, fully under GATE_BLACK - GATE_SPAN). A low-contrast frame centred in the range
# (fog, haze, a flat texture) has both a high black level and a low white level: that is a lighting
# (contrast) matter, not an exposure error, and neither side fires.
GATE_WHITE, GATE_BLACK, GATE_SPAN = 0.70, 0.30, 0.20


def exposure_penalty(s: dict) -> tuple[float, float]:
    """(over, under) exposure evidence from :func:`tone_stats`; each is 0 for well-exposed footage."""
    whites_high = min(max((s["p99"] - GATE_WHITE) / GATE_SPAN, 0.0), 1.0)
    blacks_low = min(max((GATE_BLACK - s["p1"]) / GATE_SPAN, 0.0), 1.0)
    over = (CLIP_WEIGHT * max(0.0, s["blown"] - CLIP_FLOOR) + 2.0 * whites_high * max(0.0, s["p1"] - BLACK)
            + 2.0 * max(0.0, s["mean"] - MEAN_HIGH))
    under = (CLIP_WEIGHT * max(0.0, s["crushed"] - CLIP_FLOOR) + 2.0 * blacks_low * max(0.0, WHITE - s["p99"])
             + 2.0 * max(0.0, MEAN_LOW - s["mean"]))
    return over, under


@register_scorer("two_sided_exposure", dimension="exposure")
class TwoSidedExposure(Scorer):
    """Exposure, two-sided: over- and under-exposure evidence from the key frames' luma histogram.

    Over-exposure: blown highlights (flat plateaus at the frame's top level when that level is near white, or
    flat, bright plateaus with a colour channel saturated), lifted blacks (1st percentile above 0.15: the
    washed-out look of a brightness offset, counted as the whites also rise, 99th percentile 0.7 -> 0.9) and a
    mean above 0.62. Under-exposure: crushed shadows (the mirror image of blown highlights), dimmed whites
    (99th percentile below 0.60: the look of a gain below one, counted as the blacks also fall, 1st percentile
    0.3 -> 0.1) and a mean below 0.25. Clipped fractions and mean luma are the classic exposure statistics
    (camera auto-exposure metering, the clipping checks of broadcast QC); the plateau test, the black/white
    level terms, their gates and the zones are our design, so that brightening *and* darkening, by an offset
    or by a gain, raise the penalty from well-exposed footage: plateaus are tied to the frame's own extremes
    (a blown window stays counted when the frame is darkened a little, crushed shadows when it is brightened)
    and to saturated channels (a clipped yellow stays counted under a brighter white), and every term is zero
    inside a zone typical of well-exposed footage, so neither side can hide the other. The gates keep a
    low-contrast frame centred in the range (fog, a flat texture: high blacks *and* low whites) from reading
    as over- or under-exposed; that is a lighting matter. Plateaus up to 2 % of the frame (a specular
    highlight, a black logo) are free; beyond that they weigh 3x.

    Raw: over + under, a penalty >= 0 (0 well exposed; above ~0.3 clearly over- or under-exposed). Lower is
    better. A mild change of a well-exposed clip may not register (it stays in the zone: a no-reference
    two-sided measure either ties there or rewards moves towards its optimum); a low-key (dusk, night) or
    high-key scene shot on purpose can read as under- or over-exposed; a clip whose pristine version already
    clips (a blown window) can read slightly *better* after a mild darkening that lifts the plateau off white.
    """

    version = "3"

    def measure(self, clip) -> float:
        over, under = exposure_penalty(tone_stats(clip))
        return float(over + under)


@register_scorer("hasler_colorfulness", dimension="color")
class HaslerColorfulness(Scorer):
    """Colour vividness: the colourfulness M of Hasler & Suesstrunk 2003 ("Measuring colourfulness in natural
    images", SPIE 5007), which the authors found to correlate at about 0.95 with perceived colourfulness;
    median over the key frames (strided to at most 128 px: M is a global statistic).

    Raw: ln(1 + M); M is 0 for greyscale, ~15 slightly, ~33 moderately, ~59 quite, ~82 highly colourful.
    Higher is better. Only vividness is measured: colour *harmony* and a deliberate muted grade are beyond a
    weight-free estimator. Desaturation (``eq=saturation``, ``hue=s``) validates it; nothing synthetic
    validates harmony.
    """

    version = "2"

    def measure(self, clip) -> float:
        rgb = key_small_rgb(clip)
        return float(np.log1p(np.median([colourfulness(f) for f in rgb])))


@register_scorer("contrast_lighting", dimension="lighting")
class ContrastLighting(Scorer):
    """Lighting: how well contrasted the frames are. The RMS contrast (standard deviation of luma in [0, 1];
    Peli 1990, "Contrast in complex images", JOSA A 7(10)) of the key frames, minus half the clipped share
    (blown highlights and crushed shadows are lost contrast), minus half how far the mean luma leaves
    [0.25, 0.70] (murky or glaring light).

    Raw: higher is better; about 0.15-0.3 for well-lit footage, under 0.1 for flat, foggy or murky light.
    Aesthetic dimension: the pleasantness of light (direction, softness, mood) is not measured and no synthetic
    distortion validates it; contrast reductions and strong exposure changes do lower it.
    """

    version = "2"

    def measure(self, clip) -> float:
        s = tone_stats(clip)
        off = max(0.0, 0.25 - s["mean"]) + max(0.0, s["mean"] - 0.70)
        return float(s["std"] - 0.5 * (s["blown"] + s["crushed"]) - 0.5 * off)
