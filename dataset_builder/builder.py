"""The S2I ``datasets`` builder: configs ``scores``, ``stage1``, ``stage2`` and ``bench``.

The builder reads a *plan* (JSON Lines written by :mod:`.assemble`: one line per row, with the path of
its video) and yields rows with the video's bytes embedded, so its Parquet output is self-contained.
Dataset scripts are not loadable by ``datasets`` >= 4, so the class is driven by our own code
(``S2IBuilder(config_name=..., plan_dir=...).download_and_prepare(dir, file_format="parquet")``); what
users load is the Parquet folder it leads to.
"""

from __future__ import annotations

import json
import os

import datasets

from ..dimensions import DIMENSION_IDS, GROUPS

__all__ = ["S2IBuilder", "S2IConfig", "CONFIG_NAMES", "features_for", "plan_path"]

CONFIG_NAMES = ("scores", "stage1", "stage2", "bench")
_SPLIT = {"scores": "train", "stage1": "train", "stage2": "train", "bench": "test"}

_DESCRIPTIONS = {
    "scores": "One row per video: 14 dimension scores in [0, 1], their ITU levels, group levels, overall score and level.",
    "stage1": "Stage I conversations: short 'dimension -> rating' questions and answers (14 per video, plus one overall rating).",
    "stage2": "Stage II conversations: hierarchical justifications, what/how and yes/no questions.",
    "bench": "S2I-Bench-style open-ended questions with reference answers, on videos held out of stage1/stage2.",
}


def features_for(config: str) -> datasets.Features:
    video = datasets.Video()
    if config == "scores":
        return datasets.Features({
            "video_id": datasets.Value("string"),
            "video": video,
            "source": datasets.Value("string"),
            "split": datasets.Value("string"),
            "scores": {d: datasets.Value("float32") for d in DIMENSION_IDS},
            "levels": {d: datasets.Value("string") for d in DIMENSION_IDS},
            "group_levels": {g: datasets.Value("string") for g in GROUPS},
            "overall_score": datasets.Value("float32"),
            "overall_level": datasets.Value("string"),
            "mos": datasets.Value("float32"),
            "caption": datasets.Value("string"),
            "scorers": {d: datasets.Value("string") for d in DIMENSION_IDS},
        })
    if config in ("stage1", "stage2"):
        return datasets.Features({
            "video_id": datasets.Value("string"),
            "video": video,
            # free-form chat blocks: Json keeps them exactly as written (no None-padded keys)
            "messages": datasets.List(datasets.Json()),
            "task": datasets.Value("string"),
            "dimensions": datasets.List(datasets.Value("string")),
        })
    if config == "bench":
        return datasets.Features({
            "video_id": datasets.Value("string"),
            "video": video,
            "question": datasets.Value("string"),
            "reference": datasets.Value("string"),
            "question_type": datasets.Value("string"),
            "dimensions": datasets.List(datasets.Value("string")),
        })
    raise ValueError(f"unknown config {config!r}; configs are {', '.join(CONFIG_NAMES)}")


def plan_path(plan_dir: str, config: str) -> str:
    return os.path.join(plan_dir, f"{config}.jsonl")


class S2IConfig(datasets.BuilderConfig):
    def __init__(self, plan_dir: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.plan_dir = plan_dir


class S2IBuilder(datasets.GeneratorBasedBuilder):
    """Score2Instruct instruction data from a plan folder (see module docstring)."""

    BUILDER_CONFIG_CLASS = S2IConfig
    BUILDER_CONFIGS = [S2IConfig(name=name, description=_DESCRIPTIONS[name]) for name in CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "stage2"
    VERSION = datasets.Version("1.0.0")

    def _info(self):
        return datasets.DatasetInfo(
            description=_DESCRIPTIONS[self.config.name],
            features=features_for(self.config.name),
            citation=CITATION,
        )

    def _split_generators(self, dl_manager):
        plan_dir = self.config.plan_dir
        if not plan_dir:
            raise ValueError("S2IBuilder needs plan_dir=... (a folder written by s2i_hf.dataset_builder.assemble)")
        path = plan_path(plan_dir, self.config.name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no plan for config {self.config.name!r}: {path}")
        return [datasets.SplitGenerator(name=_SPLIT[self.config.name], gen_kwargs={"path": path})]

    def _generate_examples(self, path):
        with open(path, encoding="utf-8") as fh:
            for key, line in enumerate(fh):
                row = json.loads(line)
                video_path = row.pop("video_path")
                with open(video_path, "rb") as vf:
                    data = vf.read()
                row["video"] = {"bytes": data, "path": os.path.basename(video_path)}
                yield key, row


CITATION = """@inproceedings{xie2026score2instruct,
  title     = {Score2Instruct: Scaling Up Video Quality-Centric Instructions via Automated Dimension Scoring},
  author    = {Xie and Yuan and Qu and Gong and Wu and Sun and Zhou and Zhu},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year      = {2026},
  note      = {arXiv:2506.21011}
}"""
