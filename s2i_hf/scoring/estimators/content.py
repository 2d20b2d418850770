from __future__ import annotations
import numpy as np
from scipy import ndimage
from ..base import Scorer
from ..registry import register_scorer
from .common import frame_diffs, small_luma


@register_scorer("siti_content", dimension="content")
class SitiContent(Scorer):
    """Content richness from ITU-T P.910 spatial and temporal information: SI = std of the Sobel
    magnitude, TI = std of the frame difference (0-255 luma, on ~320 px frames), combined as
    log(1 + SI) + 0.5 log(1 + TI). A proxy for 'interesting' content (detail and activity); meaning
    is beyond a weight-free estimator. Raw: higher is richer."""
    def measure(self, clip):
        y = small_luma(clip)
        keys = y[clip.key_indices]
        si = max(np.hypot(ndimage.sobel(f, 0), ndimage.sobel(f, 1)).std() for f in keys)
        ti = max((np.abs(y[j] - y[i]).std() for i, j in clip.pairs()), default=0.0)
        return float(np.log1p(si) + 0.5 * np.log1p(ti))


@register_scorer("thirds_composition", dimension="composition")
class ThirdsComposition(Scorer):
    """Composition: where the visual weight sits. The gradient-energy centroid of each key frame is
    compared with the rule-of-thirds power points and the centre (the nearest counts), and left/right
    energy balance is added. Raw: a penalty in frame-size units; lower is better. A heuristic:
    no synthetic distortion validates composition."""
    def measure(self, clip):
        y = small_luma(clip)[clip.key_indices]
        pens = []
        for f in y:
            e = np.hypot(*np.gradient(f))
            tot = e.sum() + 1e-6
            h, w = f.shape
            cy = (e.sum(axis=1) @ np.arange(h)) / tot / h
            cx = (e.sum(axis=0) @ np.arange(w)) / tot / w
            points = [(1 / 3, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1 / 3), (2 / 3, 2 / 3), (0.5, 0.5)]
            dist = min(np.hypot(cy - py, cx - px) for py, px in points)
            half = e[:, : w // 2].sum() / tot
            pens.append(dist + 0.5 * abs(half - 0.5))
        return float(np.median(pens))
