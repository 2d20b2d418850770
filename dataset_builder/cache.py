"""A score cache keyed by video content: one JSON file per (scoring setup, video id).

A re-run, an interrupted run, or several processes (ranks) sharing one folder never score a video twice
for the same setup. Writes are atomic (temp file + rename), so a killed process leaves no torn entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any, Iterator


__all__ = ["ScoreCache", "setup_fingerprint"]


def setup_fingerprint(setup: dict[str, Any]) -> str:
    """A short stable hash of what determines scores (scorer versions, sampling, scale)."""
    blob = json.dumps(setup, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class ScoreCache:
    def __init__(self, root: str | os.PathLike, setup: dict[str, Any]):
        self.setup = setup
        self.fingerprint = setup_fingerprint(setup)
        self.dir = os.path.join(os.fspath(root), self.fingerprint)
        os.makedirs(self.dir, exist_ok=True)
        meta = os.path.join(self.dir, "setup.json")
        if not os.path.exists(meta):
            self._atomic_write(meta, setup)

    def _path(self, video_id: str) -> str:
        return os.path.join(self.dir, f"{video_id}.json")

    def get(self, video_id: str) -> dict[str, Any] | None:
        try:
            with open(self._path(video_id), encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return None
        except json.JSONDecodeError:
            return None  # cannot happen with atomic writes; treat as missing

    def __contains__(self, video_id: str) -> bool:
        return os.path.exists(self._path(video_id))

    def put(self, video_id: str, row: dict[str, Any]) -> None:
        self._atomic_write(self._path(video_id), row)

    def _atomic_write(self, path: str, obj: Any) -> None:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(obj, fh, ensure_ascii=False, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def __iter__(self) -> Iterator[str]:
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".json") and name != "setup.json" and not name.startswith(".tmp-"):
                yield name[:-5]
