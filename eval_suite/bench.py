"""S2I-Bench data, answers from a video LMM, and the judge-free rating agreement.

* :func:`load_bench` reads the ``bench`` config (one row per bench video: ``video_id, video, questions``, each
  question ``{question, reference, question_type, dimensions}``) from a local build folder (its Parquet files are
  read directly: ``datasets`` 5.2 can serve stale cached rows when two folders share a base name) or from a Hub
  dataset id, and writes each video's bytes to a file once, so processors can sample it.
* :func:`generate_answers` asks a video LMM each question about its video (greedy decoding).
* :func:`rating_agreement` compares the level words an answer states with those its reference states
  (:func:`s2i_hf.text.extract_ratings`): per quality dimension and for the overall quality, the accuracy
  (a rating the answer leaves out counts as wrong), the coverage and the mean ordinal error (levels 0-4, over
  the ratings both state). No model is involved.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Sequence

from s2i_hf.artifacts import config_table_files, load_config
from s2i_hf.dimensions import DIMENSION_IDS
from s2i_hf.levels import DEFAULT_SCALE, LevelScale
from s2i_hf.video import write_video_file


__all__ = ["BenchItem", "load_bench", "generate_answers", "rating_agreement"]


@dataclass
class BenchItem:
    video_id: str
    video: str  # a local file
    question: str
    reference: str
    question_type: str = ""
    dimensions: list[str] = field(default_factory=list)


def _materialize(video, video_id: str, cache_dir: str, where: str) -> str:
    """A local file for a bench row's ``video`` value ({bytes, path} or a path)."""
    if isinstance(video, str):
        video = {"path": video, "bytes": None}
    if not isinstance(video, dict):
        raise ValueError(f"{where}: the video column holds {type(video).__name__}, expected {{bytes, path}}")
    data, path = video.get("bytes"), video.get("path")
    if data:
        return write_video_file(data, cache_dir, video_id or hashlib.sha256(data).hexdigest()[:16], name=path)
    if path and os.path.isfile(path):
        return path
    raise ValueError(f"{where}: video {video_id!r} has no embedded bytes and its path {path!r} does not exist")


def _rows_to_items(rows, cache_dir: str, where: str, limit: int | None = None) -> list[BenchItem]:
    """Bench items of per-video rows (``video`` + a ``questions`` list, as ``s2i build`` writes them) or of
    one-question rows (``video, question, reference, ...``, as an external bench file may hold them).

    Each video's bytes are written to a file once, however many questions it has. Rows are read until ``limit``
    questions are collected (all rows without a limit)."""
    items = []
    for i, row in enumerate(rows):
        if limit and len(items) >= limit:
            break
        if "questions" in row:
            questions = row["questions"] or []
        elif "question" in row and "reference" in row:
            questions = [row]
        else:
            raise ValueError(f"{where}: row {i} has neither a 'questions' list nor 'question'/'reference' columns")
        if "video" not in row:
            raise ValueError(f"{where}: row {i} lacks the 'video' column")
        if not questions:
            continue
        vid = str(row.get("video_id") or "")
        video = _materialize(row["video"], vid, cache_dir, f"{where} row {i}")
        for j, q in enumerate(questions):
            missing = [k for k in ("question", "reference") if q.get(k) is None]
            if missing:
                raise ValueError(f"{where}: row {i} question {j} lacks {missing}")
            items.append(
                BenchItem(
                    video_id=vid,
                    video=video,
                    question=str(q["question"]),
                    reference=str(q["reference"]),
                    question_type=str(q.get("question_type") or ""),
                    dimensions=list(q.get("dimensions") or []),
                )
            )
    return items


def load_bench(
    source: str, *, split: str = "test", cache_dir: str | None = None, limit: int | None = None
) -> tuple[list[BenchItem], dict]:
    """Bench items from a build folder (its ``videos/bench-*.parquet`` files), a Parquet file, or a Hub dataset id
    (its ``bench`` config, split ``split``), read by :func:`s2i_hf.artifacts.load_config`. ``limit`` caps the
    number of questions.

    Returns ``(items, info)``; ``info`` says where the rows came from (``{"source", "hub_id", "files"}``).
    """
    cache_dir = os.path.join(
        cache_dir or os.path.join(os.path.expanduser("~"), ".cache", "s2i_hf", "bench_videos"), _cache_key(source)
    )
    local = os.path.exists(source)
    try:
        ds = load_config(source, "bench", split=split)
    except Exception as err:
        if local:
            raise
        raise ValueError(
            f"{source}: not a local folder, and loading the Hub dataset's bench config failed ({err})"
        ) from None
    items = _rows_to_items(ds, cache_dir, source, limit)
    if not local:
        return items[:limit] if limit else items, {"source": source, "hub_id": source, "files": []}
    files = config_table_files(source, "bench") if os.path.isdir(source) else [source]
    where = [os.path.relpath(f, source) if os.path.isdir(source) else os.path.basename(f) for f in files]
    return items[:limit] if limit else items, {"source": os.path.abspath(source), "hub_id": None, "files": where}


def _cache_key(source: str) -> str:
    return hashlib.sha256(os.path.abspath(source).encode() if os.path.exists(source) else source.encode()).hexdigest()[
        :16
    ]


def generate_answers(
    model,
    processor,
    items: Sequence[BenchItem],
    *,
    num_frames: int | None = 8,
    max_new_tokens: int = 256,
    progress: bool = False,
    sampling=None,
) -> tuple[list[str | None], dict[str, str]]:
    """Greedy answers of a video LMM to each item's question about its video (one video at a time).

    Frames come from ``sampling`` (a :class:`s2i_hf.frames.FrameSampling`; default ``num_frames`` evenly spread),
    the same sampling the trainers and :class:`~.qalign.QualityScorer` use.

    Returns ``(answers, errors)``: a video that cannot be processed gets the answer None and an entry
    ``video_id -> reason`` in ``errors``; the other items are answered as usual."""
    import torch
    from tqdm.auto import tqdm

    from s2i_hf.frames import FrameSampling, sample_frames

    sampling = sampling or FrameSampling(num_frames=num_frames)
    tokenizer = getattr(processor, "tokenizer", processor)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    answers, errors = [], {}
    for item in tqdm(items, desc="Answering bench questions", unit="question", disable=not progress):
        try:
            frames, metadata = sample_frames(item.video, sampling)
            conv = [
                {
                    "role": "user",
                    "content": [{"type": "video", "video": frames}, {"type": "text", "text": item.question}],
                }
            ]
            inputs = processor.apply_chat_template(
                [conv],
                tokenize=True,
                return_dict=True,
                return_tensors="pt",
                add_generation_prompt=True,
                processor_kwargs={"do_sample_frames": False, "video_metadata": [metadata]},
            )
        except Exception as err:  # a broken video must not take the whole bench down
            errors[item.video_id or item.video] = f"{item.video}: {type(err).__name__}: {str(err)[:200]}"
            answers.append(None)
            continue
        n = inputs["input_ids"].shape[1]
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad)
        answers.append(tokenizer.decode(out[0, n:], skip_special_tokens=True).strip())
    return answers, errors


def rating_agreement(
    predictions: Sequence[str], references: Sequence[str], *, scale: LevelScale = DEFAULT_SCALE
) -> dict:
    """Judge-free agreement of the level words stated in answers with those stated in their references.

    Per quality dimension (every dimension a reference rates) and for the overall quality (items whose
    reference rates it): ``*_accuracy`` = same level / rated by the reference (not stated = wrong),
    ``*_coverage`` = stated by the answer / rated by the reference, ``*_ordinal_error`` = mean
    ``|level index difference|`` over the ratings both state (None when there is none), ``*_n`` = ratings
    in the references. Values are None when the references rate nothing of that kind.
    """
    from s2i_hf.text import extract_ratings

    if len(predictions) != len(references):
        raise ValueError(f"predictions and references differ in length: {len(predictions)} vs {len(references)}")
    dims = set(DIMENSION_IDS)
    tallies = {"dimension": [0, 0, 0, []], "overall": [0, 0, 0, []]}  # rated, stated, same, |diff| list
    for pred, ref in zip(predictions, references):
        want = extract_ratings(ref or "")
        got = extract_ratings(pred or "")
        for target, level in want.items():
            kind = "overall" if target == "overall" else "dimension" if target in dims else None
            if kind is None:
                continue
            t = tallies[kind]
            t[0] += 1
            if target in got:
                t[1] += 1
                t[2] += int(got[target] == level)
                t[3].append(abs(scale.level_index(got[target]) - scale.level_index(level)))
    out = {}
    for kind, (rated, stated, same, diffs) in tallies.items():
        out[f"{kind}_accuracy"] = same / rated if rated else None
        out[f"{kind}_coverage"] = stated / rated if rated else None
        out[f"{kind}_ordinal_error"] = sum(diffs) / len(diffs) if diffs else None
        out[f"{kind}_n"] = rated
    return out
