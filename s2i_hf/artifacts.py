"""The files the parts of s2i-hf hand each other: the contracts between the builder, the trainers, the evaluation
and the cards.

Each sibling sub-package writes or reads these through this module and never through another sibling:

* the **training summary** (``training_summary.json`` in the output folder of ``s2i train``): written by the
  trainers, read by ``s2i eval`` (which weights to score), the model card and ``s2i push``;
* the **results file** (one JSON per model x dataset split, :class:`EvalRecord`): written by ``s2i eval``, read
  by the leaderboard entries, the model card and ``s2i push``;
* the **build report** (``build_report.json`` in a build folder): written by ``s2i build``, published with it;
* the **configs of a build** (``scores``, ``stage1``, ``stage2``, ``bench``): :func:`load_config` reads one from
  a build folder, a Parquet file or a Hub dataset id (the layout itself is :mod:`s2i_hf.data_layout`);
* names: :func:`slug` (safe file-name parts) and :func:`is_hub_id` (``namespace/name`` that is not a local path).

Results file layout (``EvalRecord.to_dict``)::

    {
      "model": {"id": "org/model or a folder", "revision": null, "adapter": null},
      "dataset": {"name": "konvid_1k", "split": "test", "hub_id": null},
      "task": "vqa" | "s2i_bench",
      "n": 1200,
      "metrics": {"srcc": 0.81, "plcc": 0.83, "krcc": 0.62, "rmse": 0.41},
      "judge": null | {"id": "...", "prompt_hash": "...", "parse_failures": 3, "parse_failure_rate": 0.01},
      "settings": {"num_frames": 8, ...},
      "package_version": "0.1.0",
      "timestamp": "2026-12-01T15:00:00+00:00"
    }

``metrics`` of a VQA set hold ``srcc``, ``plcc``, ``krcc``, ``rmse`` (and ``plcc_raw``); of S2I-Bench ``ci``,
``cu``, ``do``, ``tu`` (judge, 0-5) and the judge-free agreement figures.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .data_layout import CONFIG_COLUMNS, CONFIG_FILES, CONFIG_SPLIT, TABLE_DIR, table_files


__all__ = [
    "BUILD_REPORT_FILE",
    "RESULTS_TASKS",
    "SUMMARY_FILE",
    "EvalRecord",
    "artifact_filename",
    "config_table_files",
    "is_hub_id",
    "is_repo_id",
    "iter_results",
    "load_build_report",
    "load_config",
    "load_results",
    "load_training_summary",
    "results_filename",
    "save_build_report",
    "save_training_summary",
    "slug",
]

SUMMARY_FILE = "training_summary.json"
BUILD_REPORT_FILE = "build_report.json"
RESULTS_TASKS = ("vqa", "s2i_bench")


# --- names ------------------------------------------------------------------------------------------------
def slug(text: Any, default: str = "x") -> str:
    """``text`` as a safe file-name part: runs of characters other than ``A-Za-z0-9._-`` become ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_") or default


def is_repo_id(value: Any) -> bool:
    """``namespace/name`` as the Hub accepts it (:func:`huggingface_hub.utils.validate_repo_id`)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not isinstance(value, str) or value.count("/") != 1:
        return False
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def is_hub_id(value: Any) -> bool:
    """``namespace/name`` that is not an existing local path."""
    return is_repo_id(value) and not os.path.exists(value)


def _write_json(path: str, data: Any, **kwargs) -> None:
    """Write ``data`` as JSON through a temporary file, so a reader never sees half a file."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, **kwargs)
        fh.write("\n")
    os.replace(tmp, path)


def _read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not JSON ({err})") from None


# --- training summary -------------------------------------------------------------------------------------
def load_training_summary(path: str) -> dict:
    """``training_summary.json`` from a training output folder (or the file itself)."""
    file = os.path.join(path, SUMMARY_FILE) if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{file}: no training summary (expected the output folder of `s2i train`)")
    summary = _read_json(file)
    if not isinstance(summary, dict) or not isinstance(summary.get("stages"), dict):
        raise ValueError(f"{file}: not a training summary (no 'stages' mapping)")
    return summary


def save_training_summary(folder: str, summary: dict[str, Any]) -> str:
    """Write ``folder/training_summary.json`` (stamping ``summary["timestamp"]``) and return its path."""
    summary["timestamp"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path = os.path.join(folder, SUMMARY_FILE)
    _write_json(path, summary)
    return path


# --- build report -----------------------------------------------------------------------------------------
def save_build_report(folder: str, report: dict[str, Any]) -> str:
    """Write ``folder/build_report.json`` and return its path."""
    path = os.path.join(folder, BUILD_REPORT_FILE)
    _write_json(path, report, sort_keys=True)
    return path


def load_build_report(folder: str) -> dict[str, Any] | None:
    """The build report of a build folder, or None when it has none."""
    path = os.path.join(folder, BUILD_REPORT_FILE)
    return _read_json(path) if os.path.isfile(path) else None


# --- results files ----------------------------------------------------------------------------------------
@dataclass
class EvalRecord:
    """One model evaluated on one dataset split: the content of one results file."""

    model_id: str
    dataset: str
    task: str
    n: int
    metrics: dict[str, float]
    split: str = "test"
    model_revision: str | None = None
    adapter: str | None = None
    dataset_hub_id: str | None = None
    judge: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    package_version: str | None = None
    timestamp: str | None = None

    def __post_init__(self):
        if self.task not in RESULTS_TASKS:
            raise ValueError(f"task must be one of {RESULTS_TASKS}, got {self.task!r}")
        if self.package_version is None:
            from . import __version__

            self.package_version = __version__
        if self.timestamp is None:
            self.timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.metrics = {k: float(v) for k, v in self.metrics.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": {"id": self.model_id, "revision": self.model_revision, "adapter": self.adapter},
            "dataset": {"name": self.dataset, "split": self.split, "hub_id": self.dataset_hub_id},
            "task": self.task,
            "n": int(self.n),
            "metrics": dict(self.metrics),
            "judge": self.judge,
            "settings": self.settings,
            "package_version": self.package_version,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvalRecord":
        try:
            model, dataset = data["model"], data["dataset"]
            return cls(
                model_id=model["id"],
                model_revision=model.get("revision"),
                adapter=model.get("adapter"),
                dataset=dataset["name"],
                split=dataset.get("split", "test"),
                dataset_hub_id=dataset.get("hub_id"),
                task=data["task"],
                n=data["n"],
                metrics=data["metrics"],
                judge=data.get("judge"),
                settings=data.get("settings") or {},
                package_version=data.get("package_version"),
                timestamp=data.get("timestamp"),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"not an s2i results file: missing {err}") from None

    @property
    def filename(self) -> str:
        return results_filename(self.model_id, self.dataset, self.split, self.adapter)

    def save(self, folder: str) -> str:
        """Write ``folder/<results_filename>`` and return its path."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, self.filename)
        _write_json(path, self.to_dict(), sort_keys=False)
        return path

    @classmethod
    def load(cls, path: str) -> "EvalRecord":
        data = _read_json(path)
        try:
            return cls.from_dict(data)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None


def _model_slug(model_id: str) -> str:
    return slug(os.path.basename(model_id.rstrip("/")) if os.path.isdir(model_id) else model_id, "model")


def artifact_filename(
    kind: str, model_id: str, dataset: str, ext: str, adapter: str | None = None, split: str = "test"
) -> str:
    """``<kind>_<model>[+<adapter>]_<dataset>_<split><ext>`` with path separators made safe: the name of one file
    an evaluation writes (``results`` .json, ``predictions`` .csv, ``scatter`` .png, ``answers`` .jsonl); a base
    model and the same base with an adapter write different files into one folder. ``ext`` starts with a dot."""
    model = _model_slug(model_id) + (f"+{_model_slug(adapter)}" if adapter else "")
    return f"{slug(kind)}_{model}_{slug(dataset)}_{slug(split)}{ext}"


def results_filename(model_id: str, dataset: str, split: str = "test", adapter: str | None = None) -> str:
    """``results_<model>[+<adapter>]_<dataset>_<split>.json`` (:func:`artifact_filename` of kind ``results``)."""
    return artifact_filename("results", model_id, dataset, ".json", adapter=adapter, split=split)


def iter_results(paths) -> Iterator[tuple[str | None, EvalRecord]]:
    """``(path, record)`` for results files, folders (every ``results_*.json`` inside) and :class:`EvalRecord`
    objects (path None), in the order given (a folder's files sorted by name)."""
    for item in [paths] if isinstance(paths, (str, os.PathLike, EvalRecord)) else paths:
        if isinstance(item, EvalRecord):
            yield None, item
            continue
        item = os.fspath(item)
        if os.path.isdir(item):
            for name in sorted(os.listdir(item)):
                if name.startswith("results_") and name.endswith(".json"):
                    yield os.path.join(item, name), EvalRecord.load(os.path.join(item, name))
        else:
            yield item, EvalRecord.load(item)


def load_results(paths) -> list[EvalRecord]:
    """Results from paths, folders (every ``results_*.json`` inside) or :class:`EvalRecord` objects."""
    return [record for _, record in iter_results(paths)]


# --- configs of a build -----------------------------------------------------------------------------------
def config_table_files(folder: str, config: str) -> list[str]:
    """The Parquet files of a build folder that ``config`` views; a clear error when there are none."""
    if config not in CONFIG_FILES:
        raise ValueError(f"unknown config {config!r}; the configs of a build are {', '.join(CONFIG_FILES)}")
    files = table_files(folder, *CONFIG_FILES[config])
    if files:
        return files
    if glob.glob(os.path.join(folder, config, "*.parquet")):
        raise ValueError(
            f"{folder}: built with the row-per-question layout of an older s2i-hf ({config}/*.parquet); rebuild it "
            "with `s2i build` (the per-video table stores each video once)"
        )
    expected = os.path.join(folder, TABLE_DIR, f"{CONFIG_FILES[config][0]}-*.parquet")
    raise FileNotFoundError(f"{folder}: no {config} data (expected {expected}, as `s2i build` writes)")


def load_config(
    source: str, config: str, *, split: str | None = None, revision: str | None = None, streaming: bool = False
):
    """One config of a build, ``video`` undecoded (``{"bytes", "path"}``).

    ``source``: a build folder (its Parquet files are read directly: ``datasets`` 5.2 can serve the cached rows of
    another folder with the same base name through ``load_dataset(folder, config)``), one Parquet file (read as
    it is, whatever its columns), or a Hub dataset id (``load_dataset(repo, config)``). ``split`` defaults to the
    config's split. A ``datasets.Dataset``, or a ``datasets.IterableDataset`` with ``streaming=True``."""
    import datasets

    if os.path.isdir(source):
        ds = datasets.load_dataset(
            "parquet",
            data_files=config_table_files(source, config),
            split="train",
            columns=list(CONFIG_COLUMNS[config]),
            streaming=streaming,
        )
    elif os.path.isfile(source):
        if not source.endswith(".parquet"):
            raise ValueError(f"{source}: expected a folder written by `s2i build`, a Parquet file or a Hub dataset id")
        try:
            ds = datasets.load_dataset("parquet", data_files=[source], split="train", streaming=streaming)
        except Exception as err:  # pyarrow raises several types for broken files
            raise ValueError(f"{source}: cannot be read as Parquet ({err})") from None
    elif os.path.exists(source):
        raise ValueError(f"{source}: expected a folder written by `s2i build`, a Parquet file or a Hub dataset id")
    else:
        ds = datasets.load_dataset(
            source, config, split=split or CONFIG_SPLIT[config], revision=revision, streaming=streaming
        )
    columns = ds.column_names if ds.column_names is not None else list((ds.features or {}).keys())
    if "video" in columns:
        ds = ds.cast_column("video", datasets.Video(decode=False))
    return ds
