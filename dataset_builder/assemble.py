"""``s2i build``: videos (+ labels) -> scores (cached, sharded across ranks) -> text -> Parquet configs + card.

Steps: collect sources and exclusions; optionally quality-balance the unlabeled pool; score every video
into the shared score cache (each rank of ``accelerate launch`` takes its share); then the main process
merges labels, holds out bench videos, writes the instruction text (one plan row per video), and drives
:class:`S2IBuilder` to write the per-video table ``OUT/videos/{train,bench}-NNNNN-of-NNNNN.parquet`` (each video's
bytes once; the four configs are column views of it, see :mod:`s2i_hf.data_layout`) plus the dataset card.
Same inputs and seed, same bytes.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from tqdm.auto import tqdm

from s2i_hf.artifacts import save_build_report
from s2i_hf.data_layout import CONFIG_NAMES, SCORE_COLUMNS, TABLE_DIR, TABLE_SPLITS, card_config_entries, table_file
from s2i_hf.frames import FrameSampling
from s2i_hf.label_files import ExclusionList, LabeledVideo, read_maxwell_labels, read_mos_manifest
from s2i_hf.scoring import DimensionScores, VideoScorer
from s2i_hf.scoring.runner import iter_scores
from s2i_hf.text import bench_items, stage1_conversation, stage2_items
from s2i_hf.video import VideoRef, resolve_videos, video_id_of, write_video_file

from .balance import balanced_sample, disagreement_filter
from .builder import S2IBuilder, plan_path
from .cache import ScoreCache
from .config import BuildArguments


__all__ = ["Candidate", "BuildResult", "build_dataset", "collect_candidates", "distributed_state"]

logger = logging.getLogger(__name__)

_SCORE_FIELDS = tuple(c for c in SCORE_COLUMNS if c != "video") + ("video_path",)


@dataclass
class Candidate:
    ref: VideoRef
    video_id: str
    source: str  # labeled | unlabeled
    labels: LabeledVideo | None = None
    aliases: list[str] = field(default_factory=list)  # other inputs with the same content (scored once)


@dataclass
class BuildResult:
    out: str | None
    counts: dict[str, int] = field(default_factory=dict)
    task_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    excluded: int = 0
    dropped_by_balance: int = 0
    dropped_by_disagreement: int = 0
    rewrite: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "records"}
        d["videos"] = len(self.records)
        return d


# --- distributed -----------------------------------------------------------------------------------


def distributed_state():
    """accelerate's process state (rank, world size, barrier); a single process when not launched."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


# --- sources ---------------------------------------------------------------------------------------


def _materialise(ref: VideoRef, video_id: str, folder: str) -> VideoRef:
    """A video given as bytes (e.g. from a ``datasets`` Video column) written once to ``folder``."""
    return VideoRef(name=ref.name, path=write_video_file(ref.data, folder, video_id, name=ref.name))


def collect_candidates(
    videos, args: BuildArguments, staging_dir: str | None = None
) -> tuple[list[Candidate], list[dict[str, str]], int]:
    """(candidates in a stable order, problems, number excluded).

    ``videos``: paths, folders, globs, manifests, :class:`VideoRef` objects, or a ``datasets.Dataset``
    with a ``video`` column (its bytes are written once to ``staging_dir``)."""
    problems: list[dict[str, str]] = []
    labeled: list[LabeledVideo] = []
    exclusion_names: list[str] = []
    names_for = list(args.labeled_names) + [None] * (len(args.labeled) - len(args.labeled_names))
    for csv_path, names in zip(args.labeled, names_for):
        rows = read_maxwell_labels(csv_path, video_dir=args.video_dir, names=names)
        if "val" in os.path.basename(csv_path).lower() and not args.use_val_for_training:
            exclusion_names += [r.path for r in rows]  # a test set: kept out, as the paper does
        else:
            labeled += rows
    for manifest in args.mos:
        labeled += read_mos_manifest(manifest, video_dir=args.video_dir)
    exclusions = ExclusionList.from_files(args.exclude) if args.exclude else ExclusionList()
    exclusions.names |= {os.path.basename(n) for n in exclusion_names}
    # and by content, where the test videos are on disk: a renamed copy in the pool is the same test video
    exclusions.video_ids |= {video_id_of(n) for n in exclusion_names if os.path.isfile(n)}

    cands: list[Candidate] = []
    if hasattr(videos, "column_names") and hasattr(videos, "cast_column"):
        from s2i_hf.scoring.runner import refs_from_dataset

        refs, bad = refs_from_dataset(videos), []
    else:
        given = list(videos or [])
        refs = [v for v in given if isinstance(v, VideoRef)]
        found, bad = (
            resolve_videos([v for v in given if not isinstance(v, VideoRef)]) if len(refs) < len(given) else ([], [])
        )
        refs += found
    problems += [{"path": p, "error": f"{p}: {r}"} for p, r in bad]
    pending: list[tuple[VideoRef, str, LabeledVideo | None]] = [(r, "unlabeled", None) for r in refs]
    for lab in labeled:
        if not os.path.isfile(lab.path):
            problems.append(
                {"path": lab.path, "error": f"{lab.path}: file listed in {lab.source_file} does not exist"}
            )
            continue
        kind = "labeled" if lab.scores else "unlabeled"
        pending.append((VideoRef(name=lab.path, path=lab.path), kind, lab))
    seen: dict[str, Candidate] = {}
    excluded = 0
    for ref, kind, lab in pending:
        try:
            vid = video_id_of(ref)
        except OSError as exc:
            problems.append({"path": ref.name, "error": f"{ref.name}: cannot read file ({exc.strerror or exc})"})
            continue
        if (ref.name, vid) in exclusions:
            excluded += 1
            continue
        if ref.path is None:
            if staging_dir is None:
                raise ValueError("videos given as bytes need a staging folder")
            ref = _materialise(ref, vid, staging_dir)
        if vid in seen:
            prev = seen[vid]
            if ref.name != prev.ref.name and ref.name not in prev.aliases:
                prev.aliases.append(ref.name)
            if lab is not None and prev.labels is None:  # labels win over an unlabeled copy of the same video
                prev.labels, prev.source = lab, kind
            continue
        seen[vid] = Candidate(ref=ref, video_id=vid, source=kind, labels=lab)
    cands = sorted(seen.values(), key=lambda c: c.video_id)
    return cands, problems, excluded


# --- scoring ---------------------------------------------------------------------------------------


def _score_into_cache(
    cands: list[Candidate], scorer: VideoScorer, cache: ScoreCache, workers: int, state, desc: str, progress: bool
):
    mine = [c for i, c in enumerate(cands) if i % state.num_processes == state.process_index]
    todo = [(c.video_id, c.ref) for c in mine if c.video_id not in cache]
    bar = tqdm(
        total=len(todo),
        desc=f"{desc} (rank {state.process_index})" if state.num_processes > 1 else desc,
        unit="video",
        disable=not progress or not todo,
    )
    for vid, row in iter_scores(scorer, todo, workers):
        row = dict(row)
        row["video_id"] = vid
        row["rank"] = state.process_index  # provenance: which process scored it
        cache.put(vid, row)
        bar.update(1)
    bar.close()


def _error_naming(name: str, row: dict[str, Any]) -> str:
    """A cached error row's message, naming ``name`` instead of the path it was scored under."""
    error, scored_as = row["error"], row.get("path")
    if scored_as and error.startswith(f"{scored_as}: "):
        error = error[len(scored_as) + 2 :]
    return f"{name}: {error}"


def _light_scorer(scorer: VideoScorer) -> VideoScorer:
    """The balancing proxy: the same scorers on 8 frames at most 256 px (decoding dominates the cost)."""
    return VideoScorer(
        scorers=scorer.scorers,
        sampling=FrameSampling.windows(num_frames=8, window=4, max_side=256),
        scale=scorer.scale,
        aggregation=scorer.aggregation,
        crop_bars=scorer.crop_bars,
    )


# --- records ---------------------------------------------------------------------------------------


def _content(c: Candidate, content_from: str) -> str | None:
    """The source content ``c`` was made from (``--content_from``): its input's parent folder, or ``None``."""
    if content_from != "folder":
        return None
    return os.path.basename(os.path.dirname(os.path.normpath(c.ref.name))) or None


def _record(c: Candidate, row: dict[str, Any], scorer: VideoScorer, content_from: str = "none") -> dict[str, Any]:
    scores = dict(row["scores"])
    scorers = dict(row["scorers"])
    if c.labels is not None:
        for dim, value in c.labels.scores.items():
            scores[dim] = value
            scorers[dim] = "maxwell-label"
    ds = DimensionScores.from_scores(scores, scale=scorer.scale, aggregation=scorer.aggregation, scorers=scorers)
    return {
        "video_id": c.video_id,
        "video_path": c.ref.path,
        "source": c.source,
        "content_id": _content(c, content_from),
        "scores": ds.scores,
        "levels": ds.levels,
        "group_levels": ds.group_levels,
        "overall_score": ds.overall_score,
        "overall_level": ds.overall_level,
        "mos": c.labels.mos if c.labels is not None else None,
        "caption": None,
        "scorers": ds.scorers,
    }


def _choose_bench(records: list[dict], args: BuildArguments) -> set[str]:
    if args.bench_size <= 0 or len(records) < 2:
        return set()
    n = max(1, int(round(args.bench_fraction * len(records))))
    n = min(n, len(records) - 1, args.bench_size)
    # stratified over overall levels: walk the levels round-robin, seeded order inside each
    rng = random.Random(f"bench:{args.seed}")
    by_level: dict[str, list[str]] = {}
    for r in records:
        by_level.setdefault(r["overall_level"], []).append(r["video_id"])
    pools = [sorted(v) for _, v in sorted(by_level.items())]
    for p in pools:
        rng.shuffle(p)
    chosen: list[str] = []
    while len(chosen) < n:
        for p in pools:
            if p and len(chosen) < n:
                chosen.append(p.pop())
    return set(chosen)


# --- the build -------------------------------------------------------------------------------------


BUILD_LOCK = ".s2i_build.lock"


@contextmanager
def build_lock(out: str):
    """Hold ``OUT/.s2i_build.lock`` (creating ``out``) while a build captions, writes its instructions, table, card
    and report into ``out``: a second build into the same folder (another terminal, a re-run) waits for the first,
    instead of removing its work folder or moving its table over the other's. Scoring is outside the lock (the score
    cache is shared)."""
    from filelock import FileLock, Timeout

    os.makedirs(out, exist_ok=True)
    lock = FileLock(os.path.join(out, BUILD_LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning("another build is writing %s; waiting for it to finish (lock file %s)", out, lock.lock_file)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def build_dataset(
    videos,
    args: BuildArguments,
    *,
    scorer: VideoScorer | None = None,
    rewriter: Callable | None = None,
    captioner: Callable | None = None,
    state=None,
    card_writer: Callable | None = None,
) -> BuildResult:
    """Run the whole build. Returns a :class:`BuildResult` (on non-main ranks: after scoring, ``out=None``).

    ``card_writer(out, result, args, scorer)`` writes the folder's README.md; ``s2i build`` passes
    :func:`s2i_hf.cards.dataset_card.write_dataset_card` (the full dataset card). Without one the README holds
    only what ``load_dataset`` needs (:func:`write_layout_card`)."""

    out = args.output_dir
    if out is None:
        raise ValueError("BuildArguments.output_dir is required")
    state = state or distributed_state()
    progress = not args.quiet
    scorer = scorer or VideoScorer(
        sampling=FrameSampling.windows(
            num_frames=args.frames, window=args.window, fps=args.fps, max_side=args.max_side
        ),
        crop_bars=not args.keep_bars,
    )
    cache_root = args.cache_dir or os.path.join(out, ".score_cache")
    cache = ScoreCache(cache_root, scorer.setup())

    cands, problems, excluded = collect_candidates(videos, args, staging_dir=os.path.join(out, ".videos"))
    result = BuildResult(out=out, problems=problems, excluded=excluded)

    if args.balance_size is not None:
        unl = [c for c in cands if c.source == "unlabeled"]
        light = _light_scorer(scorer)
        light_cache = ScoreCache(cache_root, light.setup())
        _score_into_cache(unl, light, light_cache, args.workers, state, "Proxy scoring", progress)
        state.wait_for_everyone()
        proxy = {c.video_id: light_cache.get(c.video_id) for c in unl}
        ok = [c for c in unl if proxy[c.video_id] and not proxy[c.video_id].get("error")]
        keep = set(
            balanced_sample(
                [c.video_id for c in ok],
                [proxy[c.video_id]["overall_score"] for c in ok],
                args.balance_size,
                args.balance_bins,
                args.seed,
            )
        )
        result.dropped_by_balance = len(ok) - len(keep)
        cands = [c for c in cands if c.source != "unlabeled" or c.video_id in keep]

    _score_into_cache(cands, scorer, cache, args.workers, state, "Scoring videos", progress)
    state.wait_for_everyone()
    if not state.is_main_process:
        result.out = None
        return result

    with build_lock(out):  # one build at a time lays out a folder; the scoring above may overlap
        for stale in (d for d in os.listdir(out) if d.startswith(".build-")):
            shutil.rmtree(os.path.join(out, stale), ignore_errors=True)  # left by a killed build (the lock is ours)
        records = []
        for c in cands:
            row = cache.get(c.video_id)
            if row is None:
                raise RuntimeError(
                    f"score cache {cache.dir} has no entry for {c.ref.name} after scoring; was a rank killed?"
                )
            if row.get("error"):
                # every input with this content is reported under its own name (the cached row may name
                # another copy, or the same file where it was when first scored)
                for name in (c.ref.name, *c.aliases):
                    result.problems.append({"path": name, "error": _error_naming(name, row)})
                continue
            records.append(_record(c, row, scorer, args.content_from))
        if args.balance_size is not None:
            proxy = {}
            for r in records:
                p = light_cache.get(r["video_id"]) if r["source"] == "unlabeled" else None
                if p and not p.get("error"):
                    proxy[r["video_id"]] = p["overall_score"]
            full = {r["video_id"]: r["overall_score"] for r in records if r["video_id"] in proxy}
            _, dropped = disagreement_filter(proxy, full, args.max_disagreement)
            result.dropped_by_disagreement = len(dropped)
            records = [r for r in records if r["video_id"] not in set(dropped)]
        if not records:
            raise RuntimeError("no video could be scored: " + "; ".join(p["error"] for p in result.problems[:5]))

        if captioner is not None:
            for r in tqdm(records, desc="Captioning", unit="video", disable=not progress):
                r["caption"] = captioner(r)

        bench_ids = _choose_bench(records, args)
        for r in records:
            r["split"] = "bench" if r["video_id"] in bench_ids else "train"

        rewrite_stats = {"attempted": 0, "accepted": 0, "rejected": 0}
        per_bench = math.ceil(args.bench_size / len(bench_ids)) if bench_ids else 0
        work = tempfile.mkdtemp(prefix=".build-", dir=out)
        try:
            plan = PlanWriter(os.path.join(work, "plan"))
            for r in tqdm(records, desc="Writing instructions", unit="video", disable=not progress):
                if r["split"] == "bench":
                    plan.add("bench", bench_row(r, args, n=min(per_bench, args.bench_size - plan.counts["questions"])))
                else:
                    plan.add("train", train_row(r, args, rewriter, rewrite_stats))
            plan.close()
            result.rewrite = rewrite_stats
            result.records = records
            result.counts, result.task_counts = plan.counts_per_config(), plan.task_counts()
            write_dataset(
                plan.dir, out, work, present=plan.present(), max_shard_size=args.max_shard_size, progress=progress
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        result.bytes = _byte_counts(out, records)
        (card_writer or write_layout_card)(out, result, args, scorer)
        save_build_report(out, result.to_dict())
        return result


def write_layout_card(out: str, result: BuildResult, args=None, scorer=None) -> str:
    """A README.md whose YAML ``configs:`` let ``load_dataset(out, config)`` read the build, and nothing more."""
    from huggingface_hub import DatasetCard, DatasetCardData

    present = {
        "train": bool(result.counts.get("stage1", {}).get("rows")),
        "bench": bool(result.counts.get("bench", {}).get("rows")),
    }
    data = DatasetCardData(configs=card_config_entries(present), tags=["score2instruct"])
    body = (
        "Built by `s2i_hf.dataset_builder.build_dataset` without a dataset card; "
        "`s2i build` writes the full card (`s2i_hf.cards.dataset_card.write_dataset_card`).\n"
    )
    path = os.path.join(out, "README.md")
    DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}").save(path)
    return path


def _plan_row(r: dict) -> dict:
    row = {k: r[k] for k in _SCORE_FIELDS}
    row.update(messages=[], task=None, dimensions=[], conversations=[], questions=[])
    return row


def bench_row(r: dict, args, n: int) -> dict:
    """The plan row of a bench video: its scores and ``n`` open-ended questions with references."""
    row = _plan_row(r)
    row["questions"] = [
        {k: item[k] for k in ("question", "reference", "question_type", "dimensions")}
        for item in bench_items(r, args.seed, n=n)
    ]
    return row


def train_row(r: dict, args, rewriter=None, rewrite_stats: dict | None = None) -> dict:
    """The plan row of a training video: its scores, its Stage I conversation and its Stage II conversations
    (justifications rewritten by ``rewriter`` when given, counted in ``rewrite_stats``)."""
    row = _plan_row(r)
    row.update(
        {
            k: v
            for k, v in stage1_conversation(
                r, args.seed, include_overall=args.stage1_overall, dimensions=args.stage1_dimension_ids
            ).items()
            if k != "video_id"
        }
    )
    for item in stage2_items(r, args.seed, n_what_how=args.what_how_per_video, n_yes_no=args.yes_no_per_video):
        if rewriter is not None and item["task"] == "justification":
            rewrite_stats["attempted"] += 1
            new_text, accepted = rewriter(_assistant_text(item), r)
            rewrite_stats["accepted" if accepted else "rejected"] += 1
            if accepted:
                item = _with_assistant_text(item, new_text)
        row["conversations"].append({k: item[k] for k in ("messages", "task", "dimensions")})
    return row


class PlanWriter:
    """Streams the per-video rows of the plan to one JSON Lines file per table split (memory stays flat however
    many videos), counting videos, conversations, assistant turns and tasks per config as it goes."""

    def __init__(self, folder: str):
        self.dir = folder
        os.makedirs(folder, exist_ok=True)
        self._files = {split: open(plan_path(folder, split), "w", encoding="utf-8") for split in TABLE_SPLITS}
        self.videos = dict.fromkeys(TABLE_SPLITS, 0)
        self.counts = {"questions": 0}
        self.conversations = {"stage1": 0, "stage2": 0, "bench": 0}
        self.turns = {"stage1": 0, "stage2": 0, "bench": 0}
        self.tasks: dict[str, dict[str, int]] = {"stage1": {}, "stage2": {}, "bench": {}}

    def _task(self, config: str, task: str, n: int = 1) -> None:
        self.tasks[config][task] = self.tasks[config].get(task, 0) + n

    def add(self, split: str, row: dict) -> None:
        self._files[split].write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        self.videos[split] += 1
        if split == "bench":
            self.counts["questions"] += len(row["questions"])
            self.conversations["bench"] += len(row["questions"])
            self.turns["bench"] += len(row["questions"])
            for q in row["questions"]:
                self._task("bench", q["question_type"])
            return
        self.conversations["stage1"] += 1
        self.turns["stage1"] += _assistant_turns(row["messages"])
        self._task("stage1", row["task"], _assistant_turns(row["messages"]))
        for conv in row["conversations"]:
            self.conversations["stage2"] += 1
            self.turns["stage2"] += _assistant_turns(conv["messages"])
            self._task("stage2", conv["task"])

    def close(self):
        for fh in self._files.values():
            fh.close()

    def present(self) -> dict[str, bool]:
        return {split: n > 0 for split, n in self.videos.items()}

    def counts_per_config(self) -> dict[str, dict[str, int]]:
        """Rows (videos), conversations and assistant turns of each config."""
        train, bench = self.videos["train"], self.videos["bench"]
        out = {"scores": {"rows": train + bench, "videos": train + bench}}
        for config, videos in (("stage1", train), ("stage2", train), ("bench", bench)):
            if videos:
                out[config] = {
                    "rows": videos,
                    "videos": videos,
                    "conversations": self.conversations[config],
                    "turns": self.turns[config],
                }
        return out

    def task_counts(self) -> dict[str, dict[str, int]]:
        return {name: dict(sorted(t.items())) for name, t in self.tasks.items() if t}


def _assistant_turns(messages) -> int:
    return sum(1 for m in messages if m["role"] == "assistant")


def _byte_counts(out: str, records: list[dict]) -> dict[str, int]:
    """Bytes of the input videos (each once) and of the Parquet files written: the storage figure of a build."""
    seen, videos = set(), 0
    for r in records:
        if r["video_id"] not in seen:
            seen.add(r["video_id"])
            videos += os.path.getsize(r["video_path"])
    parquet = sum(
        os.path.getsize(os.path.join(root, f))
        for root, _, files in os.walk(os.path.join(out, TABLE_DIR))
        for f in files
        if f.endswith(".parquet")
    )
    return {"input_videos": videos, "parquet": parquet}


def _assistant_text(item) -> str:
    return "".join(
        b["text"] for m in item["messages"] if m["role"] == "assistant" for b in m["content"] if b["type"] == "text"
    )


def _with_assistant_text(item, text):
    messages = [
        m if m["role"] != "assistant" else {"role": "assistant", "content": [{"type": "text", "text": text}]}
        for m in item["messages"]
    ]
    return {**item, "messages": messages}


def write_dataset(
    plan_dir: str,
    out: str,
    work: str,
    *,
    present: dict[str, bool],
    max_shard_size: str = "500MB",
    progress: bool = True,
) -> None:
    """Drive :class:`S2IBuilder` and lay its Parquet files out as ``OUT/videos/<split>-*.parquet``.

    The table folder is replaced in one rename, so a killed build never leaves it half-written; the per-config
    folders of the earlier row-per-question layout are removed."""
    import datasets

    quiet = not progress and not datasets.are_progress_bars_disabled()
    if quiet:  # datasets' own "Generating ... split" bars
        datasets.disable_progress_bars()
    try:
        _write_table(plan_dir, out, work, present=present, max_shard_size=max_shard_size)
    finally:
        if quiet:
            datasets.enable_progress_bars()


def _write_table(plan_dir: str, out: str, work: str, *, present: dict[str, bool], max_shard_size: str) -> None:
    builder = S2IBuilder(plan_dir=plan_dir, cache_dir=os.path.join(work, "cache"))
    prepared = os.path.join(work, "prepared")
    builder.download_and_prepare(
        output_dir=prepared, file_format="parquet", max_shard_size=max_shard_size, download_mode="force_redownload"
    )
    staged = os.path.join(work, "staged")
    os.makedirs(os.path.join(staged, TABLE_DIR))
    for split in TABLE_SPLITS:
        if not present.get(split):
            continue
        files = sorted(
            f
            for f in os.listdir(prepared)
            if f.endswith(".parquet") and f"-{split}" in f and f.split(f"-{split}")[1][:1] in ("", ".", "-")
        )
        for i, f in enumerate(files):
            shutil.move(os.path.join(prepared, f), os.path.join(staged, table_file(split, i, len(files))))
    final = os.path.join(out, TABLE_DIR)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(os.path.join(staged, TABLE_DIR), final)
    for name in CONFIG_NAMES:  # folders of the row-per-question layout (builds before the per-video table)
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
