"""Tone and colour: two-sided exposure, Hasler-Suesstrunk colourfulness, contrast-based lighting."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import (
    CHANNEL_TOP,
    CLIP_LUMA_HIGH,
    CLIP_LUMA_LOW,
    cached,
    channel_extremes,
    key_highlights,
    key_shadows,
    key_small_luma,
    key_small_rgb,
    small_stride,
)
from .noise import immerkaer_sigma, noise_sigma


__all__ = [
    "colourfulness",
    "peak_chroma",
    "chroma_noise",
    "tone_stats",
    "crushed_detail",
    "exposure_penalty",
    "HaslerColorfulness",
    "PeakChromaColor",
    "TwoSidedExposure",
    "ContrastLighting",
]


def _opponent(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hasler & Suesstrunk's opponent axes of (..., 3) RGB: rg = R - G, yb = (R + G) / 2 - B."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return r - g, 0.5 * (r + g) - b


def colourfulness(rgb: np.ndarray) -> float:
    """Colourfulness M of Hasler & Suesstrunk 2003 ("Measuring colourfulness in natural images", SPIE 5007)
    of an (..., 3) RGB array in 0-255: with rg = R - G and yb = (R + G) / 2 - B,
    M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2). 0 for grey; about 15 'slightly',
    33 'moderately', 59 'quite', 82 'highly', 109+ 'extremely' colourful on the paper's scale."""
    rg, yb = _opponent(np.asarray(rgb, dtype=np.float64))
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
    """Luma statistics of the key frames (0-1 scale; median over key frames): 1st and 99th percentiles, the 99.9th
    at native resolution less the grain's lift (``highlights``: :func:`~.common.key_highlights`), mean, standard
    deviation and the shares of clipped plateaus (cached)."""

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
        channel_min, channel_max = channel_extremes(rgb)
        cmax, cmin = channel_max.reshape(k, -1), channel_min.reshape(k, -1)
        at_top = (flat >= top - tol) & (top >= CLIP_LUMA_HIGH)
        at_bottom = (flat <= bottom + tol) & (bottom <= CLIP_LUMA_LOW)
        blown = smooth & (at_top | ((flat >= CLIP_LUMA_HIGH) & (cmax >= CHANNEL_TOP)))
        colour_blown = smooth & (flat >= CLIP_LUMA_HIGH) & (cmax >= CHANNEL_TOP) & (cmin <= COLOUR_CLIP_MIN)
        crushed = smooth & (at_bottom | ((flat <= CLIP_LUMA_LOW) & (cmin <= 255.0 - CHANNEL_TOP)))
        sigma = noise_sigma(clip)  # grey levels at native resolution
        noise = sigma / 255.0 / small_stride(clip)
        unit = np.float32(1.0 / 255.0)
        # a flat run (a clear sky clipped in its blue channel, a backdrop) is not clipped *detail*: 0 there
        ceiling = np.where(smooth.reshape(y.shape), np.float32(0.0), channel_max * unit)
        return {
            **_content_tones(y, noise, channel_min * unit, ceiling),
            "p1": float(np.median(q[:, 1])),
            "p99": float(np.median(q[:, 2])),
            # less the grain's lift (HIGHLIGHT_NOISE_SIGMAS)
            "highlights": max(0.0, key_highlights(clip) - HIGHLIGHT_NOISE_SIGMAS * sigma / 255.0),
            # plus the grain's drop (SHADOW_NOISE_SIGMAS)
            "shadows": min(1.0, key_shadows(clip) + SHADOW_NOISE_SIGMAS * sigma / 255.0),
            "mean": float(np.median(flat.mean(axis=1))),
            "std": float(np.median(flat.std(axis=1))),
            "blown": float(np.median(blown.mean(axis=1))),
            "crushed": float(np.median(crushed.mean(axis=1))),
            "colour_blown": float(np.median(colour_blown.mean(axis=1))),
        }

    return cached(clip, "tone_stats", build)


# Content blocks (CONTENT_BLOCK px of the small key frames) are those whose luma standard deviation exceeds
# CONTENT_STD and CONTENT_NOISE x the noise sigma left after box averaging: where there is something to see. A
# flat studio backdrop or a clear sky is not content, and grain (averaged down) does not make it content.
CONTENT_BLOCK, CONTENT_STD, CONTENT_NOISE, CONTENT_MIN_SHARE = 8, 0.015, 2.5, 0.05
# Content pixels at or beyond these levels (widened by CONTENT_NOISE x the noise sigma: grain that lifts a black
# off zero does not un-crush it) are clipped detail: highlights blown, shadows crushed inside the content. A bright
# content pixel (luma >= CLIP_LUMA_HIGH) with a channel at its top code value (CHANNEL_TOP) is blown too, unless it
# lies in a flat run: over-exposure clips the brightest channel of a colour first (a pink dahlia under a luma gain
# of 2.8 turned cream at luma 0.95-0.98, none of it at 0.99, and read 0.79, "good"; now 0.09).
CONTENT_CLIP_HIGH, CONTENT_CLIP_LOW = 0.99, 0.01


def _blocks(a: np.ndarray) -> np.ndarray:
    """(K, H, W) -> (K, blocks, CONTENT_BLOCK**2): the whole CONTENT_BLOCK x CONTENT_BLOCK blocks, row by row."""
    b = CONTENT_BLOCK
    k, h, w = a.shape
    hb, wb = h // b, w // b
    return a[:, : hb * b, : wb * b].reshape(k, hb, b, wb, b).transpose(0, 1, 3, 2, 4).reshape(k, hb * wb, b * b)


def _content_tones(y: np.ndarray, noise: float, floor: np.ndarray, ceiling: np.ndarray) -> dict:
    """Tones of the content blocks of (K, H, W) luma in 0-1 (all pixels of a frame where under
    CONTENT_MIN_SHARE of its blocks hold content), median over frames: mean, 5th and 95th percentiles, the
    5th percentile of ``floor`` (each pixel's darkest RGB channel, 0-1) over the same pixels, and the shares of
    them clipped: blown (luma at white, or bright with its ``ceiling``, the brightest RGB channel, at its top
    code value) and crushed (luma at black)."""
    widen = CONTENT_NOISE * noise  # grain that moves a clipped pixel off its limit does not un-clip it
    blocks, floors, ceilings = _blocks(y), _blocks(floor), _blocks(ceiling)
    content = blocks.std(axis=2) > max(CONTENT_STD, widen)  # (K, 0) for frames under one block
    means, p5, p95, blown, crushed, floor5 = [], [], [], [], [], []
    for i in range(len(y)):
        sel = content[i] if content[i].size and content[i].mean() >= CONTENT_MIN_SHARE else None
        px, fpx, cpx = (
            (blocks[i, sel], floors[i, sel], ceilings[i, sel]) if sel is not None else (y[i], floor[i], ceiling[i])
        )
        px, cpx = px.ravel(), cpx.ravel()
        lo, hi = np.percentile(px, [5, 95])
        means.append(px.mean())
        p5.append(lo)
        p95.append(hi)
        floor5.append(np.percentile(fpx, 5))
        channel_clipped = (px >= CLIP_LUMA_HIGH - widen) & (cpx >= CHANNEL_TOP / 255.0 - widen)
        blown.append(np.mean((px >= CONTENT_CLIP_HIGH - widen) | channel_clipped))
        crushed.append(np.mean(px <= CONTENT_CLIP_LOW + widen))
    return {
        "content_mean": float(np.median(means)),
        "content_p5": float(np.median(p5)),
        "content_p95": float(np.median(p95)),
        "content_floor_p5": float(np.median(floor5)),
        "content_blown": float(np.median(blown)),
        "content_crushed": float(np.median(crushed)),
    }


# Where well-exposed footage sits (0-1 luma): blacks reach below BLACK, whites above WHITE, the mean inside
# [MEAN_LOW, MEAN_HIGH]. Each level term is zero inside this zone and grows outside it. Clipped plateaus up to
# CLIP_FLOOR of the frame (a specular highlight, a black logo) are free; beyond, they weigh CLIP_WEIGHT.
BLACK, WHITE, MEAN_LOW, MEAN_HIGH = 0.15, 0.60, 0.25, 0.62
CLIP_FLOOR, CLIP_WEIGHT = 0.02, 3.0
# Plateaus count as clipped at luma >= CLIP_LUMA_HIGH (<= CLIP_LUMA_LOW), see tone_stats; an RGB channel from
# CHANNEL_TOP is saturated (common.py: the clipped pixels that the noise estimate leaves out are the same).
# A bright plateau with one channel at the top and another at or under COLOUR_CLIP_MIN is a clipped *colour* (a
# blown yellow or orange): over-exposure whatever the content, unlike a near-white sky.
COLOUR_CLIP_MIN = 160.0
# A black level above BLACK says "over-exposed" only when the whites are high too: the content's p95 from GATE_WHITE,
# fully from GATE_WHITE + GATE_SPAN, or the frame's native highlights reaching white (HIGHLIGHTS_DIM ->
# HIGHLIGHTS_KEPT: a night sky lifted to grey under stars clipped white is washed out, though its content is dark).
# A white level under WHITE says "under-exposed" only when the blacks are low too (the content's p5, or the frame's
# native shadows where lower: thin black letters read grey on the small frames, under GATE_BLACK, fully under
# GATE_BLACK - GATE_SPAN). A low-contrast frame centred in the range (fog, haze, a flat texture) has both a high
# black level and a low white level: that is a lighting (contrast) matter, not an exposure error, and neither side
# fires.
GATE_WHITE, GATE_BLACK, GATE_SPAN = 0.70, 0.30, 0.20


# Clipped plateaus count as over- (under-) exposure as the content itself sits bright (dark): not at all for
# content mean <= CLIP_GATE_BRIGHT (>= CLIP_GATE_DARK), fully CLIP_GATE_SPAN beyond. A blown sky above
# well-exposed content, or a black backdrop behind it, is not an exposure error.
CLIP_GATE_BRIGHT, CLIP_GATE_DARK, CLIP_GATE_SPAN = 0.55, 0.25, 0.15


# Under-exposure counts only as the frame's highlights (its 99.9th luma percentile at native resolution) sit dim:
# fully at or under HIGHLIGHTS_DIM, not at all from HIGHLIGHTS_KEPT. Less light darkens the whole range: a gain
# keeps black at black and dims the whites without clipping anything, a brightness offset that crushes the shadows
# takes the whites down as far (-0.12 leaves white at 0.88; no darkened or gained-down clip of the corpus, the probes
# or the exposure scenes goes above 0.88). Dark tones under whites that still reach the top are the scene's: a black
# backdrop, deep shadows in a high-contrast scene, a night sky. A bright photo pasted on RGB 0 read "very poor" (its
# edge blocks hold the backdrop) though every pixel of the photo is well exposed, and a star field read 0.00 on every
# under-exposure term. Native resolution, because stars and lamps are a few pixels wide: box-averaged to the small
# frames a star field's 99.9th percentile reads 0.81 (0.999 native).
HIGHLIGHTS_DIM, HIGHLIGHTS_KEPT = 0.90, 0.97
# The highlights are read less HIGHLIGHT_NOISE_SIGMAS x the clip's noise sigma (the top 0.1 % of Gaussian grain lies
# 3.1 sigma up). Grain lifts the top pixels (+0.08 to +0.21 on real clips darkened by 0.22, grain of sigma 11-24), and
# read as they came they let grain undo under-exposure: a bright photo on RGB 0 dimmed by a gain of 0.9 read 0.22, and
# 0.86 under grain of sigma 16 (now 0.25). It costs grainy clips whose whites do reach the top a little: a photo on a
# near-black backdrop under the corpus' severe grain reads 0.79-0.86 instead of 0.96.
HIGHLIGHT_NOISE_SIGMAS = 3.0


def _ramp(x: float, start: float, span: float) -> float:
    """0 at ``start``, 1 at ``start + span`` (``span`` < 0: a ramp downwards), linear between; the gates below."""
    return min(max((x - start) / span, 0.0), 1.0)


# Over-exposure read from the content's tones (its mean, its lifted darkest channel, white plateaus at the frame's top
# level) counts only as the frame's shadows sit lifted: its 0.5th luma percentile at native resolution, plus
# SHADOW_NOISE_SIGMAS x the clip's noise sigma (the bottom 0.5 % of Gaussian grain lies 2.6 sigma down), not at all up
# to SHADOWS_DEEP, fully from SHADOWS_LIFTED. More light (an offset, a gamma, a gain that clips) lifts the blacks with
# the whites; a scene that keeps black ink, lines or shadows under bright tones is bright, not over-exposed: a page of
# dark text on paper at 235 read "bad" (its letters, a pixel or two wide, read grey on the small frames). Clipped
# *content* (detail at white) and clipped colours count whatever the shadows. Undamaged corpus clips read 0.01-0.11
# (soft footage 0.10, a page 0.07); brightened by the corpus' mildest offset (0.12) 0.12-0.23.
SHADOWS_DEEP, SHADOWS_LIFTED, SHADOW_NOISE_SIGMAS = 0.10, 0.14, 2.6


def shadows_lifted(s: dict) -> float:
    """How far the frame's shadows (``shadows`` of :func:`tone_stats`) sit lifted: 0 up to SHADOWS_DEEP, 1 from
    SHADOWS_LIFTED. Over-exposure evidence from the content's tones is scaled by it."""
    return _ramp(s["shadows"], SHADOWS_DEEP, SHADOWS_LIFTED - SHADOWS_DEEP)


def highlights_dim(s: dict) -> float:
    """How far the frame's highlights (``highlights`` of :func:`tone_stats`) sit dim: 1 at or under HIGHLIGHTS_DIM,
    0 from HIGHLIGHTS_KEPT. Under-exposure evidence is scaled by it."""
    return _ramp(s["highlights"], HIGHLIGHTS_KEPT, HIGHLIGHTS_DIM - HIGHLIGHTS_KEPT)


def crushed_detail(s: dict) -> tuple[float, float]:
    """(plateaus, content) crushed shares of :func:`tone_stats` that count as lost shadows: both scaled by
    :func:`highlights_dim`."""
    dim = highlights_dim(s)
    return dim * s["crushed"], dim * s["content_crushed"]


def exposure_penalty(s: dict) -> tuple[float, float]:
    """(over, under) exposure evidence from :func:`tone_stats`; each is 0 for well-exposed footage."""
    dim = highlights_dim(s)
    whites_high = max(_ramp(s["content_p95"], GATE_WHITE, GATE_SPAN), 1.0 - dim)
    blacks_low = _ramp(min(s["content_p5"], s["shadows"]), GATE_BLACK, -GATE_SPAN)
    cm = s["content_mean"]
    bright = _ramp(cm, CLIP_GATE_BRIGHT, CLIP_GATE_SPAN)
    dark = _ramp(cm, CLIP_GATE_DARK, -CLIP_GATE_SPAN)
    lift = shadows_lifted(s)
    over = CLIP_WEIGHT * max(
        lift * bright * max(0.0, s["blown"] - CLIP_FLOOR),
        s["content_blown"] - CLIP_FLOOR,
        s["colour_blown"] - CLIP_FLOOR,
    ) + lift * (2.0 * whites_high * max(0.0, s["content_floor_p5"] - BLACK) + 2.0 * max(0.0, cm - MEAN_HIGH))
    crushed, content_crushed = crushed_detail(s)
    under = CLIP_WEIGHT * max(dark * max(0.0, crushed - CLIP_FLOOR), content_crushed - CLIP_FLOOR) + dim * (
        2.0 * blacks_low * max(0.0, WHITE - s["content_p95"]) + 2.0 * max(0.0, MEAN_LOW - cm)
    )
    return over, under


@register_scorer("two_sided_exposure", dimension="exposure")
class TwoSidedExposure(Scorer):
    """Exposure, two-sided, judged on the content: over- and under-exposure evidence from the tones of the
    parts of the key frames that hold something to see.

    *Content* is the 8 x 8 blocks (of the key frames box-averaged to <= 128 px) whose luma varies more than the noise
    can explain; a flat studio backdrop or a clear sky is not content, and grain, averaged down, does not make it
    content. On the content's tones: lifted shadows (the 5th percentile of each pixel's darkest RGB channel above 0.15,
    counted as the highlights rise, luma 95th percentile 0.7 -> 0.9 or the frame's native highlights below:
    over-exposure washes every channel out, while a saturated blue keeps a dark red channel whatever its luma) and a
    mean above 0.62 say over-exposed, and both count (as do white plateaus at the frame's top level) only as the
    frame's shadows sit lifted (its 0.5th luma percentile at native resolution, plus 2.6 noise sigmas, 0.10 -> 0.14:
    more light lifts the blacks with the whites, so bright tones over black ink, lines or shadows are a page, a slide
    or a high-key scene, not over-exposure); dimmed highlights (95th percentile under 0.60, counted as its shadows
    fall, 5th percentile or native shadows 0.3 -> 0.1) and a mean under 0.25 say under-exposed; content pixels clipped
    to white (>= 0.99, or >= 0.9 with a channel at its top code value outside flat runs: over-exposure clips a colour's
    brightest channel first) or black (<= 0.01) beyond 2 % weigh 3x. Every under-exposure term counts only as the
    frame's highlights sit dim (its 99.9th luma percentile at native resolution, less 3 noise sigmas, 0.97 -> 0.90:
    less light takes the whites down with the blacks, so dark tones under whites that still reach the top are a black
    backdrop, deep shadows or a night sky under its stars, not under-exposure). Flat clipped plateaus of the whole
    frame (at the frame's top level near white, or near black) count only as the content itself sits bright (mean 0.55
    -> 0.70) or dark (0.25 -> 0.10), so a blown sky over well-exposed content or a black backdrop behind it is not an
    exposure error; a clipped *colour* (a bright plateau with one channel at its top code value and another under 160:
    a blown yellow) counts whatever the content. A subject on a flat *clipped* white background still reads
    over-exposed: the content blocks along its edges hold the clipped white too. Mean luma, clipped fractions and tone
    percentiles are the classic exposure statistics (camera auto-exposure metering, the clipping checks of broadcast
    QC); the content blocks, gates and zones are our design. The gates keep a low-contrast frame centred in the range
    (fog, a flat texture: high shadows *and* low highlights) from reading as over- or under-exposed; that is a lighting
    matter.

    Raw: over + under, a penalty >= 0 (0 well exposed; above ~0.3 clearly over- or under-exposed). Lower is better. A
    mild change of a well-exposed clip may not register (it stays in the zone); a high-key scene shot on purpose
    without deep blacks can read as over-exposed, and a dark scene whose brightest things (lamps, stars) still clip
    reads well exposed, however dim the rest.
    """

    version = "11"

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

    version = "3"

    def measure(self, clip) -> float:
        rgb = key_small_rgb(clip)
        return float(np.log1p(np.median([colourfulness(f) for f in rgb])))


# Chroma within CHROMA_CORE x the chroma noise sigma of zero is noise, not colour: the magnitude of two Gaussian
# opponent axes of sigma s is Rayleigh, 99 % of it under 3.03 s.
CHROMA_CORE = 3.5


def chroma_noise(rgb: np.ndarray) -> float:
    """Noise sigma of the opponent axes of a (K, H, W, 3) RGB stack in 0-255 (Immerkaer's estimator on each
    axis, :func:`~s2i_hf.scoring.estimators.noise.immerkaer_sigma`, root mean square of the two)."""
    rg, yb = _opponent(np.asarray(rgb, dtype=np.float32))
    return float(np.sqrt(0.5 * (immerkaer_sigma(rg) ** 2 + immerkaer_sigma(yb) ** 2)))


def peak_chroma(rgb: np.ndarray, q: float = 99.0, noise: float = 0.0) -> float:
    """The ``q``-th percentile of the opponent-colour chroma sqrt(rg^2 + yb^2) (rg = R - G, yb = (R + G) / 2 - B,
    Hasler & Suesstrunk's axes) of an (..., 3) RGB array in 0-255, cored by ``CHROMA_CORE x noise`` (the
    chroma noise sigma): grain in the chroma does not pass for colour."""
    rg, yb = _opponent(np.asarray(rgb, dtype=np.float32))
    return float(max(0.0, np.percentile(np.sqrt(rg * rg + yb * yb), q) - CHROMA_CORE * noise))


@register_scorer("peak_chroma_color", dimension="color")
class PeakChromaColor(Scorer):
    """Colour vividness: how saturated the most colourful parts of the frame are. The 99th percentile of the
    chroma on Hasler & Suesstrunk's opponent axes (Hasler & Suesstrunk 2003, "Measuring colourfulness in
    natural images", SPIE 5007), median over the key frames (box-averaged to at most 128 px), less 3.5 x the
    chroma noise sigma: strong chroma grain on a greyscale frame would otherwise read as vivid colour.

    Hasler's global M (``hasler_colorfulness``) mixes *how much* of the frame is coloured with *how strongly*:
    a muted street scene then reads like a vivid flower at a tenth of its saturation (both M ~ 11 on the
    label-calibration corpus). A natural scene with muted colours still holds some saturated objects, while a
    desaturated grade lowers every pixel's chroma alike; the high percentile follows that (bikes pristine 32 vs
    flower at saturation 0.1: 19). Raw: ln(1 + chroma p99) (0 for greyscale; about 3.4-5.3 on colour footage).
    Higher is better. Colour harmony and a deliberate muted grade are beyond a weight-free estimator.
    """

    version = "2"

    def measure(self, clip) -> float:
        rgb = key_small_rgb(clip)
        noise = chroma_noise(rgb)
        return float(np.log1p(np.median([peak_chroma(f, noise=noise) for f in rgb])))


@register_scorer("contrast_lighting", dimension="lighting")
class ContrastLighting(Scorer):
    """Lighting: how well contrasted the frames are. The RMS contrast (standard deviation of luma in [0, 1];
    Peli 1990, "Contrast in complex images", JOSA A 7(10)) of the key frames, minus half the share of the
    *content* that is clipped (blown highlights and crushed shadows inside the parts of the frame that hold
    detail are lost contrast; crushed shadows as :func:`crushed_detail` counts them), minus half how far the
    content's mean luma leaves [0.25, 0.70] (murky or glaring light). Content tones are those of
    :func:`tone_stats` (blocks with detail above the noise): a black studio backdrop or a clear sky behind a
    well-lit subject is not murky or glaring light, and grain that lifts a black backdrop off zero does not make
    the lighting better.

    Raw: higher is better; about 0.15-0.3 for well-lit footage, under 0.1 for flat, foggy or murky light.
    Aesthetic dimension: the pleasantness of light (direction, softness, mood) is not measured and no synthetic
    distortion validates it; contrast reductions and strong exposure changes do lower it.
    """

    version = "7"

    def measure(self, clip) -> float:
        s = tone_stats(clip)
        cm = s["content_mean"]
        off = max(0.0, 0.25 - cm) + max(0.0, cm - 0.70)
        return float(s["std"] - 0.5 * (s["content_blown"] + crushed_detail(s)[1]) - 0.5 * off)
