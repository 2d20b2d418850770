"""A bounded in-memory cache of rendered training rows, so that later epochs skip decoding the video.

Rendering a row decodes its video, samples frames and runs the processor; on a small model that is most of a
training step (the demo's tiny model: ~45 ms to render a row against ~6 ms for its share of the forward and
backward pass). A row renders the same way in every epoch (frame sampling is deterministic), so
:class:`RenderCache` keeps renders keyed by the row's ``video_id`` and its messages, up to a memory budget,
dropping the least recently used first. Rows without a ``video_id`` are never cached. With fragment jitter (a new
random cut of every fragment at each render) the collator also keeps each video's decoded frames here, and only
the video pixels of a cached row are made anew.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Callable, Mapping


__all__ = ["RenderCache"]


def _nbytes(render: Mapping[str, Any]) -> int:
    total = 0
    for value in render.values():
        if hasattr(value, "element_size") and hasattr(value, "nelement"):
            total += value.element_size() * value.nelement()
        else:
            total += 64
    return total


class RenderCache:
    """Least-recently-used renders up to ``max_mb`` megabytes (0 or less: nothing is kept).

    ``hits`` / ``misses`` count lookups; ``nbytes`` is what is held now."""

    def __init__(self, max_mb: float = 0.0):
        self.max_bytes = int(max(0.0, float(max_mb)) * 2**20)
        self._items: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self.nbytes = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @staticmethod
    def key(row: Mapping[str, Any], messages_column: str, sampling) -> str | None:
        """The row's cache key, or ``None`` when it has no ``video_id`` to be known by."""
        video_id = row.get("video_id")
        if not video_id:
            return None
        messages = json.dumps(row.get(messages_column), sort_keys=True, default=str)
        return f"{video_id}\x00{sampling!r}\x00{messages}"

    def get_or_render(self, key: str | None, render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The cached render for ``key``, or ``render()`` (stored while it fits the budget). Callers get a shallow
        copy, so adding keys to it leaves the cached entry as it was."""
        if key is None or not self.enabled:
            return render()
        if key in self._items:
            self._items.move_to_end(key)
            self.hits += 1
            return dict(self._items[key][0])
        self.misses += 1
        out = render()
        size = _nbytes(out)
        if size <= self.max_bytes:
            self._items[key] = (out, size)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.nbytes -= dropped
        return dict(out)
