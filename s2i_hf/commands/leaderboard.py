"""``s2i leaderboard RESULTS... --output_dir DIR``: compare results files across models.

Writes a Markdown table (one row per model, one column per dataset and metric, best in bold) to
``DIR/leaderboard.md`` and a bar plot beside it (``DIR/leaderboard.png``); with ``--eval_results DIR`` also the
``.eval_results/*.yaml`` entries of the results. ``--out FILE.md``, the deprecated spelling, still names the
Markdown file itself (the plot then goes to ``FILE.png``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field


__all__ = ["LEADERBOARD_FILE", "LeaderboardArguments", "main"]

LEADERBOARD_FILE = "leaderboard.md"


@dataclass
class LeaderboardArguments:
    output_dir: str | None = field(
        default=None,
        metadata={"help": f"Folder to write {LEADERBOARD_FILE} into (the plot goes beside it as .png)."},
    )
    metrics: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Metrics to show "
            "(default: SRCC/PLCC for quality sets, CI/CU/DO/TU for S2I-Bench; space-separated)."
        },
    )
    no_plot: bool = field(default=False, metadata={"help": "Table only."})
    eval_results: str | None = field(
        default=None, metadata={"help": "Also write the Hub's .eval_results/*.yaml entries into this folder."}
    )
    benchmark: list[str] = field(
        default_factory=list,
        metadata={
            "help": "NAME=org/dataset: the Hub dataset of results on NAME (for --eval_results; space-separated)."
        },
    )
    out: str | None = field(
        default=None, metadata={"help": "Deprecated: the Markdown file itself (use --output_dir DIR)."}
    )


def build_parser():
    from trl import TrlParser

    parser = TrlParser(
        [LeaderboardArguments],
        prog="s2i leaderboard",
        description="Compare results files of `s2i eval` across models.",
    )
    parser.add_argument("results", nargs="*", help="Results files or folders of results_*.json.")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_args_and_config(argv)
    if not rest.results:
        parser.error("give results files (or folders holding results_*.json)")
    from ..options import output_file

    try:
        out = output_file("s2i leaderboard", args.output_dir, args.out, LEADERBOARD_FILE)
    except ValueError as err:
        parser.error(str(err))
    from ..artifacts import load_results
    from ..cards.leaderboard import eval_results_files, write_leaderboard

    try:
        results = load_results(rest.results)
        if not results:
            raise ValueError("no results files found in " + ", ".join(rest.results))
        md, png = write_leaderboard(results, out, metrics=args.metrics or None, plot=not args.no_plot)
        print(f"{len(results)} results -> {md}" + (f" (+ {png})" if png else ""))
        if args.eval_results:
            benchmarks = dict(item.split("=", 1) for item in args.benchmark if "=" in item)
            files, skipped = eval_results_files(results, benchmarks)
            for name, text in files.items():
                path = os.path.join(args.eval_results, os.path.basename(name))
                os.makedirs(args.eval_results, exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
                print(f"  {path}")
            for r in skipped:
                print(
                    f"note: {r.dataset} ({r.split}) has no Hub dataset id: no .eval_results entry "
                    f"(give --benchmark {r.dataset}=org/name)",
                    file=sys.stderr,
                )
    except (OSError, ValueError) as err:
        print(f"s2i leaderboard: {err}", file=sys.stderr)
        return 1
    with open(md, encoding="utf-8") as fh:
        print(fh.read())
    return 0
