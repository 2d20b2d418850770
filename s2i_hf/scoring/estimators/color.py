from __future__ import annotations
import numpy as np
from ..base import Scorer
from ..registry import register_scorer
from .common import key_rgb_small, small_luma


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk 2003 colourfulness M of RGB in 0-255."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


@register_scorer("hasler_colorfulness", dimension="color")
class HaslerColorfulness(Scorer):
    """Colour vividness: Hasler & Suesstrunk 2003 'Measuring colourfulness in natural images', median
    over key frames. Raw: ln(1 + M) (M is 0 for grey, ~100+ for extremely colourful; the log keeps
    vivid content from saturating the scale). Harmony is not measured: only vividness, which
    desaturation validates."""
    def measure(self, clip):
        return float(np.log1p(np.median([colourfulness(f) for f in key_rgb_small(clip)])))


@register_scorer("clipping_exposure", dimension="exposure")
class ClippingExposure(Scorer):
    """Exposure, two-sided: the shares of crushed shadows (luma < 5 %) and blown highlights (> 95 %) plus
    how far the mean luma leaves a central band [0.3, 0.7] (under- or over-exposed overall).
    Raw: a penalty >= 0; 0 is a well-exposed video."""
    def measure(self, clip):
        y = small_luma(clip)[clip.key_indices] / 255.0
        dark = (y < 0.05).mean()
        bright = (y > 0.95).mean()
        m = y.mean()
        off = max(0.0, 0.3 - m) + max(0.0, m - 0.7)
        return float(dark + bright + 3.0 * off)


@register_scorer("rms_contrast_lighting", dimension="lighting")
class RmsContrastLighting(Scorer):
    """Lighting: RMS contrast (std of luma in [0, 1]; Peli 1990) over the key frames, penalised by
    clipped highlights/shadows. Raw: contrast minus the clipped share; higher is better lit.
    Aesthetic: no synthetic distortion validates pleasantness."""
    def measure(self, clip):
        y = small_luma(clip)[clip.key_indices] / 255.0
        clipped = ((y < 0.02) | (y > 0.98)).mean()
        return float(np.median(y.std(axis=(1, 2))) - 0.5 * clipped)
