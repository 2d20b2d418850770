"""Evaluation tasks described by data, and the runner that ``s2i eval`` calls.

Each shipped task is a YAML file in ``tasks/`` beside this module (lmms-eval style): what to ask the model
(``ask``), how an answer is scored (``score``), which `evaluate` module computes the metrics and which of its
outputs the results file reports (``metric``), and which per-item files are written beside the results file
(``outputs``: file-name prefix -> extension, named by :func:`s2i_hf.artifacts.artifact_filename`).

* ``vqa`` (:class:`VQATask`): a VQA set (:class:`~.vqa_sets.VQASet`) scored Q-Align style
  (:class:`~.qalign.QualityScorer`), SRCC/PLCC/KRCC/RMSE against the MOS; predictions CSV and scatter plot.
* ``s2i_bench`` (:class:`BenchTask`): S2I-Bench questions answered by the model, judged on CI/CU/DO/TU by a
  judge (:mod:`.judges`) when one is given, and the judge-free rating agreement; answers JSONL.

:func:`load_task` reads a shipped task by name (:func:`task_names`) or any task YAML file; :func:`evaluate` runs
VQA sets and the bench for one model and returns the :class:`~s2i_hf.artifacts.EvalRecord` of each, as written to
the output folder; :func:`results_table` formats them as ``s2i eval`` prints them.
"""

from __future__ import annotations

import csv
import json
import math
import numbers
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from s2i_hf.artifacts import SUMMARY_FILE, EvalRecord, artifact_filename, load_training_summary
from s2i_hf.catalog import read_yaml


__all__ = [
    "TASKS_DIR",
    "BenchTask",
    "EvalResults",
    "Task",
    "VQATask",
    "evaluate",
    "frame_sampling_for",
    "load_task",
    "read_predictions",
    "read_vqa_sets",
    "results_table",
    "score_videos",
    "task_names",
]

_HERE = os.path.dirname(os.path.abspath(__file__))
TASKS_DIR = os.path.join(_HERE, "tasks")
Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _silent(message: str) -> None:
    pass


# --- tasks as data ----------------------------------------------------------------------------------------
class Task:
    """A task read from its YAML file: ``config`` is the file's content, checked against :attr:`SCHEMA`."""

    kind: ClassVar[str]
    SCHEMA: ClassVar[dict[str, tuple[str, ...]]]  # section -> the keys it may hold
    OUTPUTS: ClassVar[tuple[str, ...]]  # the per-item files the class can write

    def __init__(self, config: Mapping[str, Any], name: str, path: str | None = None):
        self.config, self.name, self.path = dict(config), name, path
        where = path or name
        for section, value in self.config.items():
            if section == "kind":
                continue
            if section not in self.SCHEMA:
                raise ValueError(
                    f"{where}: unknown section {section!r} for a {self.kind} task (known: {', '.join(self.SCHEMA)})"
                )
            keys = self.SCHEMA[section]
            if keys and (not isinstance(value, Mapping) or set(value) - set(keys)):
                raise ValueError(f"{where}: {section!r} must be a mapping with keys among {', '.join(keys)}")
        missing = [s for s in self.SCHEMA if s not in self.config]
        if missing:
            raise ValueError(f"{where}: missing sections {missing}")
        outputs, report = self.config["outputs"] or {}, self.config["metric"].get("report")
        if not isinstance(outputs, Mapping) or not all(str(e).startswith(".") for e in outputs.values()):
            raise ValueError(f"{where}: 'outputs' must map file kinds to extensions (e.g. predictions: .csv)")
        if not isinstance(report, list) or not report:
            raise ValueError(f"{where}: metric.report must list the metric outputs to report")
        unknown = [o for o in outputs if o not in self.OUTPUTS]
        if unknown:
            raise ValueError(
                f"{where}: a {self.kind} task cannot write {unknown} (it writes {', '.join(self.OUTPUTS)})"
            )
        from . import METRICS

        if self.metric not in METRICS:
            raise ValueError(f"{where}: unknown metric module {self.metric!r} (shipped: {', '.join(METRICS)})")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    @property
    def metric(self) -> str:
        return self.config["metric"]["module"]

    @property
    def report(self) -> tuple[str, ...]:
        return tuple(self.config["metric"]["report"])

    @property
    def outputs(self) -> dict[str, str]:
        return dict(self.config["outputs"] or {})

    def reported(self, computed: Mapping[str, Any]) -> dict[str, float]:
        """The metric values the results file reports: those of ``report`` that are finite numbers."""
        out = {}
        for key in self.report:
            value = computed.get(key)
            if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
                out[key] = value
        return out

    def output_paths(
        self, output_dir: str, model_id: str, dataset: str, adapter: str | None, split: str
    ) -> dict[str, str]:
        return {
            kind: os.path.join(output_dir, artifact_filename(kind, model_id, dataset, ext, adapter, split))
            for kind, ext in self.outputs.items()
        }


def _settings(scorer) -> dict:
    return {**scorer.settings, "batch_size": scorer.batch_size}


def score_videos(
    scorer, paths: Sequence[str], *, dimension: str | None = None, progress: bool = False, chunk: int = 64
) -> tuple[list[float | None], dict[str, str]]:
    """Scores of ``paths``, a chunk of videos per :meth:`QualityScorer.score` call (bounded memory). A video that
    cannot be decoded is left out (None, and ``path -> error``) and the rest are scored as usual; a ValueError when
    no video could be scored."""
    from tqdm.auto import tqdm

    out: list[float | None] = [None] * len(paths)
    failed: dict[str, str] = {}
    bar = tqdm(total=len(paths), desc="Scoring videos", unit="video", disable=not progress)
    for start in range(0, len(paths), chunk):
        part = list(paths[start : start + chunk])
        for i, r in enumerate(scorer.score(part, dimension=dimension, on_error="record")):
            if r.error is None:
                out[start + i] = r.score
            else:
                failed[part[i]] = r.error
        bar.update(len(part))
    bar.close()
    if paths and len(failed) == len(paths):
        raise ValueError(f"no video could be scored; first error: {next(iter(failed.values()))}")
    return out, failed


class VQATask(Task):
    """Q-Align scores of a VQA set's videos correlated with their MOS (``tasks/vqa.yaml``)."""

    kind = "vqa"
    SCHEMA = {"ask": ("dimension",), "score": ("method", "chunk"), "metric": ("module", "report"), "outputs": ()}
    OUTPUTS = ("predictions", "scatter")
    METHODS = ("level_probabilities",)

    def __init__(self, config, name, path=None):
        super().__init__(config, name, path)
        if self.config["score"].get("method") not in self.METHODS:
            raise ValueError(f"{path or name}: score.method must be one of {', '.join(self.METHODS)}")
        if self.dimension is not None:
            from s2i_hf.dimensions import get_dimension

            get_dimension(self.dimension)  # an unknown id fails here, naming the known ones

    @property
    def dimension(self) -> str | None:
        return self.config["ask"].get("dimension")

    @property
    def chunk(self) -> int:
        return int(self.config["score"].get("chunk") or 64)

    def run(
        self,
        scorer,
        vqa_set,
        *,
        model_id: str,
        output_dir: str,
        adapter: str | None = None,
        limit: int | None = None,
        progress: bool = False,
        log: Log | None = _stderr,
    ) -> tuple[EvalRecord, dict[str, str]]:
        """Score ``vqa_set`` (a :class:`~.vqa_sets.VQASet`; its first ``limit`` videos) with ``scorer`` (a
        :class:`~.qalign.QualityScorer`), write the results file and the outputs into ``output_dir``.

        Returns the record and the files written (``{"results": path, "predictions": path, ...}``)."""
        from . import load_metric

        log = log or _silent
        videos = vqa_set.videos[:limit] if limit else vqa_set.videos
        preds, failed = score_videos(
            scorer, [v.path for v in videos], dimension=self.dimension, progress=progress, chunk=self.chunk
        )
        for msg in failed.values():
            log(f"  error: {msg}")
        keep = [i for i, p in enumerate(preds) if p is not None]
        x = [preds[i] for i in keep]
        y = [float(videos[i].mos) for i in keep]
        computed = load_metric(self.metric).compute(predictions=x, references=y)
        metrics = self.reported(computed)
        settings = {
            **_settings(scorer),
            "task": self.name,
            "limit": limit,
            "set": vqa_set.summary(),
            "n_failed": len(failed),
            "failed": sorted(os.path.relpath(p, vqa_set.video_dir) for p in failed)[:50],
            "logistic_params": computed.get("logistic_params"),
        }
        if self.dimension is not None:
            settings["dimension"] = self.dimension
        record = EvalRecord(
            model_id=model_id,
            adapter=adapter,
            dataset=vqa_set.name,
            task=self.kind,
            n=len(x),
            metrics=metrics,
            settings=settings,
        )
        files = {"results": record.save(output_dir)}
        for kind, path in self.output_paths(output_dir, model_id, vqa_set.name, adapter, record.split).items():
            if kind == "predictions":
                with open(path, "w", newline="", encoding="utf-8") as fh:
                    w = csv.writer(fh)
                    w.writerow(["video", "mos", "predicted"])
                    for v, p in zip(videos, preds):
                        rel = os.path.relpath(v.path, vqa_set.video_dir)
                        w.writerow([rel, v.mos, "" if p is None else f"{p:.6f}"])
            elif kind == "scatter":
                from s2i_hf.plots import plot_prediction_scatter

                plot_prediction_scatter(
                    x,
                    y,
                    path,
                    logistic_params=computed.get("logistic_params"),
                    metrics=metrics,
                    dataset=vqa_set.title,
                    model=model_id,
                )
            files[kind] = path
        log(f"{vqa_set.title}: " + "; ".join(f"{kind} -> {path}" for kind, path in files.items()))
        return record, files


class BenchTask(Task):
    """S2I-Bench answers of the model, judged and compared with the references (``tasks/s2i_bench.yaml``)."""

    kind = "s2i_bench"
    SCHEMA = {
        "dataset": (),
        "ask": ("max_new_tokens",),
        "score": ("judge",),
        "metric": ("module", "report"),
        "outputs": (),
    }
    OUTPUTS = ("answers",)
    JUDGE_KEYS = ("prompts", "criteria", "max_new_tokens")

    def __init__(self, config, name, path=None):
        super().__init__(config, name, path)
        judge = self.config["score"].get("judge") or {}
        if not isinstance(judge, Mapping) or set(judge) - set(self.JUDGE_KEYS):
            raise ValueError(
                f"{path or name}: score.judge must be a mapping with keys among {', '.join(self.JUDGE_KEYS)}"
            )

    @property
    def dataset(self) -> str:
        return str(self.config["dataset"])

    @property
    def max_new_tokens(self) -> int:
        return int(self.config["ask"].get("max_new_tokens") or 256)

    @property
    def _judge(self) -> dict:
        return dict(self.config["score"].get("judge") or {})

    @property
    def judge_prompts(self) -> str | None:
        """The judge prompts file: a path relative to the task file's folder, else to this package's folder (where
        the shipped ``judge_prompts.yaml`` is)."""
        name = self._judge.get("prompts")
        if not name or os.path.isabs(name):
            return name or None
        here = os.path.join(os.path.dirname(os.path.abspath(self.path)), name) if self.path else None
        return here if here and os.path.isfile(here) else os.path.join(_HERE, name)

    @property
    def criteria(self) -> tuple[str, ...] | None:
        return tuple(self._judge["criteria"]) if self._judge.get("criteria") else None

    @property
    def judge_max_new_tokens(self) -> int:
        return int(self._judge.get("max_new_tokens") or 32)

    def make_judge(
        self,
        model: str,
        *,
        url: str | None = None,
        api_key_env: str | None = None,
        max_new_tokens: int | None = None,
        trust_remote_code: bool = False,
    ):
        """The judge named by ``model`` (a causal LM, or the model served at ``url``), with the task's reply
        length unless ``max_new_tokens`` is given (:func:`.judges.make_judge`)."""
        from .judges import make_judge

        return make_judge(
            model,
            url=url,
            api_key_env=api_key_env,
            trust_remote_code=trust_remote_code,
            max_new_tokens=self.judge_max_new_tokens if max_new_tokens is None else max_new_tokens,
        )

    def run(
        self,
        scorer,
        source: str,
        *,
        model_id: str,
        output_dir: str,
        adapter: str | None = None,
        judge=None,
        judge_prompts: str | None = None,
        split: str = "test",
        limit: int | None = None,
        max_new_tokens: int | None = None,
        progress: bool = False,
        log: Log | None = _stderr,
    ) -> tuple[EvalRecord, dict[str, str]]:
        """Answer the bench at ``source`` (a build folder, a Parquet file or a Hub dataset id; its first ``limit``
        questions) with ``scorer``'s model, judge the answers with ``judge`` (a :class:`~.judges.Judge`, or None
        for the judge-free figures only), write the results file and the outputs into ``output_dir``.

        Returns the record and the files written (``{"results": path, "answers": path}``)."""
        from . import load_metric
        from .bench import generate_answers, load_bench
        from .judges import load_judge_prompts

        log = log or _silent
        items, info = load_bench(source, split=split, cache_dir=os.path.join(output_dir, ".bench_videos"), limit=limit)
        if not items:
            raise ValueError(f"{source}: the bench has no questions")
        prompts = load_judge_prompts(judge_prompts or self.judge_prompts)  # checked without a judge too: fails early
        max_new_tokens = self.max_new_tokens if max_new_tokens is None else max_new_tokens
        answers, failed = generate_answers(
            scorer.model,
            scorer.processor,
            items,
            sampling=scorer.sampling,
            max_new_tokens=max_new_tokens,
            progress=progress,
        )
        for msg in failed.values():
            log(f"  error: {msg}")
        keep = [i for i, a in enumerate(answers) if a is not None]
        if not keep:
            raise ValueError(f"{source}: no bench video could be read")
        out = load_metric(self.metric).compute(
            predictions=[answers[i] for i in keep],
            references=[items[i].reference for i in keep],
            questions=[items[i].question for i in keep],
            judge=judge,
            prompts=prompts,
            criteria=self.criteria,
            progress=progress,
            return_details=judge is not None,
        )
        judge_record = out.get("judge")
        if judge_record is not None:
            log(
                f"judge {judge_record['id']}: {judge_record['parse_failures']} of {judge_record['attempts']} replies "
                f"unparseable ({judge_record['parse_failure_rate']:.1%}), {judge_record['request_failures']} requests "
                "failed; excluded from the means"
            )
        settings = {
            **_settings(scorer),
            "task": self.name,
            "max_new_tokens": max_new_tokens,
            "bench": {k: v for k, v in info.items() if k != "files"},
            "bench_limit": limit,
            "judge_prompts": os.path.basename(prompts.path),
            "judge_prompt_hash": prompts.hash,
            "dimension_n": out["dimension_n"],
            "overall_n": out["overall_n"],
            "n_failed": len(failed),
            "failed": sorted(failed)[:50],
        }
        record = EvalRecord(
            model_id=model_id,
            adapter=adapter,
            dataset=self.dataset,
            split=split,
            dataset_hub_id=info.get("hub_id"),
            task=self.kind,
            n=len(keep),
            metrics=self.reported(out),
            judge=judge_record,
            settings=settings,
        )
        files = {"results": record.save(output_dir)}
        details = out.get("details") or [None] * len(keep)
        for kind, path in self.output_paths(output_dir, model_id, self.dataset, adapter, split).items():
            if kind == "answers":
                with open(path, "w", encoding="utf-8") as fh:
                    for i, d in zip(keep, details):
                        it = items[i]
                        row = {
                            "video_id": it.video_id,
                            "question_type": it.question_type,
                            "question": it.question,
                            "reference": it.reference,
                            "answer": answers[i],
                        }
                        if d is not None:
                            row["judge_scores"], row["judge_replies"] = d["scores"], d["replies"]
                        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            files[kind] = path
        log("S2I-Bench: " + "; ".join(f"{kind} -> {path}" for kind, path in files.items()))
        return record, files


TASK_CLASSES: dict[str, type[Task]] = {cls.kind: cls for cls in (VQATask, BenchTask)}


def task_names() -> list[str]:
    """The shipped tasks (``tasks/*.yaml``)."""
    return sorted(os.path.splitext(f)[0] for f in os.listdir(TASKS_DIR) if f.endswith(".yaml"))


def _read_task_file(path: str) -> dict:
    config = read_yaml(path)
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a task file holds a mapping")
    return config


def load_task(name: str | Task) -> Task:
    """A shipped task by name (:func:`task_names`), or a task YAML file (a path ending in ``.yaml``/``.yml``)."""
    if isinstance(name, Task):
        return name
    if name.endswith((".yaml", ".yml")):
        path, task_name = name, os.path.splitext(os.path.basename(name))[0]
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: task file not found")
    else:
        path, task_name = os.path.join(TASKS_DIR, f"{name}.yaml"), name
        if not os.path.isfile(path):
            raise KeyError(f"unknown task {name!r}; shipped: {', '.join(task_names())}")
    config = _read_task_file(os.path.abspath(path))
    cls = TASK_CLASSES.get(config.get("kind"))
    if cls is None:
        raise ValueError(f"{path}: kind must be one of {', '.join(TASK_CLASSES)}, got {config.get('kind')!r}")
    return cls(config, task_name, path)


# --- the runner -------------------------------------------------------------------------------------------
class EvalResults(list):
    """The :class:`~s2i_hf.artifacts.EvalRecord` of each task that ran (a list), with ``errors`` (task or set
    name -> why it failed, with ``on_error="record"``) and ``files`` (dataset name -> {output kind -> path})."""

    def __init__(self, records=()):
        super().__init__(records)
        self.errors: dict[str, str] = {}
        self.files: dict[str, dict[str, str]] = {}


def read_predictions(path: str) -> dict[str, float]:
    """A VQA task's predictions CSV (``video, mos, predicted``) as video (relative to its set's folder) -> score;
    videos left unscored are left out."""
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("predicted"):
                out[row["video"]] = float(row["predicted"])
    return out


def frame_sampling_for(
    model: str,
    adapter: str | None = None,
    *,
    num_frames: int | None = None,
    fps: float | None = None,
    max_pixels: int | None = None,
    fragments: int | None = None,
    fragment_size: int | None = None,
    span: float | None = None,
) -> tuple[dict, str]:
    """The frames to show the model, and where they come from: the arguments when any of ``num_frames``, ``fps``,
    ``max_pixels`` is given; else the ``training_summary.json`` that ``s2i train`` wrote beside the model (in the
    adapter or model folder or its parent, e.g. ``OUT/merged`` -> ``OUT``); else 8 frames. ``span`` (seconds the
    frames cover around each video's middle) applies to whichever of them is used.

    Fragments (:class:`s2i_hf.frames.FrameSampling`) change what kind of picture the model sees, not how many:
    a model trained on them keeps them when only the frame count is given; ``fragments=0`` turns them off."""
    explicit = num_frames is not None or fps is not None or max_pixels is not None
    # the record (a Hub download for a Hub id) only when something of it is used
    recorded, where = (None, None) if explicit and fragments is not None else _recorded_sampling(model, adapter)
    frag = {k: recorded[k] for k in ("fragments", "fragment_size") if recorded and recorded.get(k) is not None}
    if fragments is not None:
        frag = {"fragments": fragments} if fragments > 0 else {}
    if fragment_size is not None and frag:
        frag["fragment_size"] = fragment_size
    spanned = {"span": span} if span is not None else {}  # alone, it changes the spacing of the recorded frames
    if explicit:
        frames = num_frames if num_frames is not None or fps is not None else 8
        return {"num_frames": frames, "fps": fps, "max_pixels": max_pixels, **spanned, **frag}, "command line"
    if recorded is not None:
        keys = ("num_frames", "fps", "max_pixels", "max_frames", "span")
        return {**{k: recorded[k] for k in keys if k in recorded}, **spanned, **frag}, f"as trained: {where}"
    return {"num_frames": 8, "fps": None, "max_pixels": None, **spanned, **frag}, "default"


def _recorded_sampling(model: str, adapter: str | None) -> tuple[dict | None, str | None]:
    """The ``frame_sampling`` recorded in the ``training_summary.json`` beside the adapter or model (a local folder,
    or a Hub repo that ``s2i push model`` wrote, which carries the file), and where it was found."""
    for folder in (adapter, model):
        if folder and not os.path.exists(folder):
            path = _hub_summary(folder)
            recorded = load_training_summary(path).get("frame_sampling") if path else None
            if isinstance(recorded, dict):
                return recorded, f"{folder} ({SUMMARY_FILE} on the Hub)"
            continue
        if not folder or not os.path.isdir(folder):
            continue
        for candidate in (folder, os.path.dirname(os.path.realpath(folder))):  # a link (the demo's) to OUT/merged
            path = os.path.join(candidate, SUMMARY_FILE)
            if os.path.isfile(path):
                recorded = load_training_summary(path).get("frame_sampling")
                if isinstance(recorded, dict):
                    return recorded, path
    return None, None


def _hub_summary(repo_id: str) -> str | None:
    """The local copy of a Hub model repo's ``training_summary.json``, or None when the id is not a repo id, the repo
    has no such file or the Hub cannot be reached (offline mode: the cached copy, if any)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
        return hf_hub_download(repo_id, SUMMARY_FILE)
    except (HFValidationError, EntryNotFoundError, OSError, ValueError):  # no file, offline, no connection
        return None


def read_vqa_sets(
    dirs: Mapping[str, str], labels: Mapping[str, str] | None = None, *, allow_missing: bool = False
) -> list:
    """:func:`~.vqa_sets.read_vqa_set` of each ``name -> video folder`` (``labels``: ``name -> label file`` where
    the official one is not in the folder); a set given labels but no folder is a ValueError."""
    from .vqa_sets import read_vqa_set

    labels = dict(labels or {})
    unknown = sorted(set(labels) - set(dirs))
    if unknown:
        raise ValueError(f"label files for sets without a video folder: {', '.join(unknown)}")
    return [
        read_vqa_set(name, folder, labels=labels.get(name), allow_missing=allow_missing)
        for name, folder in dirs.items()
    ]


def evaluate(
    model,
    *,
    output_dir: str,
    vqa_sets=(),
    vqa_labels: Mapping[str, str] | None = None,
    allow_missing: bool = False,
    bench: str | None = None,
    bench_split: str = "test",
    bench_limit: int | None = None,
    judge=None,
    judge_prompts: str | None = None,
    max_new_tokens: int | None = None,
    limit: int | None = None,
    adapter: str | None = None,
    model_id: str | None = None,
    num_frames: int | None = None,
    fps: float | None = None,
    max_pixels: int | None = None,
    fragments: int | None = None,
    fragment_size: int | None = None,
    span: float | None = None,
    fragment_views: int = 8,
    batch_size: int = 4,
    trust_remote_code: bool = False,
    vqa_task: str | Task = "vqa",
    bench_task: str | Task = "s2i_bench",
    progress: bool = True,
    on_error: str = "raise",
    log: Log | None = _stderr,
) -> EvalResults:
    """Evaluate one model on VQA sets and/or S2I-Bench; the results files and per-item outputs go to ``output_dir``.

    ``model``: a Hub id or local folder (loaded as a :class:`~.qalign.QualityScorer`, with ``adapter``, the frame
    sampling of :func:`frame_sampling_for` (``num_frames``, ``fps``, ``max_pixels``, ``fragments``,
    ``fragment_size``, ``span``), ``fragment_views`` and ``batch_size``), or a ready ``QualityScorer`` (then
    ``model_id`` names it in the results). ``vqa_sets``: :class:`~.vqa_sets.VQASet` objects, or ``name -> video
    folder`` (read with :func:`read_vqa_sets`, ``vqa_labels`` and ``allow_missing``, before the model is loaded).
    ``bench``: a build folder, Parquet file or Hub dataset id; ``judge``: a :class:`~.judges.Judge`, a judge model
    name (made by the bench task), or None for the judge-free figures. ``limit`` / ``bench_limit``: the first N
    videos of each set / questions of the bench. ``vqa_task`` / ``bench_task``: a task name or YAML file
    (:func:`load_task`). ``on_error="record"``: a set or bench that fails is recorded in the returned
    ``errors`` and the others still run. ``log``: where the status lines go (default: stderr; None: nowhere).
    """
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
    log = log or _silent
    vqa, bench_t = load_task(vqa_task), load_task(bench_task)
    if isinstance(vqa_sets, Mapping):
        vqa_sets = read_vqa_sets(vqa_sets, vqa_labels, allow_missing=allow_missing)
    if bench is not None and isinstance(judge, str):
        judge = bench_t.make_judge(judge, trust_remote_code=trust_remote_code)
    if isinstance(model, str):
        from .qalign import QualityScorer

        sampling, source = frame_sampling_for(
            model,
            adapter,
            num_frames=num_frames,
            fps=fps,
            max_pixels=max_pixels,
            fragments=fragments,
            fragment_size=fragment_size,
            span=span,
        )
        views = f", {fragment_views} fragment views" if sampling.get("fragments") and fragment_views > 1 else ""
        log(f"frames: {', '.join(f'{k}={v}' for k, v in sampling.items() if v is not None)}{views} ({source})")
        model_id = model_id or model
        scorer = QualityScorer.from_pretrained(
            model,
            adapter=adapter,
            trust_remote_code=trust_remote_code,
            batch_size=batch_size,
            fragment_views=fragment_views,
            **sampling,
        )
    else:
        scorer = model
        model_id = model_id or getattr(getattr(scorer.model, "config", None), "name_or_path", None) or "model"
    os.makedirs(output_dir, exist_ok=True)
    results = EvalResults()
    for s in vqa_sets:
        try:
            record, files = vqa.run(
                scorer,
                s,
                model_id=model_id,
                adapter=adapter,
                output_dir=output_dir,
                limit=limit,
                progress=progress,
                log=log,
            )
        except ValueError as exc:
            if on_error == "raise":
                raise
            results.errors[s.name] = str(exc)
            continue
        results.append(record)
        results.files[record.dataset] = files
    if bench is not None:
        from .judges import JudgeError

        try:
            record, files = bench_t.run(
                scorer,
                bench,
                model_id=model_id,
                adapter=adapter,
                output_dir=output_dir,
                judge=judge,
                judge_prompts=judge_prompts,
                split=bench_split,
                limit=bench_limit,
                max_new_tokens=max_new_tokens,
                progress=progress,
                log=log,
            )
        except (ValueError, FileNotFoundError, JudgeError) as exc:
            if on_error == "raise":
                raise
            results.errors["bench"] = str(exc)
        else:
            results.append(record)
            results.files[record.dataset] = files
    return results


# --- the table --------------------------------------------------------------------------------------------
def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def results_table(records: Sequence[EvalRecord]) -> str:
    """VQA results (n, SRCC, PLCC, KRCC, RMSE) and bench results (n, CI, CU, DO, TU, unparsed judge replies,
    judge-free agreement) as plain-text tables; empty when there are none."""
    vqa = [r for r in records if r.task == "vqa"]
    bench = [r for r in records if r.task == "s2i_bench"]
    lines = []
    if vqa:
        w = max(len("dataset"), *(len(r.dataset) for r in vqa))
        lines.append(f"{'dataset':<{w}}  {'n':>6}  {'SRCC':>6}  {'PLCC':>6}  {'KRCC':>6}  {'RMSE':>7}")
        for r in vqa:
            m = r.metrics
            lines.append(
                f"{r.dataset:<{w}}  {r.n:>6}  {_fmt(m.get('srcc')):>6}  {_fmt(m.get('plcc')):>6}  "
                f"{_fmt(m.get('krcc')):>6}  {_fmt(m.get('rmse')):>7}"
            )
    for r in bench:
        m = r.metrics
        if vqa:
            lines.append("")
        fail = "-" if r.judge is None else f"{r.judge['parse_failure_rate']:.1%}"
        lines.append(
            f"{'dataset':<9}  {'n':>5}  {'CI':>5}  {'CU':>5}  {'DO':>5}  {'TU':>5}  {'unparsed':>8}  "
            f"{'dim acc':>7}  {'dim err':>7}  {'overall acc':>11}"
        )
        lines.append(
            f"{r.dataset:<9}  {r.n:>5}  {_fmt(m.get('ci')):>5}  {_fmt(m.get('cu')):>5}  "
            f"{_fmt(m.get('do')):>5}  {_fmt(m.get('tu')):>5}  {fail:>8}  "
            f"{_fmt(m.get('dimension_accuracy')):>7}  {_fmt(m.get('dimension_ordinal_error')):>7}  "
            f"{_fmt(m.get('overall_accuracy')):>11}"
        )
    return "\n".join(lines)
