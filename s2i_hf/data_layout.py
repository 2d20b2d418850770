"""The layout of a built S2I folder (and of its Hub repo): each video's bytes stored once.

``s2i build`` writes one *per-video table*, ``videos/``, split by file into training videos and bench videos::

    OUT/videos/train-00000-of-0000N.parquet   one row per training video
    OUT/videos/bench-00000-of-0000N.parquet   one row per bench video (held out of stage1/stage2)
    OUT/README.md                             YAML ``configs:`` = column views over those files

Both file sets share one schema (:func:`video_table_features`). The four configs are *column views* of it
(a README ``configs:`` entry with ``columns: [...]``, which ``datasets`` reads natively), so
``load_dataset(folder_or_repo, config)`` returns:

* ``scores``: one row per video (train and bench files): scores, levels, provenance, and ``content_id``: the source
  content the video was made from, shared by its versions (a clip and its distorted copies; ``s2i build
  --content_from folder``), null where unknown;
* ``stage1``: one row per training video: ``messages`` is ONE multi-turn conversation whose turns rate the 14
  dimensions and the overall quality (turn order shuffled per video by the seed; the video block sits in the
  first user turn); ``dimensions`` lists the asked dimension per turn (``"overall"`` for the overall turn);
  ``scores`` / ``overall_score`` are the scores the answers' levels stand for (score-aware Stage I training),
  ``content_id`` groups a content's versions (Stage I's ``--content_batches``);
* ``stage2``: one row per training video: ``conversations`` holds the video's justification and QA pairs, each
  ``{messages, task, dimensions}`` a separate single-question conversation over the shared clip (no answer can
  be copied from an earlier turn of its context); :func:`s2i_hf.trainers.data.stage_items` turns them into
  training items;
* ``bench``: one row per bench video: ``questions`` holds its ``{question, reference, question_type,
  dimensions}`` items.

Every row of every config carries its ``video`` (a ``datasets.Video`` column decoding to a ``VideoDecoder``).
This module is the contract between the builder, the trainers, the evaluation and the cards.
"""

from __future__ import annotations

from .dimensions import DIMENSION_IDS, GROUPS


__all__ = [
    "CITATION",
    "CONFIG_NAMES",
    "CONFIG_COLUMNS",
    "CONFIG_SPLIT",
    "CONFIG_FILES",
    "DESCRIPTIONS",
    "TABLE_DIR",
    "TABLE_SPLITS",
    "OVERALL",
    "SCORE_COLUMNS",
    "card_config_entries",
    "table_file",
    "table_files",
    "video_table_features",
]

CONFIG_NAMES = ("scores", "stage1", "stage2", "bench")
TABLE_DIR = "videos"
# file sets of the per-video table: training videos and bench videos
TABLE_SPLITS = ("train", "bench")
OVERALL = "overall"  # the ``dimensions`` entry of a stage1 turn that asks for the overall rating

SCORE_COLUMNS = (
    "video_id",
    "video",
    "source",
    "content_id",
    "split",
    "scores",
    "levels",
    "group_levels",
    "overall_score",
    "overall_level",
    "mos",
    "caption",
    "scorers",
)
CONFIG_COLUMNS = {
    "scores": SCORE_COLUMNS,
    "stage1": ("video_id", "video", "content_id", "messages", "task", "dimensions", "scores", "overall_score"),
    "stage2": ("video_id", "video", "conversations"),
    "bench": ("video_id", "video", "questions"),
}
# the split each config is loaded as, and the table files it views
CONFIG_SPLIT = {"scores": "train", "stage1": "train", "stage2": "train", "bench": "test"}
CONFIG_FILES = {"scores": ("train", "bench"), "stage1": ("train",), "stage2": ("train",), "bench": ("bench",)}

DESCRIPTIONS = {
    "scores": "One row per video: 14 dimension scores in [0, 1], their ITU levels, group levels, overall score and "
    "level, and the source content it was made from where known.",
    "stage1": "Stage I: one multi-turn conversation per training video rating each of the 14 dimensions and the "
    "overall quality.",
    "stage2": "Stage II: per training video, its hierarchical justification and what/how and yes/no questions, each "
    "its own conversation over the shared clip.",
    "bench": "S2I-Bench-style open-ended questions with reference answers, on videos held out of stage1/stage2.",
}


def _conversation_feature():
    import datasets

    # free-form chat blocks: Json keeps them exactly as written (no None-padded keys)
    return datasets.List(datasets.Json())


def video_table_features():
    """The one schema of the per-video table (train and bench files alike; unused columns are empty)."""
    import datasets

    string = datasets.Value("string")
    return datasets.Features(
        {
            "video_id": string,
            "video": datasets.Video(),
            "source": string,
            "content_id": string,
            "split": string,
            "scores": {d: datasets.Value("float32") for d in DIMENSION_IDS},
            "levels": dict.fromkeys(DIMENSION_IDS, string),
            "group_levels": dict.fromkeys(GROUPS, string),
            "overall_score": datasets.Value("float32"),
            "overall_level": string,
            "mos": datasets.Value("float32"),
            "caption": string,
            "scorers": dict.fromkeys(DIMENSION_IDS, string),
            "messages": _conversation_feature(),
            "task": string,
            "dimensions": datasets.List(string),
            "conversations": datasets.List(
                {
                    "messages": _conversation_feature(),
                    "task": string,
                    "dimensions": datasets.List(string),
                }
            ),
            "questions": datasets.List(
                {
                    "question": string,
                    "reference": string,
                    "question_type": string,
                    "dimensions": datasets.List(string),
                }
            ),
        }
    )


def table_files(folder: str, *splits: str) -> list[str]:
    """The Parquet shards of the given file sets (default: all of :data:`TABLE_SPLITS`) in a build folder, sorted;
    empty when there are none."""
    import glob
    import os

    return sorted(
        f
        for split in (splits or TABLE_SPLITS)
        for f in glob.glob(os.path.join(folder, TABLE_DIR, f"{split}-*.parquet"))
    )


def table_file(split: str, index: int, total: int) -> str:
    """Relative path of one Parquet shard of the per-video table."""
    return f"{TABLE_DIR}/{split}-{index:05d}-of-{total:05d}.parquet"


def card_config_entries(present: dict[str, bool], default: str = "stage2") -> list[dict]:
    """The README ``configs:`` entries: a column view per config whose table files exist.

    ``present``: which table file sets were written (``{"train": bool, "bench": bool}``)."""
    entries = []
    for name in CONFIG_NAMES:
        files = [f"{TABLE_DIR}/{s}-*.parquet" for s in CONFIG_FILES[name] if present.get(s)]
        if not files:
            continue
        entries.append(
            {
                "config_name": name,
                "data_files": [{"split": CONFIG_SPLIT[name], "path": files if len(files) > 1 else files[0]}],
                "columns": list(CONFIG_COLUMNS[name]),
            }
        )
    for e in entries:
        if e["config_name"] == default:
            e["default"] = True
    if entries and not any(e.get("default") for e in entries):
        entries[0]["default"] = True
    return entries


CITATION = """@inproceedings{xie2026score2instruct,
  title     = {Score2Instruct: Scaling Up Video Quality-Centric Instructions via Automated Dimension Scoring},
  author    = {Xie and Yuan and Qu and Gong and Wu and Sun and Zhou and Zhu},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year      = {2026},
  note      = {arXiv:2506.21011}
}"""
