"""Frame sampling: which frames of a video are decoded, for the models and for the scorers; one config for both.

:class:`FrameSampling` is a recorded setting with two modes:

- *single frames* (``window=1``, for model inputs): ``num_frames`` *or* ``fps``, and an optional pixel budget per
  frame. :func:`sample_frames` decodes a video (a path, bytes, or a ``datasets`` Video value with
  ``decode=False``) with torchcodec, through the decode path of :mod:`s2i_hf.video`, and returns
  ``(frames, metadata)``: a ``(T, C, H, W)`` uint8 tensor and the ``transformers.video_utils.VideoMetadata`` keys
  processors use to time-stamp the frames. Processors then get ``do_sample_frames=False``, so no saved processor
  default can change what the model sees. The same frames serve training and Q-Align scoring. With
  ``fragments`` each frame becomes a mosaic of native-resolution patches (:func:`fragment_mosaic`) instead of being
  shrunk whole.
- *windows* (``window >= 2``, for the quality scorers; :meth:`FrameSampling.windows` has their defaults): runs of
  ``window`` consecutive frames spread over the video, which :func:`s2i_hf.video.load_clip` turns into a
  :class:`~s2i_hf.video.Clip` (spatial scorers look at one frame per window, temporal scorers at neighbours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .display import HDR_TRANSFERS, to_sdr


__all__ = [
    "FrameSampling",
    "decode_sampled_frames",
    "fragment_mosaic",
    "frames_for_model",
    "mosaic_resampling",
    "processed_frame_size",
    "sample_frames",
]


@dataclass(frozen=True)
class FrameSampling:
    """Which frames of a video are decoded.

    Single frames (``window=1``): ``num_frames`` frames spread evenly over the video, or ``fps`` frames per second
    (at most ``max_frames``); exactly one of the two.

    Windows (``window >= 2``): ``num_frames // window`` runs of ``window`` consecutive frames spread uniformly over
    the video, or, with ``fps``, one run starting every ``1 / fps`` seconds (``num_frames`` then caps the total).

    ``span`` (single frames, with ``num_frames``): the frames cover ``span`` seconds around the video's middle,
    evenly spaced, instead of the whole video (the whole video when it is shorter). Models that fuse consecutive
    frames into one temporal patch (Qwen2-VL and its successors fuse pairs) learn what a pair's time gap looks like;
    a fixed span keeps that gap on clips of any length: two frames spread over a 1-s training clip lie 0.5 s apart,
    over a 3-s clip 1.5 s apart, where a moving camera has shifted the picture three times as far.

    ``max_pixels`` caps each frame's area after decoding (aspect ratio kept; single frames only), ``max_side``
    resizes at decode time so that the longer side is at most this; ``None`` keeps the decoded size.

    ``fragments`` (single frames only): each frame is replaced by a ``fragments x fragments`` mosaic of
    ``fragment_size``-pixel patches cut at native resolution from the centres of as many grid cells (the same
    places in every frame), as in FAST-VQA's fragment sampling (Wu et al. 2022, "FAST-VQA: Efficient End-to-end
    Video Quality Assessment with Fragment Sampling", ECCV). A model with a small pixel budget then sees blur,
    grain and compression at the scale they were made, where a whole frame shrunk to the budget would average
    them away; the mosaic keeps little of the scene's layout, which a quality model should not lean on anyway.
    ``max_pixels`` then caps the mosaic.
    """

    num_frames: int | None = 8
    fps: float | None = None
    max_pixels: int | None = None
    max_frames: int = 64
    window: int = 1
    max_side: int | None = None
    fragments: int | None = None
    fragment_size: int = 32
    span: float | None = None

    def __post_init__(self):
        if self.window < 1:
            raise ValueError(f"window must be at least 1 frame, got {self.window}")
        if self.window == 1 and (self.num_frames is None) == (self.fps is None):
            raise ValueError(
                f"give exactly one of num_frames and fps (got num_frames={self.num_frames}, fps={self.fps})"
            )
        if self.window > 1 and self.num_frames is None:
            raise ValueError(f"windows of {self.window} frames need num_frames (the most frames decoded)")
        if self.num_frames is not None and self.num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {self.num_frames}")
        if self.num_frames is not None and self.num_frames < self.window:
            raise ValueError(f"num_frames ({self.num_frames}) must be at least window ({self.window})")
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"fps must be > 0, got {self.fps}")
        if self.span is not None:
            if self.window > 1 or self.num_frames is None or self.fps is not None:
                raise ValueError("span applies to single frames counted by num_frames (fps already sets the spacing)")
            if self.span <= 0:
                raise ValueError(f"span must be > 0 seconds, got {self.span}")
        if self.max_pixels is not None and self.max_pixels < 64:
            raise ValueError(f"max_pixels must be >= 64, got {self.max_pixels}")
        if self.max_pixels is not None and self.window > 1:
            raise ValueError("max_pixels applies to single frames (window 1); windows are resized with max_side")
        if self.max_side is not None and self.max_side < 16:
            raise ValueError(f"max_side must be at least 16 pixels, got {self.max_side}")
        if self.fragments is not None:
            if self.window > 1:
                raise ValueError("fragments apply to single frames (window 1), not to the scorers' windows")
            if self.fragments < 1:
                raise ValueError(f"fragments must be at least 1 cell per side, got {self.fragments}")
            if self.fragment_size < 8:
                raise ValueError(f"fragment_size must be at least 8 pixels, got {self.fragment_size}")

    @classmethod
    def windows(
        cls, num_frames: int = 48, window: int = 8, fps: float | None = None, max_side: int | None = None
    ) -> "FrameSampling":
        """Windows for the quality scorers, with their defaults: 48 frames as 6 windows of 8 consecutive frames."""
        if window < 2:
            raise ValueError(f"window must be at least 2 consecutive frames, got {window}")
        return cls(num_frames=num_frames, fps=fps, window=window, max_side=max_side)

    def to_dict(self) -> dict[str, Any]:
        """The setting as recorded: single frames ``num_frames, fps, max_pixels, max_frames`` (and ``fragments,
        fragment_size`` when fragments are on, ``span`` when set); windows ``num_frames, fps, window, max_side``; a
        field of the other mode only when it is set."""
        if self.window == 1:
            d = {"num_frames": self.num_frames, "fps": self.fps, "max_pixels": self.max_pixels}
            d["max_frames"] = self.max_frames
            if self.max_side is not None:
                d["max_side"] = self.max_side
            if self.fragments is not None:
                d.update(fragments=self.fragments, fragment_size=self.fragment_size)
            if self.span is not None:
                d["span"] = self.span
            return d
        return {"num_frames": self.num_frames, "fps": self.fps, "window": self.window, "max_side": self.max_side}

    def indices(self, total: int, average_fps: float) -> list[int]:
        """Frame indices for a video of ``total`` frames at ``average_fps`` (windows: every window's frames)."""
        if total < 1:
            return []
        if self.window > 1:
            window = min(self.window, total)
            return [s + k for s in self.window_starts(total, average_fps) for k in range(window)]
        if self.num_frames is not None:
            n = self.num_frames
            if self.span is not None and n > 1:
                step = self.span * average_fps / (n - 1)  # frames between neighbours
                first = total / 2.0 - step * (n - 1) / 2.0
                if first >= 0 and first + step * (n - 1) <= total - 1:
                    return [int(first + i * step) for i in range(n)]
        else:
            n = max(1, min(self.max_frames, int(math.floor(total / max(average_fps, 1e-6) * self.fps))))
        # centres of n equal segments: evenly spread, never both ends twice
        return [min(total - 1, int((i + 0.5) * total / n)) for i in range(n)]

    def window_starts(self, total_frames: int, average_fps: float) -> list[int]:
        """First frame index of each window, for a stream of ``total_frames`` frames."""
        window = min(self.window, total_frames)
        last_start = total_frames - window
        max_windows = max(1, self.num_frames // window)
        if self.fps is not None and average_fps > 0:
            step = max(1, int(round(average_fps / self.fps)))
            starts = list(range(0, last_start + 1, step))[:max_windows]
        else:
            count = min(max_windows, last_start + 1)
            starts = np.linspace(0, last_start, count).round().astype(int).tolist() if count > 1 else [last_start // 2]
        return sorted(set(starts))


def sample_frames(video, sampling: FrameSampling) -> tuple["Any", dict[str, Any]]:
    """Decode the frames ``sampling`` picks: ``((T, C, H, W) uint8 tensor, metadata dict)``.

    ``video``: what :func:`s2i_hf.video.open_video` takes (a path, bytes, a ``datasets`` Video value, a
    ``VideoDecoder``...); decoding is the scorers' decode path. Raises :class:`s2i_hf.video.VideoError` naming the
    video and the reason when it cannot be decoded. The frames as decoded (:func:`decode_sampled_frames`) are then
    cut into fragments and fitted to the pixel budget (:func:`frames_for_model`, which also places fragments at random
    for training).
    """
    return frames_for_model(*decode_sampled_frames(video, sampling), sampling)


def decode_sampled_frames(video, sampling: FrameSampling) -> tuple["Any", dict[str, Any]]:
    """The frames ``sampling`` picks as decoded (before fragments and the pixel budget) and their metadata."""
    import torch

    from .video import VideoError, decode_frames, open_video

    opened = open_video(video)
    total, fps = opened.num_frames, opened.fps
    idx = sampling.indices(total, fps)
    if not idx:
        raise VideoError(opened.name, "no video frames")
    frames, _ = decode_frames(opened, idx, sampling.max_side)
    transfer = getattr(opened.metadata, "color_transfer_characteristic", None)
    if transfer in HDR_TRANSFERS:  # the model sees what the labels describe: the picture on an SDR display
        sdr = to_sdr(frames.permute(0, 2, 3, 1).numpy(), transfer, getattr(opened.metadata, "color_primaries", None))
        frames = torch.from_numpy(sdr).permute(0, 3, 1, 2)
    single = sampling.window == 1  # windows are never padded: load_clip keeps what the video has
    if single and sampling.num_frames is not None and len(idx) < sampling.num_frames:  # pragma: no cover - filled
        frames = torch.cat([frames, frames[-1:].expand(sampling.num_frames - len(idx), -1, -1, -1)])
    metadata = {"total_num_frames": total, "fps": fps, "duration": total / fps, "frames_indices": list(idx)}
    if transfer in HDR_TRANSFERS:
        metadata["tone_mapped"] = transfer
    metadata.update(height=int(frames.shape[-2]), width=int(frames.shape[-1]))
    return frames, metadata


def frames_for_model(
    frames, metadata: dict[str, Any], sampling: FrameSampling, rng: np.random.Generator | None = None
) -> tuple["Any", dict[str, Any]]:
    """Decoded ``frames`` as the model sees them: the fragment mosaic of ``sampling`` (at random places with ``rng``,
    :func:`fragment_mosaic`), then at most ``max_pixels``; ``metadata`` (a copy) gets the final height and width."""
    import torch

    if sampling.fragments is not None:
        frames = fragment_mosaic(frames, sampling.fragments, sampling.fragment_size, rng=rng)
    height, width = int(frames.shape[-2]), int(frames.shape[-1])
    if sampling.max_pixels is not None and height * width > sampling.max_pixels:
        scale = math.sqrt(sampling.max_pixels / (height * width))
        size = (max(2, int(height * scale)), max(2, int(width * scale)))
        frames = torch.nn.functional.interpolate(
            frames.float(), size=size, mode="bilinear", antialias=True, align_corners=False
        )
        frames = frames.round().clamp(0, 255).to(torch.uint8)
        height, width = size
    return frames, {**metadata, "height": height, "width": width}


def fragment_mosaic(frames, grid: int, size: int, rng: np.random.Generator | None = None):
    """``(T, C, H, W)`` frames -> ``(T, C, grid * size, grid * size)``: the ``size x size`` patch at the centre of
    each cell of a ``grid x grid`` split of the frame, at native resolution, laid out in the cells' order. Every
    frame is cut at the same places, so motion, shake and flicker show between frames as they do in the video.
    Where a cell is smaller than a patch, neighbouring patches overlap; a frame smaller than one patch is first
    enlarged (bilinear) to hold it.

    With ``rng`` each patch is drawn at a uniformly random place inside its cell instead (still the same place in
    every frame; centred where the cell is smaller than the patch): FAST-VQA's training-time sampling, which shows
    a model other pixels of a video each epoch."""
    import torch

    t, c, h, w = frames.shape
    if h < size or w < size:
        scale = size / min(h, w)
        h, w = max(size, math.ceil(h * scale)), max(size, math.ceil(w * scale))
        frames = torch.nn.functional.interpolate(frames.float(), size=(h, w), mode="bilinear", align_corners=False)
        frames = frames.round().clamp(0, 255).to(torch.uint8)

    def start(k: int, length: int) -> int:
        lo, hi = round(k * length / grid), round((k + 1) * length / grid) - size  # the cell [lo, hi + size)
        if rng is not None and hi >= lo:
            return int(rng.integers(lo, hi + 1))
        return min(max(0, round((k + 0.5) * length / grid - size / 2)), length - size)

    out = frames.new_empty((t, c, grid * size, grid * size))
    for i in range(grid):
        for j in range(grid):
            y0, x0 = start(i, h), start(j, w)
            out[:, :, i * size : (i + 1) * size, j * size : (j + 1) * size] = frames[
                :, :, y0 : y0 + size, x0 : x0 + size
            ]
    return out


def processed_frame_size(processor, height: int, width: int) -> tuple[int, int] | None:
    """``(height, width)`` in pixels that a ``height x width`` frame has after ``processor``'s video processor (its
    resize to the model's patch grid and pixel budget): from ``video_grid_thw`` and the patch size (Qwen-VL), or the
    pixel tensor's last two sides; ``None`` where the processor has no video processor or says neither."""
    import torch

    video_processor = getattr(processor, "video_processor", None)
    if video_processor is None:
        return None
    frames = torch.zeros((max(2, int(getattr(video_processor, "temporal_patch_size", 1) or 1)), 3, height, width))
    try:
        out = video_processor(videos=[frames.to(torch.uint8)], do_sample_frames=False, return_tensors="pt")
    except Exception:  # noqa: BLE001 - a processor that needs more (metadata, a tokenizer) just cannot say
        return None
    patch = getattr(video_processor, "patch_size", None)
    if "video_grid_thw" in out and patch:
        _, grid_h, grid_w = (int(v) for v in out["video_grid_thw"][0])
        return grid_h * int(patch), grid_w * int(patch)
    pixels = out.get("pixel_values_videos")
    return (int(pixels.shape[-2]), int(pixels.shape[-1])) if pixels is not None and pixels.ndim >= 4 else None


def mosaic_resampling(processor, sampling: FrameSampling) -> str | None:
    """Why ``processor`` would resample the fragment mosaic of ``sampling`` (a sentence to warn with), or ``None``
    where it keeps it pixel for pixel (or ``sampling`` has no fragments, or the processor does not say).

    A mosaic the model's processor resizes, to a multiple of its patch grid or under its pixel budget, is no longer
    native resolution: grain and blocking are interpolated and the fragments' edges fall inside patches."""
    if sampling.fragments is None:
        return None
    side = sampling.fragments * sampling.fragment_size
    if sampling.max_pixels is not None and side * side > sampling.max_pixels:
        return (
            f"the {side} x {side} fragment mosaic is shrunk to the frame sampling's max_pixels {sampling.max_pixels}"
        )
    seen = processed_frame_size(processor, side, side)
    if seen is None or seen == (side, side):
        return None
    video_processor = processor.video_processor
    factor = int(getattr(video_processor, "patch_size", 1) or 1) * int(getattr(video_processor, "merge_size", 1) or 1)
    return (
        f"the model's processor resizes the {side} x {side} fragment mosaic ({sampling.fragments} x "
        f"{sampling.fragments} fragments of {sampling.fragment_size} px) to {seen[0]} x {seen[1]}, so the fragments "
        f"are no longer native resolution: use a fragment size that is a multiple of {factor} px and a processor "
        f"pixel budget of at least {side * side} pixels"
    )
