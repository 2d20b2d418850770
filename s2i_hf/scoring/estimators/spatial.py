from __future__ import annotations
import numpy as np
from scipy import ndimage
from ..base import Scorer
from ..registry import register_scorer
from .common import cache, key_luma


def crete_roffet_blur(y: np.ndarray) -> np.ndarray:
    """Crete-Roffet et al. 2007 'The blur effect' no-reference blur in [0, 1] (1 = fully blurred) of each
    (H, W) image of a (K, H, W) stack: the worse of the two directions that have any variation; an image
    with no variation at all counts as fully blurred."""
    out = []
    for axis in (1, 2):
        blurred = ndimage.uniform_filter1d(y, 9, axis=axis)
        d_f = np.abs(np.diff(y, axis=axis))
        d_b = np.abs(np.diff(blurred, axis=axis))
        v = np.maximum(0.0, d_f - d_b)
        s_f = d_f.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(s_f > 1e-6 * d_f[0].size, (s_f - v.sum(axis=(1, 2))) / s_f, np.nan))
    both = np.stack(out)
    flat = np.all(np.isnan(both), axis=0)
    return np.where(flat, 1.0, np.nanmax(np.where(np.isnan(both), -np.inf, both), axis=0))


def _denoised(clip):
    c = cache(clip)
    if "denoised" not in c:
        c["denoised"] = ndimage.uniform_filter(key_luma(clip), size=(1, 2, 2))
    return c["denoised"]


def _sharpness_map(clip) -> np.ndarray:
    """1 - Crete-Roffet blur of every tile of the lightly smoothed key frames. Large frames already come as
    64 x 64 tiles (see :func:`.common.key_luma`); small whole frames are cut into a 4 x 4 grid."""
    c = cache(clip)
    if "sharpness_map" not in c:
        y = _denoised(clip)
        k, h, w = y.shape
        if h > 96 and w > 96 and not c.get("key_tiled"):
            th, tw = h // 4, w // 4
            y = y[:, : th * 4, : tw * 4].reshape(k, 4, th, 4, tw).transpose(0, 1, 3, 2, 4).reshape(-1, th, tw)
        c["sharpness_map"] = 1.0 - crete_roffet_blur(y)
    return c["sharpness_map"]


@register_scorer("crete_roffet_sharpness", dimension="sharpness")
class CreteRoffetSharpness(Scorer):
    """1 - the Crete-Roffet perceptual blur (Crete, Dolmiere, Ladret & Nicolas 2007, 'The blur effect'),
    median over tiles of the key frames, on lightly (2x2 box) smoothed luma so that noise does not read as
    detail. Raw: 1 - blur, in [0, 1]; higher is sharper."""
    def measure(self, clip):
        return float(np.median(_sharpness_map(clip)))


@register_scorer("tile_focus", dimension="focus")
class TileFocus(Scorer):
    """Focus of the main subject: Crete-Roffet sharpness per tile of a 4x4 grid, the 80th percentile over
    tiles and key frames (a subject in focus keeps some tiles sharp even with a soft background).
    Raw: in [0, 1]; higher is better focused."""
    def measure(self, clip):
        return float(np.percentile(_sharpness_map(clip), 80))


@register_scorer("immerkaer_noise", dimension="noise")
class ImmerkaerNoise(Scorer):
    """Noise standard deviation (0-255 scale) by Immerkaer 1996 'Fast noise variance estimation', with
    the Laplacian-difference mask applied only where the central-difference gradient is in the lowest 50 %
    (so texture and edges are not taken for noise). Raw: sigma; lower is better."""
    def measure(self, clip):
        y = key_luma(clip) * 255.0
        m = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
        sig = []
        conv = np.abs(ndimage.convolve(y, m[None], mode="reflect"))[:, 1:-1, 1:-1]
        gx = np.abs(y[:, 1:-1, 2:] - y[:, 1:-1, :-2])
        gy = np.abs(y[:, 2:, 1:-1] - y[:, :-2, 1:-1])
        g = gx + gy
        mask = g <= np.median(g[:, ::3, ::3])  # the median from a subsample: same threshold, less work
        return float(np.sqrt(np.pi / 2.0) * conv[mask].mean() / 6.0)
