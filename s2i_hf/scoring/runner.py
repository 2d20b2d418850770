"""Score many videos: in one process or several, with a progress bar, resumable JSON Lines output.

A bad video never stops the run: its row carries ``error`` (naming the reason) and no scores.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterable, Iterator

from tqdm.auto import tqdm

from ..video import VideoError, VideoRef, resolve_videos, video_id_of
from .base import ScorerError
from .pipeline import VideoScorer


__all__ = ["score_videos", "score_one", "iter_scores", "refs_from_dataset", "read_rows"]


def score_one(scorer: VideoScorer, ref: VideoRef) -> dict[str, Any]:
    """One output row for one video; never raises for a bad video."""
    row: dict[str, Any] = {"path": ref.name, "video_id": None}
    try:
        row["video_id"] = video_id_of(ref)
    except OSError as exc:
        row["error"] = f"{ref.name}: cannot read file ({exc.strerror or exc})"
        return row
    try:
        clip = scorer.load(ref)
        result = scorer.score_clip(clip)
    except VideoError as exc:
        row["error"] = str(exc)
        return row
    except ScorerError as exc:
        row["error"] = f"{ref.name}: {exc}"
        return row
    row.update(result.to_dict())
    row["video"] = {
        "fps": clip.fps,
        "duration": clip.duration,
        "width": clip.width,
        "height": clip.height,
        "num_frames": clip.num_frames,
        "codec": clip.codec,
        "sampled_frames": int(len(clip.frames)),
        "active_area": clip.metadata.get("active_area"),
    }
    row["error"] = None
    return row


# --- worker processes ----------------------------------------------------------------------------

_WORKER_SCORER: VideoScorer | None = None


def _init_worker(scorer: VideoScorer, threads: int, parent_pid: int | None = None):
    global _WORKER_SCORER
    import torch

    torch.set_num_threads(threads)
    _WORKER_SCORER = scorer
    if parent_pid is not None:
        _exit_with_parent(parent_pid)


def _exit_with_parent(parent_pid: int, interval: float = 0.5):
    """Exit this worker once its parent is gone.

    A parent killed with SIGKILL (an OOM kill, a cluster pre-emption) cannot shut its pool down, and its
    workers would otherwise wait forever for work that never comes.
    """

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="s2i-parent-watch", daemon=True).start()


def _work(ref: VideoRef) -> dict[str, Any]:
    assert _WORKER_SCORER is not None
    return score_one(_WORKER_SCORER, ref)


def _pool_context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


# --- output --------------------------------------------------------------------------------------


def read_rows(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a JSON Lines file; a torn last line (an interrupted write) is dropped."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def _write_rows(path: str, rows: Iterable[dict[str, Any]]):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".s2i-", suffix=".jsonl")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def refs_from_dataset(dataset, column: str = "video") -> list[VideoRef]:
    """Videos of a ``datasets.Dataset`` with a ``Video`` column, read without decoding."""
    from datasets import Video

    if column not in dataset.column_names:
        raise ValueError(f"dataset has no column {column!r}; columns: {dataset.column_names}")
    raw = dataset.cast_column(column, Video(decode=False))
    refs = []
    for i, value in enumerate(raw[column]):
        value = value or {}
        path, data = value.get("path"), value.get("bytes")
        name = path or f"{column}[{i}]"
        refs.append(VideoRef(name=name, path=None if data else path, data=data))
    return refs


def score_videos(
    inputs: Iterable[str | os.PathLike | VideoRef] | Any,
    out: str | os.PathLike | None = None,
    *,
    scorer: VideoScorer | None = None,
    workers: int = 1,
    resume: bool = True,
    progress: bool = True,
    video_column: str = "video",
) -> list[dict[str, Any]]:
    """Score videos and return one row per input (bad inputs get a row with ``error`` set).

    ``inputs``: paths, directories, glob patterns, manifests (.txt/.csv/.tsv/.jsonl), :class:`VideoRef`
    objects, or a ``datasets.Dataset`` with a ``Video`` column. With ``out``, rows are appended to that JSON
    Lines file as they finish; with ``resume`` a re-run skips videos already there (same path and content
    hash), so an interrupted run goes on where it stopped. The final file is in input order.
    """
    scorer = scorer or VideoScorer()
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    refs, problems = _collect(inputs, video_column)
    rows: list[dict | None] = [None] * len(refs)
    rows += [{"path": item, "video_id": None, "error": f"{item}: {reason}"} for item, reason in problems]

    done: dict[str, dict] = {}
    if out is not None and resume:
        done = {row["path"]: row for row in read_rows(out) if row.get("video_id")}
    todo: list[int] = []
    for i, ref in enumerate(refs):
        prev = done.get(ref.name)
        if prev is not None and ref.path is not None and _same_content(ref, prev):
            rows[i] = prev
        else:
            todo.append(i)

    fh = None
    if out is not None:
        # Rewrite what is kept (drops a torn last line), then append rows as they finish.
        _write_rows(str(out), [r for r in rows if r is not None and r.get("video_id")])
        fh = open(out, "a", encoding="utf-8")
    try:
        bar = tqdm(total=len(todo), desc="Scoring videos", unit="video", disable=not progress)
        for i, row in iter_scores(scorer, [(i, refs[i]) for i in todo], workers):
            rows[i] = row
            if fh is not None:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                fh.flush()
            bar.update(1)
            if row.get("error"):
                bar.write(f"skipped {row['error']}")
        bar.close()
    finally:
        if fh is not None:
            fh.close()
    if out is not None:
        _write_rows(str(out), rows)
    return rows


def _same_content(ref: VideoRef, prev: dict) -> bool:
    try:
        return video_id_of(ref) == prev.get("video_id")
    except OSError:
        return False


def _collect(inputs, video_column) -> tuple[list[VideoRef], list[tuple[str, str]]]:
    if hasattr(inputs, "column_names") and hasattr(inputs, "cast_column"):
        return refs_from_dataset(inputs, video_column), []
    if isinstance(inputs, (str, os.PathLike, VideoRef)):
        inputs = [inputs]
    refs: list[VideoRef] = []
    problems: list[tuple[str, str]] = []
    plain: list[str] = []
    for item in inputs:
        if isinstance(item, VideoRef):
            refs.append(item)
        else:
            plain.append(os.fspath(item))
    if plain:
        found, problems = resolve_videos(plain)
        refs.extend(found)
    return refs, problems


def iter_scores(scorer: VideoScorer, jobs: list[tuple[Any, VideoRef]], workers: int) -> Iterator[tuple[Any, dict]]:
    """Score ``(key, ref)`` jobs in ``workers`` processes, yielding ``(key, row)`` as each finishes."""
    if not jobs:
        return
    # torch threads follow the worker count; FFmpeg decoding threads stay the scorer's own (1 by default) whatever
    # the worker count: on a damaged stream FFmpeg's error concealment depends on its thread count, and a build
    # resumed with other --workers must give the same scores
    threads = max(1, (os.cpu_count() or 1) // workers)
    if workers == 1 or len(jobs) == 1:
        import torch

        torch.set_num_threads(threads)
        for i, ref in jobs:
            yield i, score_one(scorer, ref)
        return
    retry: list[tuple[int, VideoRef]] = []
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=_pool_context(),
        initializer=_init_worker,
        initargs=(scorer, threads, os.getpid()),
    ) as pool:
        futures = {pool.submit(_work, ref): (i, ref) for i, ref in jobs}
        for fut in as_completed(futures):
            i, ref = futures[fut]
            try:
                yield i, fut.result()
            except BrokenProcessPool:
                retry.append((i, ref))
            except Exception as exc:
                yield i, _crash_row(ref, f"worker failed ({type(exc).__name__}: {exc})")
    # A worker that dies (e.g. a decoder crash) breaks the whole pool: the videos it left unfinished are
    # retried one process each, so only the culprit gets an error row.
    for i, ref in sorted(retry, key=lambda job: job[0]):
        with ProcessPoolExecutor(
            max_workers=1,
            mp_context=_pool_context(),
            initializer=_init_worker,
            initargs=(scorer, threads, os.getpid()),
        ) as pool:
            try:
                yield i, pool.submit(_work, ref).result()
            except BrokenProcessPool:
                yield i, _crash_row(ref, "the scoring process crashed on this video")


def _crash_row(ref: VideoRef, reason: str) -> dict[str, Any]:
    return {"path": ref.name, "video_id": None, "error": f"{ref.name}: {reason}"}
