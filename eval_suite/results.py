"""Results files: one JSON per (model, dataset, split), the single source for cards and leaderboard entries.

Layout (``EvalResult.to_dict``)::

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

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["EvalResult", "load_results", "results_filename"]

TASKS = ("vqa", "s2i_bench")


@dataclass
class EvalResult:
    """One model evaluated on one dataset split."""

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
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.package_version is None:
            from s2i_hf import __version__

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
    def from_dict(cls, data: dict[str, Any]) -> "EvalResult":
        try:
            model, dataset = data["model"], data["dataset"]
            return cls(
                model_id=model["id"], model_revision=model.get("revision"), adapter=model.get("adapter"),
                dataset=dataset["name"], split=dataset.get("split", "test"), dataset_hub_id=dataset.get("hub_id"),
                task=data["task"], n=data["n"], metrics=data["metrics"], judge=data.get("judge"),
                settings=data.get("settings") or {}, package_version=data.get("package_version"),
                timestamp=data.get("timestamp"),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"not an s2i results file: missing {err}") from None

    def save(self, folder: str) -> str:
        """Write ``folder/<results_filename>`` and return its path."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, results_filename(self.model_id, self.dataset, self.split, self.adapter))
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=False)
            fh.write("\n")
        return path

    @classmethod
    def load(cls, path: str) -> "EvalResult":
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}: not JSON ({err})") from None
        try:
            return cls.from_dict(data)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip("/")).strip("_") or "model"


def _model_slug(model_id: str) -> str:
    return _slug(os.path.basename(model_id.rstrip("/")) if os.path.isdir(model_id) else model_id)


def results_filename(model_id: str, dataset: str, split: str = "test", adapter: str | None = None) -> str:
    """``results_<model>[+<adapter>]_<dataset>_<split>.json`` with path separators made safe: a base model and
    the same base with an adapter write different files into one folder."""
    model = _model_slug(model_id) + (f"+{_model_slug(adapter)}" if adapter else "")
    return f"results_{model}_{_slug(dataset)}_{_slug(split)}.json"


def load_results(paths) -> list[EvalResult]:
    """Results files from paths or folders (every ``results_*.json`` inside a folder)."""
    out = []
    for path in [paths] if isinstance(paths, str) else paths:
        if os.path.isdir(path):
            out += [EvalResult.load(os.path.join(path, f)) for f in sorted(os.listdir(path)) if f.startswith("results_") and f.endswith(".json")]
        else:
            out.append(EvalResult.load(path))
    return out
