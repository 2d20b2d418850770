"""What a video's bitstream says about its compression: the quantiser the encoder chose, read from the decoder,
and the bits it spent per pixel, read from the container.

FFmpeg's H.264, VP9 and MPEG-2 decoders export each frame's *video encoding parameters* (``export_side_data=
venc_params``: the frame's base quantiser and each block's delta). The quantiser is the encoder's own record of
how much it threw away, so it sees heavy compression where the pixels no longer show blocking (in-loop deblocking
smooths it away) and it does not depend on the content. It says nothing about what happened *before* the last
encode (a high-quality re-encode of a damaged source), which is why the compression estimator pairs it with a
pixel cue.

The parameters are read in-process with PyAV (``av``, which bundles FFmpeg's libraries) from the first
``max_frames`` frames (:data:`QUANTISER_FRAMES`; about 1 ms per 480 x 272 frame, up to 10 under heavy grain). When
PyAV is missing, the codec exports no quantiser, or the video is only reachable through a decoder object,
:func:`read_quantiser` returns None and the caller falls back to pixel cues.

HEVC and AV1 decoders export no quantiser. For them :func:`read_rate` reads the packet sizes (demuxing only, no
decoding: microseconds per frame): bits per pixel per frame, which the compression estimator reads against the
content's complexity (ITU-T P.910 SI/TI) and the codec's efficiency (``catalog/estimators.yaml``, ``rate_model``).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np


__all__ = ["Quantiser", "Rate", "read_quantiser", "read_rate", "QP_SCALES"]

# AVVideoEncParamsType -> (name, quantiser range top, factor to the H.264 0-51 QP scale).
# VP9's base q_index runs 0-255; MPEG-2's quantiser_scale 1-31 (a rough map: both are ~linear in step size where
# H.264's QP is logarithmic, so only the ends of those scales line up; the calibration was fitted on H.264).
QP_SCALES = {0: ("vp9", 255, 51.0 / 255.0), 1: ("h264", 51, 1.0), 2: ("mpeg2", 31, 51.0 / 31.0)}

# H.264 above 8 bits codes its quantiser with an offset of 6 per extra bit (QP'Y = QPY + 6 x bit_depth_luma_minus8,
# ITU-T H.264 7.4.2.1.1), and FFmpeg exports that value: x264 at CRF 20 read 31.6 in 10 bits. The offset is taken
# off so that every bit depth reads on the 8-bit 0-51 scale. VP9's q_index and MPEG-2's scale do not depend on it.
QP_BIT_DEPTH_OFFSET = {"h264": 6}

# FFmpeg's codecs whose decoders export the parameters (the others, e.g. HEVC and AV1, are not decoded for it)
_EXPORTING = frozenset({"h264", "vp9", "mpeg2video"})

# struct AVVideoEncParams (libavutil/video_enc_params.h): unsigned nb_blocks; size_t blocks_offset;
# size_t block_size; enum type; int32 qp; int32 delta_qp[4][2]. struct AVVideoBlockParams: int src_x, src_y, w, h;
# int32 delta_qp.
_HEADER = struct.Struct("<I4xQQii")
_BLOCK_DELTA = 4  # index of delta_qp among the block's int32 fields


# Frames read for the quantiser. Decoding them is the largest single cost of scoring small frames (noisy, high-rate
# H.264 at 480 x 272: 4-10 ms a frame), so half a second of video is read rather than a second: on the label-
# calibration corpus 12 frames move no compression score by more than 0.052 against 24, the quantiser's logistic
# refitted on them stays within 0.2 QP of the catalogue's, and every summary figure is unchanged.
QUANTISER_FRAMES = 12


@dataclass(frozen=True)
class Quantiser:
    """The quantiser of the frames read, on the H.264 0-51 scale: per frame the base value plus the mean block
    delta (adaptive quantisation), then the mean over frames; ``inter_mean`` over P/B frames only."""

    codec: str
    mean: float
    inter_mean: float
    frames: int


def _frame_qp(raw: bytes) -> tuple[int, float] | None:
    if len(raw) < _HEADER.size:
        return None
    nb, offset, size, kind, qp = _HEADER.unpack_from(raw, 0)
    if kind not in QP_SCALES:
        return None
    delta = 0.0
    if nb and size >= 4 * (_BLOCK_DELTA + 1) and offset + nb * size <= len(raw):
        blocks = np.frombuffer(raw, dtype="<i4", count=nb * size // 4, offset=offset).reshape(nb, size // 4)
        delta = float(blocks[:, _BLOCK_DELTA].mean())
    return kind, qp + delta


def read_quantiser(source, max_frames: int = QUANTISER_FRAMES) -> Quantiser | None:
    """The quantiser of ``source`` (a path or the file's bytes) when its codec exports one, else None."""
    if not isinstance(source, (str, bytes)):
        return None
    try:
        import av
    except ImportError:
        return None
    values, inter, kind, bits = [], [], None, 8
    try:
        with av.open(source if isinstance(source, str) else io.BytesIO(source)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.codec_context.codec.canonical_name not in _EXPORTING:
                return None  # nothing to read: do not decode
            # the quantisers are the bitstream's; the in-loop deblocking filter does not change them and is skipped
            stream.codec_context.options = {"export_side_data": "venc_params", "skip_loop_filter": "all"}
            stream.thread_type = "NONE"
            for n, frame in enumerate(container.decode(stream)):
                if n == 0:
                    bits = max((c.bits for c in frame.format.components), default=8)
                for sd in frame.side_data:
                    if sd.type == av.sidedata.sidedata.Type.VIDEO_ENC_PARAMS:
                        got = _frame_qp(bytes(sd))
                        if got is not None:
                            kind, q = got
                            values.append(q)
                            if int(frame.pict_type) in (2, 3):  # P, B
                                inter.append(q)
                if n + 1 >= max_frames:
                    break
    except (av.FFmpegError, OSError, ValueError):
        return None
    if not values:
        return None
    name, top, factor = QP_SCALES[kind]
    offset = QP_BIT_DEPTH_OFFSET.get(name, 0) * max(0, bits - 8)
    scale = lambda qs: float(np.mean(np.clip(np.asarray(qs) - offset, 0, top))) * factor  # noqa: E731
    return Quantiser(
        codec=name, mean=scale(values), inter_mean=scale(inter) if inter else scale(values), frames=len(values)
    )


# The window the rate is read over: the first seconds, key frame included, as in the clips the rate model was fitted
# on (3-s clips that start with their only key frame). A fixed window keeps the key frame's share of the bits the
# same for a 3-s clip and a 10-min video.
RATE_WINDOW_S = 3.0


@dataclass(frozen=True)
class Rate:
    """What the encoder spent: ``bits_per_pixel`` = 8 x the mean size of the video packets read / (width x height),
    over the first ``frames`` packets (:data:`RATE_WINDOW_S` seconds); ``codec`` is FFmpeg's codec name (``h264``,
    ``hevc``, ``av1``, ``vp9``...)."""

    codec: str
    bits_per_pixel: float
    frames: int
    width: int
    height: int


def read_rate(source, seconds: float = RATE_WINDOW_S) -> Rate | None:
    """The bits per pixel of ``source`` (a path or the file's bytes) over its first ``seconds`` of video packets (as
    many packets as frames at the stream's average rate, 25 fps when it has none), read by demuxing alone
    (:class:`Rate`). None when PyAV is missing, the file cannot be demuxed or holds no video packet."""
    if not isinstance(source, (str, bytes)):
        return None
    try:
        import av
    except ImportError:
        return None
    sizes = []
    try:
        with av.open(source if isinstance(source, str) else io.BytesIO(source)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            ctx = stream.codec_context
            codec, width, height = ctx.codec.canonical_name, int(ctx.width or 0), int(ctx.height or 0)
            max_packets = max(1, int(round(seconds * float(stream.average_rate or 25))))
            for packet in container.demux(stream):
                if packet.size:  # the demuxer's final flush packet is empty
                    sizes.append(packet.size)
                    if len(sizes) >= max_packets:
                        break
    except (av.FFmpegError, OSError, ValueError):
        return None
    if not sizes or width <= 0 or height <= 0:
        return None
    return Rate(
        codec=codec,
        bits_per_pixel=8.0 * float(np.mean(sizes)) / (width * height),
        frames=len(sizes),
        width=width,
        height=height,
    )
