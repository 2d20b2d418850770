"""Sharpness and focus: the Crete-Roffet perceptual blur, restricted to structure that stands above the noise."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import cached, key_tiles, region_grid, region_sums, tile_chunks
from .noise import noise_sigma


__all__ = ["crete_roffet_blur", "edge_blur_sums", "region_sharpness", "CreteRoffetSharpness", "TileFocus"]


def crete_roffet_blur(y: np.ndarray) -> np.ndarray:
    """The no-reference perceptual blur of Crete, Dolmiere, Ladret & Nicolas 2007 ("The blur effect:
    perception and estimation with a new no-reference perceptual blur metric", SPIE 6492) of each (H, W)
    image of a (K, H, W) stack, in [0, 1] (0 sharp, 1 fully blurred).

    The image is re-blurred with a 9-tap box filter along each axis; the variation that re-blurring removes
    is large for a sharp image and small for one that is already blurred. Per axis:
    ``b = (sum|dF| - sum max(0, |dF| - |dB|)) / sum|dF|``; the blur is the larger of the two axes. An image
    with no variation along either axis counts as fully blurred.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y[None]
    out = []
    for axis in (1, 2):
        sf, sv = _axis_sums(y, axis, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(sf > 1e-6, (sf - sv) / np.where(sf > 1e-6, sf, 1.0), np.nan))
    both = np.stack(out)
    flat = np.all(np.isnan(both), axis=0)
    return np.where(flat, 1.0, np.nanmax(np.where(np.isnan(both), -np.inf, both), axis=0))


def _axis_maps(y: np.ndarray, axis: int, tau: float | None, core: float = 0.0):
    """Per pixel along ``axis``: |dF| and max(0, |dF| - |dB|), where B is the 9-tap box re-blur (both zero
    where |dB| <= tau); with ``core`` > 0, |dF| is first cored to max(0, |dF| - core) (variation within the
    noise's reach is not counted as detail). The difference of a 9-tap moving average is one long difference,
    dB[j] = (y[j+5] - y[j-4]) / 9, so no filtering pass is needed. Only positions whose 9-tap window fits
    inside the image are kept (the maps are 9 pixels shorter along ``axis``)."""
    n = y.shape[axis]
    if n < 11:
        shape = list(y.shape)
        shape[axis] = 0
        z = np.zeros(shape, dtype=np.float32)
        return z, z

    def sl(a, b):
        return tuple(slice(a, b) if ax == axis else slice(None) for ax in range(y.ndim))

    df = np.abs(y[sl(5, n - 4)] - y[sl(4, n - 5)])
    db = np.abs(y[sl(9, n)] - y[sl(0, n - 9)]) * np.float32(1.0 / 9.0)
    if core > 0:
        df = np.maximum(df - np.float32(core), 0.0)
    v = np.maximum(df - db, 0.0)
    if tau is not None:
        m = (db > tau) & ~_touches_clipping(y, axis) & _inside_coding_blocks(n, axis, y.ndim)
        df *= m
        v *= m
    return df, v


# Block-based codecs (MPEG-2 to AV1) code each frame in blocks on an 8-pixel grid; the images measured here are
# native-resolution frames or tiles aligned to that grid (``key_tiles``).
CODING_BLOCK = 8


def _inside_coding_blocks(n: int, axis: int, ndim: int) -> np.ndarray:
    """False where the neighbour pair of :func:`_axis_maps` (pixels j + 4 and j + 5) straddles a coding-block
    boundary. Heavy quantisation flattens each block and leaves a step at its boundary, which reads as a crisp
    edge: x264 at CRF 45-51 raised sharpness and motion blur by up to +0.17 on a soft real clip (label-calibration
    corpus). One pair in eight is left out, so unblocked content measures the same."""
    j = np.arange(n - 9)
    shape = [1] * ndim
    shape[axis] = n - 9
    return ((j + 5) % CODING_BLOCK != 0).reshape(shape)


# Luma at or beyond these levels (0-255) is clipped: crushed to black or blown to white.
CLIPPED_LOW, CLIPPED_HIGH = 1.0, 254.0


def _touches_clipping(y: np.ndarray, axis: int) -> np.ndarray:
    """Where the 10-pixel window of :func:`_axis_maps` (the box re-blur and the neighbour difference) holds a
    clipped pixel. Next to a plateau of crushed blacks or blown whites a soft gradient keeps its neighbour
    differences while the re-blurred difference shrinks, so it would pass for a crisp edge: darkening or
    brightening a clip until it clips raised sharpness and motion blur by up to +0.27 (label-calibration corpus).
    Such windows are not evidence about blur either way and are left out."""
    clipped = (y <= CLIPPED_LOW) | (y >= CLIPPED_HIGH)
    n = y.shape[axis]
    if not clipped.any():
        shape = list(y.shape)
        shape[axis] = max(n - 9, 0)
        return np.zeros(shape, dtype=bool)
    cs = np.cumsum(clipped, axis=axis, dtype=np.int32)
    zero = np.zeros_like(np.take(cs, [0], axis=axis))
    cs = np.concatenate([zero, cs], axis=axis)  # cs[k] = clipped pixels before position k
    hi = np.take(cs, np.arange(10, n + 1), axis=axis)
    lo = np.take(cs, np.arange(0, n - 9), axis=axis)
    return (hi - lo) > 0


def _axis_sums(y: np.ndarray, axis: int, tau: float | None):
    """Per image: sum |dF| and sum max(0, |dF| - |dB|) along ``axis``, over the pixels where |dB| > tau."""
    df, v = _axis_maps(y, axis, tau)
    return df.sum(axis=(1, 2), dtype=np.float64), v.sum(axis=(1, 2), dtype=np.float64)


TAU_MAX = 16.0  # grey levels; beyond this the noise estimate is more likely pattern than noise
# |dF| is cored by CORE_SIGMAS x the noise sigma: the neighbour difference of Gaussian noise of sigma s is
# half-normal with scale s * sqrt(2), so 3.5 s leaves about 1 % of pure-noise differences; grain then no longer
# passes for detail inside the edge pixels (the label-calibration corpus: sharpness and motion blur rose by up to
# +0.3 under added grain without it)
CORE_SIGMAS = 3.5


def edge_thresholds(sigma: float) -> tuple[float, float]:
    """(tau, core) for a clip of noise ``sigma`` (grey levels): the re-blurred gradient an edge pixel must exceed
    (at least 1, at most TAU_MAX) and the coring of |dF| (CORE_SIGMAS x sigma, sigma capped at 2 x TAU_MAX)."""
    return min(max(1.0, sigma), TAU_MAX), CORE_SIGMAS * min(sigma, 2 * TAU_MAX)


def edge_blur_sums(clip) -> np.ndarray:
    """(regions, 2 axes, 2): Crete-Roffet sums (sum |dF|, sum of the variation re-blurring removes) over edge
    pixels only, i.e. where the re-blurred gradient exceeds the clip's noise sigma (at least 1, at most 16 grey
    levels: the difference of two 9-pixel means of noise of sigma 25 rarely exceeds 16).
    Re-blurring averages noise away, so this keeps the structure and drops the pixels where noise would pass
    for detail. Regions are the native-resolution tiles, or a 4 x 4 split of each key frame when the frames
    are small enough to be used whole."""

    def build():
        y = key_tiles(clip)
        tau, core = edge_thresholds(noise_sigma(clip))
        grid = region_grid(y)
        out = np.empty((y.shape[0] * grid * grid, 2, 2))
        for sl in tile_chunks(clip):  # frame by frame: small temporaries
            rows = slice(sl.start * grid * grid, sl.stop * grid * grid)
            for a, axis in enumerate((1, 2)):
                df, v = _axis_maps(y[sl], axis, tau, core)
                out[rows, a, 0] = region_sums(df, grid)
                out[rows, a, 1] = region_sums(v, grid)
        return out

    return cached(clip, "edge_blur_sums", build)


def region_sharpness(sums: np.ndarray) -> np.ndarray:
    """Per region: 1 - Crete-Roffet blur of the worse axis, NaN where a region holds no edge."""
    sf, sv = sums[:, :, 0], sums[:, :, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        sharp = np.where(sf > 1e-6, sv / np.where(sf > 1e-6, sf, 1.0), np.inf)
    sharp = sharp.min(axis=1)
    return np.where(np.isfinite(sharp), sharp, np.nan)


def pooled_sharpness(sums: np.ndarray) -> float:
    """1 - the Crete-Roffet blur of sums pooled over regions (the worse axis); 0 when there is no edge."""
    total = sums.sum(axis=0)  # (2 axes, 2)
    ratios = [total[a, 1] / total[a, 0] for a in range(2) if total[a, 0] > 1e-6]
    return float(min(ratios)) if ratios else 0.0


@register_scorer("crete_roffet_sharpness", dimension="sharpness")
class CreteRoffetSharpness(Scorer):
    """Sharpness of fine detail: 1 - the Crete-Roffet no-reference perceptual blur (Crete, Dolmiere, Ladret &
    Nicolas 2007, "The blur effect: perception and estimation with a new no-reference perceptual blur
    metric", SPIE 6492), on the key frames' luma at native resolution.

    It is the share of the variation between neighbouring pixels that a 9-tap re-blur removes: much on a
    sharp frame, little on a blurred one. Noise also loses variation under re-blurring and would pass for
    detail (noise looks "sharp"), so the sums are restricted to edge pixels, where the re-blurred gradient
    exceeds the clip's Immerkaer noise sigma (shared with ``immerkaer_noise``): added noise then does not
    raise sharpness (strong noise lowers it a little, as it does for a viewer). The sums are pooled over all
    tiles of all key frames, so edge-rich regions dominate and flat sky does not count.

    Raw: 1 - blur in [0, 1], higher is sharper (about 0.35-0.85 on sharp footage, under 0.25 after a Gaussian
    blur of sigma 2-3 px). Content without any edge reads as blurred (0).
    """

    version = "5"

    def measure(self, clip) -> float:
        return pooled_sharpness(edge_blur_sums(clip))


@register_scorer("tile_focus", dimension="focus")
class TileFocus(Scorer):
    """Focus of the main subject: the edge-restricted Crete-Roffet sharpness (see ``crete_roffet_sharpness``;
    Crete et al. 2007) of each native-resolution region (the 64 x 64 tiles, or a 4 x 4 split of small
    frames), and the 80th percentile over the regions that hold edges. A subject in focus keeps some regions
    crisp even in front of a soft background (shallow depth of field is not penalised), while a missed or
    absent focus leaves no crisp region. The percentile pooling is our choice.

    Raw: in [0, 1], higher is better focused. Validated only through global blur (a defocus-like Gaussian
    blur lowers it monotonically); which region is the subject is not known to a weight-free estimator.
    """

    version = "5"

    def measure(self, clip) -> float:
        sums = edge_blur_sums(clip)  # (regions, 2 axes, 2)
        sharp = region_sharpness(sums)
        # regions with too little edge mass carry no evidence about focus
        mass = sums[:, :, 0].sum(axis=1)
        keep = np.isfinite(sharp) & (mass >= 0.05 * max(float(np.median(mass)), 1e-6))
        if not keep.any():
            return 0.0
        return float(np.percentile(sharp[keep], 80))
