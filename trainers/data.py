"""Reading the ``stage1`` / ``stage2`` configs for training, from a folder written by ``s2i build`` or the Hub.

A local folder is read from its Parquet files directly (``datasets`` 5.2 can serve the cached rows of another
folder with the same base name through ``load_dataset(folder, config)``); a Hub id goes through
``load_dataset(repo, config)``. The ``video`` column is returned undecoded (``{"bytes", "path"}``): the collator
samples frames itself.
"""

from __future__ import annotations

import glob
import os

__all__ = ["load_stage_data"]

REQUIRED_COLUMNS = ("messages", "video")


def load_stage_data(data: str, config: str, revision: str | None = None):
    """The ``train`` split of ``config`` (``stage1`` or ``stage2``) as a ``datasets.Dataset``."""
    import datasets

    if os.path.isdir(data):
        files = sorted(glob.glob(os.path.join(data, config, "*.parquet")))
        if not files:
            raise FileNotFoundError(
                f"{data}: no {config} data (expected {os.path.join(data, config, '*.parquet')}, as `s2i build` writes)"
            )
        ds = datasets.load_dataset("parquet", data_files=files, split="train")
    elif os.path.exists(data):
        raise NotADirectoryError(f"{data}: --data must be a folder written by `s2i build` or a Hub dataset id")
    else:
        ds = datasets.load_dataset(data, config, split="train", revision=revision)
    missing = [c for c in REQUIRED_COLUMNS if c not in ds.column_names]
    if missing:
        raise ValueError(f"{data} ({config}): missing column(s) {', '.join(missing)}; found {', '.join(ds.column_names)}")
    if len(ds) == 0:
        raise ValueError(f"{data} ({config}): no rows to train on")
    return ds.cast_column("video", datasets.Video(decode=False))
