"""Black bars: the letterbox or pillarbox around a picture, found on the sampled frames and cropped before scoring.

A 4:3 or vertical video shown in a 16:9 frame, or a wide film in a 16:9 or 4:3 one, carries bars of constant black
that are not part of the picture. Scored with them, a well-exposed clip reads as crushed shadows (a pillarboxed
4:3 clip of real content: exposure -0.80 to -0.90, overall -0.18 to -0.37), and the edge between bar and
picture reads as detail. The bars are found the way FFmpeg's ``cropdetect`` finds them (whole rows or columns no
brighter than a limit in every frame), with stricter conditions so that a dark picture is not cut: bars come in
pairs of about equal size on opposite sides, the picture next to them is brighter than the limit, and at least
MIN_ACTIVE_SHARE of each side is left.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..video import MIN_FRAME_SIDE
from .estimators.common import channel_extremes


__all__ = ["ActiveArea", "find_active_area", "crop_to_active_area"]

# A bar row or column has no channel brighter than BAR_LEVEL (0-255) in any sampled frame: cropdetect's default
# limit (24), above the ringing that x264 leaves in a black bar next to the picture.
BAR_LEVEL = 24
# Bars count from MIN_BAR_SHARE of the side (and at least MIN_BAR_PX pixels): thinner black edges are borders of
# the picture itself, or an encoder's padding.
MIN_BAR_SHARE, MIN_BAR_PX = 0.02, 4
# The two bars of a pair differ by at most BAR_ASYMMETRY of the larger one (or 8 pixels): letterboxes and pillarboxes
# are centred, while a dark scene's crushed edges rarely are.
BAR_ASYMMETRY = 0.2
# At least this share of each side is left (a vertical 9:16 video pillarboxed in 16:9 keeps 32 % of the width), and
# never fewer pixels than a video must have to be scored.
MIN_ACTIVE_SHARE = 0.25
# Beyond the last black row, BAR_MARGIN more rows are cut (the encoder's ringing at the bar's edge). The top and left
# cuts are rounded up to a multiple of ALIGN pixels so that the picture keeps the codec's 8-pixel block grid (the
# compression and sharpness estimators read block boundaries from the frame's origin).
BAR_MARGIN, ALIGN = 4, 8
# The picture's first EDGE_LINES lines next to a bar: the brightest of their medians must exceed BAR_LEVEL.
EDGE_LINES = 8
# Bars are looked for on at most about MAX_FRAMES of the sampled frames, spread over them.
MAX_FRAMES = 12


@dataclass(frozen=True)
class ActiveArea:
    """Rows and columns cut from each side of frames of ``height`` x ``width`` pixels (all 0: no bars)."""

    top: int
    bottom: int
    left: int
    right: int
    height: int
    width: int

    @property
    def has_bars(self) -> bool:
        return (self.top + self.bottom + self.left + self.right) > 0

    @property
    def share(self) -> float:
        """The picture's share of the frame's area."""
        h = self.height - self.top - self.bottom
        w = self.width - self.left - self.right
        return (h * w) / float(self.height * self.width)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "share": round(self.share, 6)}


def _typical(frames: np.ndarray, axis: int, lines: slice) -> np.ndarray:
    """Per line of ``lines`` along ``axis`` (1 rows, 2 columns) of (T, H, W, 3) frames: the median over the line of
    each pixel's brightest channel, averaged over the frames."""
    part = frames[:, lines] if axis == 1 else frames[:, :, lines]
    _, brightest = channel_extremes(part.mean(axis=0, dtype=np.float32))
    return np.median(brightest, axis=1 if axis == 1 else 0)


def _bar_pair(frames: np.ndarray, axis: int, brightest: np.ndarray) -> tuple[int, int]:
    """(cut at the start, cut at the end) along ``axis`` (1 rows, 2 columns) of (T, H, W, 3) frames, given each
    line's brightest value over all frames and the other axis (``brightest``); (0, 0) when the profile does not show
    a pair of bars."""
    n = len(brightest)
    dark = brightest <= BAR_LEVEL
    if dark.all():
        return 0, 0  # a black (or crushed) video: nothing is a bar
    start = int(np.argmin(dark))  # leading dark lines
    end = int(np.argmin(dark[::-1]))  # trailing dark lines
    min_bar = max(MIN_BAR_PX, int(np.ceil(MIN_BAR_SHARE * n)))
    if start < min_bar or end < min_bar:
        return 0, 0
    if abs(start - end) > max(8, BAR_ASYMMETRY * max(start, end)):
        return 0, 0
    # the picture next to each bar is brighter than a bar (a dark scene fades into a bar-like edge); its first lines
    # may blend into the bar (scaling), so the brightest of the next EDGE_LINES lines counts
    head = _typical(frames, axis, slice(start, start + EDGE_LINES)).max()
    tail = _typical(frames, axis, slice(max(start, n - end - EDGE_LINES), n - end)).max()
    if head <= BAR_LEVEL or tail <= BAR_LEVEL:
        return 0, 0
    cut_start = int(np.ceil((start + BAR_MARGIN) / ALIGN) * ALIGN)
    cut_end = end + BAR_MARGIN
    if n - cut_start - cut_end < max(MIN_ACTIVE_SHARE * n, MIN_FRAME_SIDE):
        return 0, 0
    return cut_start, cut_end


def find_active_area(frames: np.ndarray) -> ActiveArea:
    """The picture inside black bars of (T, H, W, 3) uint8 frames: letterbox rows and pillarbox columns, each found on
    its own (a windowboxed picture loses both)."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (T, H, W, 3), got {frames.shape}")
    t, h, w, _ = frames.shape
    frames = frames[:: max(1, t // MAX_FRAMES)]  # bars do not move: a dozen frames spread over the clip tell
    _, peak = channel_extremes(frames.max(axis=0))  # over time first: cheap, and a bar is dark in every frame
    top, bottom = _bar_pair(frames, 1, peak.max(axis=1))
    left, right = _bar_pair(frames, 2, peak.max(axis=0))
    return ActiveArea(top=top, bottom=bottom, left=left, right=right, height=h, width=w)


def crop_to_active_area(clip):
    """The clip with its frames cut to the picture inside black bars, and the cut recorded in
    ``metadata["active_area"]`` (:meth:`ActiveArea.to_dict`, all zero without bars; a clip that has it is returned
    as it is). ``width`` and ``height`` stay the video's."""
    if "active_area" in clip.metadata:
        return clip
    area = find_active_area(clip.frames)
    frames = clip.frames
    if area.has_bars:
        rows = slice(area.top, area.height - area.bottom)
        frames = np.ascontiguousarray(frames[:, rows, area.left : area.width - area.right])
    return dataclasses.replace(clip, frames=frames, metadata={**clip.metadata, "active_area": area.to_dict()})
