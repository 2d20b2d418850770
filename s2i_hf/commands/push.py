"""``s2i push dataset DIR REPO`` | ``s2i push model DIR REPO`` | ``s2i push results RESULTS... REPO``.

Publishes through huggingface_hub with cards rendered from the artifacts (see :mod:`s2i_hf.cards.publish`).
The token comes from huggingface_hub's usual places (``HF_TOKEN``, ``hf auth login``); it is never printed.
``--dry-run DIR`` writes exactly the files that would be uploaded into ``DIR`` and uploads nothing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


__all__ = ["PushArguments", "main"]

KINDS = {
    "dataset": (
        "a folder written by `s2i build` -> dataset repo (Parquet configs, card, eval.yaml for the bench config)"
    ),
    "model": "a folder written by `s2i train` -> model repo (merged weights and/or LoRA adapter, processor, card)",
    "results": "results files of `s2i eval` -> model repo (.eval_results entries, results/*.json, card model-index)",
}


@dataclass
class PushArguments:
    private: bool = field(default=False, metadata={"help": "Create the repo private (when it does not exist yet)."})
    revision: str | None = field(
        default=None, metadata={"help": "Branch to commit to (created from main if missing)."}
    )
    create_pr: bool = field(
        default=False, metadata={"help": "Open a pull request against main instead of committing to it."}
    )
    dry_run: str | None = field(
        default=None,
        metadata={"help": "Write the files that would be uploaded into this (empty) folder; upload nothing."},
    )
    commit_message: str | None = field(default=None, metadata={"help": "Commit message."})
    weights: str = field(
        default="auto",
        metadata={
            "help": "model: what to upload: auto (merged model if any, else Stage I model, plus the adapter "
            "where usable), merged, adapter.",
            "choices": ["auto", "merged", "adapter"],
        },
    )
    results: list[str] = field(
        default_factory=list,
        metadata={"help": "model: results files (or folders) to publish with the model (space-separated)."},
    )
    benchmark: list[str] = field(
        default_factory=list,
        metadata={
            "help": "NAME=org/dataset: the Hub benchmark dataset of results on dataset NAME, "
            "for .eval_results (space-separated)."
        },
    )


def _usage() -> str:
    lines = ["usage: s2i push {dataset,model,results} ... [options]", ""]
    lines += [f"  {k:<8} {v}" for k, v in KINDS.items()]
    lines += ["", "s2i push <kind> --help for the options"]
    return "\n".join(lines)


def build_parser(kind: str):
    from trl import TrlParser

    parser = TrlParser([PushArguments], prog=f"s2i push {kind}", description=KINDS[kind])
    if kind == "results":
        parser.add_argument(
            "paths", nargs="+", help="Results files (or folders of results_*.json), then the model repo id last."
        )
    else:
        parser.add_argument("folder", help="The folder to publish.")
        parser.add_argument("repo", help="Hub repo id, namespace/name.")
    return parser


def _benchmarks(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, repo = item.partition("=")
        if not sep or not name or repo.count("/") != 1:
            raise ValueError(f"--benchmark expects NAME=org/dataset, got {item!r}")
        out[name] = repo
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    kind = argv[0]
    if kind not in KINDS:
        print(f"s2i push: unknown kind {kind!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    parser = build_parser(kind)
    args, rest = parser.parse_args_and_config(argv[1:])
    from ..cards.publish import push_dataset, push_model, push_results

    common = dict(
        private=args.private,
        revision=args.revision,
        create_pr=args.create_pr,
        dry_run=args.dry_run,
        commit_message=args.commit_message,
    )
    try:
        benchmarks = _benchmarks(args.benchmark)
        if kind == "dataset":
            result = push_dataset(rest.folder, rest.repo, **common)
        elif kind == "model":
            result = push_model(
                rest.folder, rest.repo, weights=args.weights, results=args.results, benchmarks=benchmarks, **common
            )
        else:
            if len(rest.paths) < 2:
                parser.error("give one or more results files, then the model repo id")
            result = push_results(rest.paths[:-1], rest.paths[-1], benchmarks=benchmarks, **common)
    except (FileNotFoundError, FileExistsError, ValueError, PermissionError) as err:
        print(f"s2i push {kind}: {err}", file=sys.stderr)
        return 1
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.dry_run_dir:
        print(
            f"dry run: {len(result.files)} files for {result.repo_type} repo {result.repo_id} "
            f"written to {result.dry_run_dir}"
        )
    else:
        print(f"pushed {len(result.files)} files to {result.url}")
        print(f"  {result.pr_url or result.commit_url}")
    for f in result.files:
        print(f"  {f}")
    return 0
