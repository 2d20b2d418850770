"""The S2I ``datasets`` builder: the per-video table behind the configs ``scores``, ``stage1``, ``stage2``, ``bench``.

The builder reads a *plan* (JSON Lines written by :mod:`.assemble`: one line per video, with the path of its
clip) and yields one row per video with the clip's bytes embedded, once: the four configs are column views of
this table (see :mod:`s2i_hf.data_layout`). Its two splits are the table's file sets, ``train`` (training
videos) and ``bench`` (videos held out for the bench). Dataset scripts are not loadable by ``datasets`` >= 4, so
the class is driven by our own code (``S2IBuilder(plan_dir=...).download_and_prepare(dir, file_format="parquet")``);
what users load is the Parquet folder it leads to.
"""

from __future__ import annotations

import json
import os

import datasets

from s2i_hf.data_layout import CITATION, CONFIG_NAMES, DESCRIPTIONS, TABLE_SPLITS, video_table_features


__all__ = ["S2IBuilder", "S2IConfig", "CONFIG_NAMES", "plan_path", "CITATION"]


def plan_path(plan_dir: str, split: str) -> str:
    return os.path.join(plan_dir, f"{split}.jsonl")


class S2IConfig(datasets.BuilderConfig):
    def __init__(self, plan_dir: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.plan_dir = plan_dir


class S2IBuilder(datasets.GeneratorBasedBuilder):
    """The per-video S2I table from a plan folder (see module docstring)."""

    BUILDER_CONFIG_CLASS = S2IConfig
    BUILDER_CONFIGS = [S2IConfig(name="videos", description="One row per video; " + " ".join(DESCRIPTIONS.values()))]
    DEFAULT_CONFIG_NAME = "videos"
    VERSION = datasets.Version("2.0.0")

    def _info(self):
        return datasets.DatasetInfo(
            description=self.config.description, features=video_table_features(), citation=CITATION
        )

    def _split_generators(self, dl_manager):
        plan_dir = self.config.plan_dir
        if not plan_dir:
            raise ValueError("S2IBuilder needs plan_dir=... (a folder written by s2i_hf.dataset_builder.assemble)")
        gens = []
        for split in TABLE_SPLITS:
            path = plan_path(plan_dir, split)
            if os.path.isfile(path) and os.path.getsize(path):
                gens.append(datasets.SplitGenerator(name=split, gen_kwargs={"path": path}))
        if not gens:
            raise FileNotFoundError(f"{plan_dir}: the plan holds no video")
        return gens

    def _generate_examples(self, path):
        with open(path, encoding="utf-8") as fh:
            for key, line in enumerate(fh):
                row = json.loads(line)
                video_path = row.pop("video_path")
                with open(video_path, "rb") as vf:
                    data = vf.read()
                row["video"] = {"bytes": data, "path": os.path.basename(video_path)}
                yield key, row
