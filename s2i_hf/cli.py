"""The ``s2i`` command: ``s2i <command> [options]``. Each command is a thin script in ``s2i_hf.commands``."""

from __future__ import annotations

import importlib
import sys


COMMANDS = {
    "score": ("s2i_hf.commands.score", "score videos on the 14 quality dimensions -> JSON Lines"),
    "build": (
        "s2i_hf.commands.build",
        "build the S2I instruction data (a per-video Parquet table with configs scores/stage1/stage2/bench + card)",
    ),
    "train": (
        "s2i_hf.commands.train",
        "two-stage curriculum on a video LMM (Stage I vision+projector, Stage II LoRA)",
    ),
    "eval": ("s2i_hf.commands.eval", "score VQA sets (SRCC/PLCC) and judge S2I-Bench answers -> results JSON"),
    "leaderboard": ("s2i_hf.commands.leaderboard", "compare results files across models -> Markdown table + plot"),
    "push": ("s2i_hf.commands.push", "publish a dataset, a model or results to the Hub (with cards)"),
    "demo": (
        "s2i_hf.commands.demo",
        "end to end offline: distorted sample clips -> data -> tiny model trained -> evaluated -> cards",
    ),
}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: s2i <command> [options]   (s2i <command> --help for a command's options)", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"s2i-hf {__version__}")
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"s2i: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
