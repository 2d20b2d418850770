"""Reading the ``stage1`` / ``stage2`` configs for training, from a folder written by ``s2i build`` or the Hub.

Both configs are column views of the build's per-video table (:mod:`s2i_hf.data_layout`): one row per training
video. :func:`load_stage_data` returns those rows; :func:`stage_items` turns them into what the trainer iterates:

* ``stage1``: the rows themselves. Each holds ONE multi-turn conversation rating all 14 dimensions and the
  overall quality, so the vision encoder sees each video once per epoch and learns 15 answers from that pass.
* ``stage2``: one item per conversation of a video (its justification, what/how and yes/no questions), each a
  separate context over the shared clip, so no answer can be copied from an earlier turn. For a map-style dataset
  the items are an index ``(row, conversation)`` resolved on access: nothing is copied, the clip's bytes stay in
  the table once. For a streamed dataset the rows are expanded as they arrive.

A local folder is read from its Parquet files directly (``datasets`` 5.2 can serve the cached rows of another
folder with the same base name through ``load_dataset(folder, config)``); a Hub id goes through
``load_dataset(repo, config)``. ``streaming=True`` reads either without a local copy (``max_steps`` then sets the
length of training). The ``video`` column is returned undecoded (``{"bytes", "path"}``): the collator samples
frames itself.
"""

from __future__ import annotations

import os

from s2i_hf.artifacts import load_config


__all__ = ["load_stage_data", "stage_items", "ConversationLookup"]

REQUIRED_COLUMNS = {"stage1": ("messages", "video"), "stage2": ("conversations", "video")}


def load_stage_data(data: str, config: str, revision: str | None = None, *, streaming: bool = False):
    """The ``train`` split of ``config`` (``stage1`` or ``stage2``): one row per training video, ``video`` undecoded.

    ``data``: a folder written by ``s2i build`` or a Hub dataset id (read by :func:`s2i_hf.artifacts.load_config`).
    A ``datasets.Dataset``, or a ``datasets.IterableDataset`` with ``streaming=True``."""
    if config not in REQUIRED_COLUMNS:
        raise ValueError(f"unknown training config {config!r}: use stage1 or stage2")
    if os.path.isfile(data):
        raise NotADirectoryError(f"{data}: --data must be a folder written by `s2i build` or a Hub dataset id")
    ds = load_config(data, config, split="train", revision=revision, streaming=streaming)
    columns = ds.column_names if ds.column_names is not None else list((ds.features or {}).keys())
    missing = [c for c in REQUIRED_COLUMNS[config] if c not in columns]
    if missing:
        raise ValueError(f"{data} ({config}): missing column(s) {', '.join(missing)}; found {', '.join(columns)}")
    if not streaming and len(ds) == 0:
        raise ValueError(f"{data} ({config}): no rows to train on")
    return ds


class ConversationLookup:
    """``with_transform`` of a Stage II index dataset: ``(row, conversation)`` -> that conversation with its video."""

    def __init__(self, videos):
        self.videos = videos

    def __call__(self, batch):
        out = {"video_id": [], "video": [], "messages": [], "task": [], "dimensions": []}
        for row, conv in zip(batch["row"], batch["conversation"]):
            record = self.videos[int(row)]
            item = record["conversations"][int(conv)]
            out["video_id"].append(record["video_id"])
            out["video"].append(record["video"])
            out["messages"].append(item["messages"])
            out["task"].append(item["task"])
            out["dimensions"].append(item["dimensions"])
        return out


def _explode(batch):
    out = {"video_id": [], "video": [], "messages": [], "task": [], "dimensions": []}
    for vid, video, convs in zip(batch["video_id"], batch["video"], batch["conversations"]):
        for item in convs:
            out["video_id"].append(vid)
            out["video"].append(video)
            out["messages"].append(item["messages"])
            out["task"].append(item["task"])
            out["dimensions"].append(item["dimensions"])
    return out


def stage_items(ds, config: str):
    """What the ``config`` trainer iterates over (see module docstring); rows keep ``video_id`` and ``video``."""
    import datasets

    if config == "stage1":
        return ds
    if config != "stage2":
        raise ValueError(f"unknown training config {config!r}: use stage1 or stage2")
    if isinstance(ds, datasets.IterableDataset):
        return ds.map(_explode, batched=True, batch_size=16, remove_columns=["conversations"])
    lengths = [len(c) for c in ds.select_columns(["conversations"])["conversations"]]
    rows = [i for i, n in enumerate(lengths) for _ in range(n)]
    convs = [j for n in lengths for j in range(n)]
    if not rows:
        raise ValueError("stage2 data holds no conversation to train on")
    index = datasets.Dataset.from_dict({"row": rows, "conversation": convs})
    return index.with_transform(ConversationLookup(ds))
