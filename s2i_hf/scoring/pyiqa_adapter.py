"""pyiqa metrics as scorers: ``create_scorer("pyiqa:brisque")`` or ``s2i score --scorer noise=pyiqa:piqe``.

pyiqa downloads weights on first use; here it never does unless asked. :func:`configure_pyiqa` points pyiqa
at a local weights folder (files named as in pyiqa's download URLs, e.g. ``niqe_modelparameters.mat``) and
installs a guard that turns any download attempt into a clear :class:`~s2i_hf.scoring.ScorerError` naming the
missing file, unless ``allow_download=True``.

This module registers the ``pyiqa:`` prefix with the scorer registry; importing it does not import pyiqa, which
is imported only when a ``pyiqa:<metric>`` scorer is built.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..video import Clip
from .base import Scorer, ScorerError
from .calibration import Calibration
from .registry import register_scorer_prefix


__all__ = ["PyiqaScorer", "configure_pyiqa", "PREFIX"]

PREFIX = "pyiqa:"


@dataclass
class _Settings:
    weights_dir: str | None = None
    allow_download: bool = False


_SETTINGS = _Settings(weights_dir=os.environ.get("S2I_PYIQA_WEIGHTS"))


def configure_pyiqa(weights_dir: str | None = None, allow_download: bool = False):
    """Where pyiqa:* scorers look for weights, and whether they may download missing ones."""
    if weights_dir is not None:
        _SETTINGS.weights_dir = os.path.abspath(weights_dir)
    _SETTINGS.allow_download = bool(allow_download)


def _guard_downloads():
    """Make pyiqa use the configured folder and refuse to download unless allowed."""
    try:
        from pyiqa.utils import download_util
    except ImportError as exc:
        raise ScorerError("pyiqa:* scorers need pyiqa: pip install 's2i-hf[iqa]'") from exc
    if _SETTINGS.weights_dir is not None:
        download_util.DEFAULT_CACHE_DIR = _SETTINGS.weights_dir
    original = getattr(download_util, "_s2i_original_download", download_util.download_url_to_file)
    download_util._s2i_original_download = original

    def guarded(url, dst, *args, **kwargs):
        if not _SETTINGS.allow_download:
            raise ScorerError(
                f"pyiqa needs {os.path.basename(dst)} (from {url}), which is not in {os.path.dirname(dst)}; "
                "put the file there (see --pyiqa_weights) or pass --allow_download"
            )
        return original(url, dst, *args, **kwargs)

    download_util.download_url_to_file = guarded


def _parse_range(value) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p for p in value.replace("[", "").replace("]", "").split(",") if p.strip()]
        if len(parts) != 2:
            return None
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except ValueError:
            return None
    else:
        lo, hi = (float(v) for v in value)
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) and hi > lo else None


class PyiqaScorer(Scorer):
    """A pyiqa no-reference image metric averaged over a clip's key frames.

    The raw value is the metric's own; calibration maps it linearly from the metric's declared score range
    (flipped when lower is better) unless a calibration is given. ``max_side`` downsizes frames first
    (pyiqa metrics are slow at full HD; see FIELD-NOTES).
    """

    version = "1"

    def __init__(
        self,
        metric: str,
        dimension: str | None = None,
        calibration: Calibration | None = None,
        device: str = "cpu",
        max_side: int | None = 512,
    ):
        _guard_downloads()
        import pyiqa

        self.metric_name = metric
        self.name = f"{PREFIX}{metric}"
        self.dimension = dimension
        self.max_side = max_side
        try:
            self.metric = pyiqa.create_metric(metric, device=device, as_loss=False)
        except ScorerError:
            raise
        except Exception as exc:
            raise ScorerError(f"cannot create pyiqa metric {metric!r}: {type(exc).__name__}: {exc}") from exc
        if calibration is None:
            rng = _parse_range(getattr(self.metric, "score_range", None))
            if rng is None:
                raise ScorerError(f"pyiqa metric {metric!r} declares no score range: give a calibration")
            calibration = Calibration(
                kind="linear", low=rng[0], high=rng[1], higher_is_better=not self.metric.lower_better
            )
        super().__init__(calibration)

    def measure(self, clip: Clip) -> float:
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(clip.key_frames)).permute(0, 3, 1, 2).float() / 255.0
        if self.max_side and max(x.shape[-2:]) > self.max_side:
            scale = self.max_side / max(x.shape[-2:])
            x = F.interpolate(x, scale_factor=scale, mode="area")
        with torch.no_grad():
            values = self.metric(x)
        return float(torch.as_tensor(values, dtype=torch.float64).mean())


register_scorer_prefix(PREFIX, PyiqaScorer, version=PyiqaScorer.version)  # pyiqa:<metric> -> PyiqaScorer(metric)
