"""The S2I dataset builder: scored videos -> ``scores``/``stage1``/``stage2``/``bench`` Parquet configs, column views
of one per-video table (each video's bytes stored once; see :mod:`s2i_hf.data_layout`).

Run it with ``s2i build VIDEOS... --output_dir DIR`` or, across processes, GPUs and nodes,
``accelerate launch -m s2i_hf.dataset_builder VIDEOS... --output_dir DIR``.
"""

from .assemble import BuildResult, build_dataset, collect_candidates
from .builder import CONFIG_NAMES, S2IBuilder
from .config import BuildArguments


__all__ = ["BuildArguments", "BuildResult", "CONFIG_NAMES", "S2IBuilder", "build_dataset", "collect_candidates"]
