"""Frame sampling for model inputs: the same frames in training and in Q-Align scoring, whatever the processor.

:class:`FrameSampling` is a recorded setting (``num_frames`` *or* ``fps``, and an optional pixel budget per
frame); :func:`sample_frames` decodes a video (a path, bytes, or a ``datasets`` Video value with ``decode=False``)
with torchcodec, through the decode path of :mod:`s2i_hf.video`, and returns ``(frames, metadata)``: a
``(T, C, H, W)`` uint8 tensor and the ``transformers.video_utils.VideoMetadata`` keys processors use to
time-stamp the frames. Processors then get ``do_sample_frames=False``, so no saved processor default can change
what the model sees.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .video import VideoError, decode_frames, open_video


__all__ = ["FrameSampling", "sample_frames"]


@dataclass(frozen=True)
class FrameSampling:
    """``num_frames`` frames spread evenly over the video, or ``fps`` frames per second (at most ``max_frames``);
    ``max_pixels`` caps each frame's area (aspect ratio kept), ``None`` keeps the decoded size."""

    num_frames: int | None = 8
    fps: float | None = None
    max_pixels: int | None = None
    max_frames: int = 64

    def __post_init__(self):
        if (self.num_frames is None) == (self.fps is None):
            raise ValueError(
                f"give exactly one of num_frames and fps (got num_frames={self.num_frames}, fps={self.fps})"
            )
        if self.num_frames is not None and self.num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {self.num_frames}")
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"fps must be > 0, got {self.fps}")
        if self.max_pixels is not None and self.max_pixels < 64:
            raise ValueError(f"max_pixels must be >= 64, got {self.max_pixels}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def indices(self, total: int, average_fps: float) -> list[int]:
        """Frame indices for a video of ``total`` frames at ``average_fps``."""
        if total < 1:
            return []
        if self.num_frames is not None:
            n = self.num_frames
        else:
            n = max(1, min(self.max_frames, int(math.floor(total / max(average_fps, 1e-6) * self.fps))))
        # centres of n equal segments: evenly spread, never both ends twice
        return [min(total - 1, int((i + 0.5) * total / n)) for i in range(n)]


def sample_frames(video, sampling: FrameSampling) -> tuple["Any", dict[str, Any]]:
    """Decode the frames ``sampling`` picks: ``((T, C, H, W) uint8 tensor, metadata dict)``.

    ``video``: what :func:`s2i_hf.video.open_video` takes (a path, bytes, a ``datasets`` Video value, a
    ``VideoDecoder``...); decoding is the scorers' decode path. Raises :class:`s2i_hf.video.VideoError` naming the
    video and the reason when it cannot be decoded.
    """
    import torch

    opened = open_video(video)
    total, fps = opened.num_frames, opened.fps
    idx = sampling.indices(total, fps)
    if not idx:
        raise VideoError(opened.name, "no video frames")
    frames, _ = decode_frames(opened, idx)
    if sampling.num_frames is not None and len(idx) < sampling.num_frames:  # pragma: no cover - indices() fills n
        frames = torch.cat([frames, frames[-1:].expand(sampling.num_frames - len(idx), -1, -1, -1)])
    height, width = int(frames.shape[-2]), int(frames.shape[-1])
    if sampling.max_pixels is not None and height * width > sampling.max_pixels:
        scale = math.sqrt(sampling.max_pixels / (height * width))
        size = (max(2, int(height * scale)), max(2, int(width * scale)))
        frames = torch.nn.functional.interpolate(
            frames.float(), size=size, mode="bilinear", antialias=True, align_corners=False
        )
        frames = frames.round().clamp(0, 255).to(torch.uint8)
        height, width = size
    metadata = {
        "total_num_frames": total,
        "fps": fps,
        "duration": total / fps,
        "frames_indices": list(idx),
        "height": height,
        "width": width,
    }
    return frames, metadata
