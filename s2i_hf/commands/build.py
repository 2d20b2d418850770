"""``s2i build VIDEOS... --output_dir DIR``: build the S2I instruction data (``load_dataset(DIR, "stage1")``).

Scores are cached per video, so an interrupted build resumes. Across processes/GPUs/nodes:
``accelerate launch [--multi_gpu] --num_processes N -m s2i_hf.dataset_builder VIDEOS... --output_dir DIR``
(each rank scores its share into the shared cache; rank 0 writes the dataset). ``--out DIR`` is the deprecated
spelling of ``--output_dir DIR``.
"""

from __future__ import annotations

import sys

from ..options import warn_aliases


__all__ = ["main"]


def build_parser():
    from trl import TrlParser

    from ..dataset_builder.config import BuildArguments

    parser = TrlParser(
        [BuildArguments], prog="s2i build", description="Build Score2Instruct instruction data from videos."
    )
    parser.add_argument("videos", nargs="*", help="Unlabeled videos: files, folders, glob patterns or manifests.")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, rest = parser.parse_args_and_config(argv)
    except ValueError as err:  # e.g. --out and --output_dir disagree
        parser.error(str(err))
    warn_aliases("s2i build", args)
    if args.output_dir is None:
        parser.error("--output_dir DIR is required")
    if not rest.videos and not args.labeled and not args.mos:
        parser.error("give videos (files, folders, globs, manifests), --labeled label CSVs or --mos manifests")
    from ..cards.dataset_card import write_dataset_card
    from ..dataset_builder import build_dataset
    from ..text.rewrite import make_captioner, make_rewriter

    rewriter = (
        make_rewriter(
            args.rewrite_model, max_new_tokens=args.rewrite_max_new_tokens, trust_remote_code=args.trust_remote_code
        )
        if args.rewrite_model
        else None
    )
    captioner = make_captioner(args.captioner, trust_remote_code=args.trust_remote_code) if args.captioner else None
    try:
        result = build_dataset(
            list(rest.videos), args, rewriter=rewriter, captioner=captioner, card_writer=write_dataset_card
        )
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"s2i build: error: {exc}", file=sys.stderr)
        return 2
    if result.out is None:  # a non-main rank: its share is in the cache
        return 0
    parts = [
        f"{k} {v['rows']} videos"
        + (f" ({v['conversations']} conversations, {v['turns']} turns)" if "turns" in v else "")
        for k, v in result.counts.items()
    ]
    if result.bytes.get("input_videos"):
        parts.append(f"Parquet {result.bytes['parquet'] / result.bytes['input_videos']:.3f} x the input videos' bytes")
    print(f"built {args.output_dir}: " + ", ".join(parts), file=sys.stderr)
    if result.rewrite.get("attempted"):
        r = result.rewrite
        print(f"rewrites: {r['accepted']} accepted, {r['rejected']} rejected of {r['attempted']}", file=sys.stderr)
    for p in result.problems:
        print(f"  skipped: {p['error']}", file=sys.stderr)
    return 0
