"""Format invariance: the same picture delivered in another format should read the same.

Real videos come letterboxed or pillarboxed, frame-doubled into faster streams, in 10 bits or full range. None of
that is damage, so the 14 scores should not move. For each real source (``catalog/real_content.yaml``, made into a
3-s 480 x 272 clip) and each format below, the plain clip and the same picture in that format are encoded alike and
scored with the defaults; the script prints the largest score change over the 14 dimensions and the overall
score's change, and for the bar formats the same with the bars scored (``VideoScorer(crop_bars=False)``, the
behaviour before bars were cut). Outlined subtitles burned into a blurred clip are reported on their own lines (the
captions are masked out of the blur measures), white text with a drop shadow and no outline as a known weakness
(sharp text is taken for the picture's sharpness). It also prints the cost of finding bars against decoding.

    python benchmarks/format_invariance.py [--sources china,bunny_b,carphone] [--work_dir DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


os.environ.setdefault("HF_HUB_OFFLINE", "1")

X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p"]
X264_FULL_RANGE = [
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "16",
    "-pix_fmt",
    "yuvj420p",
    "-color_range",
    "pc",
]
H264_8BIT = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "24", "-pix_fmt", "yuv420p"]
H264_10BIT = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "24", "-pix_fmt", "yuv420p10le"]
HEVC_8BIT = ["-c:v", "libx265", "-x265-params", "log-level=error", "-crf", "26", "-pix_fmt", "yuv420p"]
HEVC_10BIT = ["-c:v", "libx265", "-x265-params", "log-level=error", "-crf", "26", "-pix_fmt", "yuv420p10le"]
# name -> (filter of the plain clip, filter of the same picture in the format, encoder of the plain clip, of the
# format's clip, whether the format has black bars). Filters start from the 480 x 272 source clip.
FORMATS = {
    "letterbox": ("scale=480:204", "scale=480:204,pad=480:272:0:34:black", X264, X264, True),
    "pillarbox_4x3": ("scale=360:272", "scale=360:272,pad=480:272:60:0:black", X264, X264, True),
    "windowbox": ("scale=400:224", "scale=400:224,pad=480:272:40:24:black", X264, X264, True),
    "vertical_9x16": (
        "crop=ih*9/16:ih,scale=152:272",
        "crop=ih*9/16:ih,scale=152:272,pad=480:272:164:0:black",
        X264,
        X264,
        True,
    ),
    "doubled_to_50fps": ("null", "fps=50", X264, X264, False),
    "doubled_to_60fps": ("null", "fps=60", X264, X264, False),
    "h264_10bit": ("null", "null", H264_8BIT, H264_10BIT, False),
    "hevc_10bit": ("null", "null", HEVC_8BIT, HEVC_10BIT, False),
    "full_range": ("null", "scale=out_range=full", X264, X264_FULL_RANGE, False),
}
# a known weakness, reported: text over a blurred picture
# Burned-in subtitles over a blurred clip: the outlined kind is masked (spatial.caption_mask) and reported on its own
# line; white text with a drop shadow and no outline is not caught, a known weakness.
SUBTITLE = "drawtext=text='Subtitles over the picture':fontcolor=white:fontsize=20:x=(w-text_w)/2:y=h-40"
CAPTIONS = {"subtitles_on_blur": ("gblur=sigma=2", "gblur=sigma=2," + SUBTITLE + ":borderw=2", X264, X264, False)}
WEAKNESSES = {
    "subtitles_shadow_on_blur": (
        "gblur=sigma=2",
        "gblur=sigma=2," + SUBTITLE + ":shadowx=2:shadowy=2",
        X264,
        X264,
        False,
    )
}


def make_pairs(sources: list[str], work_dir: str) -> list[dict]:
    from s2i_hf.ffmpeg import ffmpeg
    from s2i_hf.real_content import make_source_clip

    pairs = []
    for name in sources:
        src = make_source_clip(name, os.path.join(work_dir, "sources", f"{name}.mp4"), seconds=3.0)
        for fmt, (plain_vf, fmt_vf, plain_enc, fmt_enc, bars) in {**FORMATS, **CAPTIONS, **WEAKNESSES}.items():
            paths = {}
            for role, vf, enc in (("plain", plain_vf, plain_enc), ("formatted", fmt_vf, fmt_enc)):
                out = os.path.join(work_dir, name, f"{fmt}_{role}.mp4")
                os.makedirs(os.path.dirname(out), exist_ok=True)
                if not os.path.isfile(out):
                    try:
                        ffmpeg("-i", src, "-an", "-vf", vf, *enc, out)
                    except Exception as exc:  # e.g. an FFmpeg built without drawtext: report, go on
                        print(f"  {name} {fmt}: cannot make the {role} clip ({str(exc).splitlines()[0][:120]})")
                        paths = {}
                        break
                paths[role] = out
            if paths:
                pairs.append(
                    {
                        "source": name,
                        "format": fmt,
                        "bars": bars,
                        "captions": fmt in CAPTIONS,
                        "weakness": fmt in WEAKNESSES,
                        **paths,
                    }
                )
    return pairs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default="china,bunny_b,carphone", help="real sources (catalog/real_content.yaml)")
    ap.add_argument("--work_dir", default="/tmp/s2i-format-invariance")
    ap.add_argument("--json", default=None, help="write every pair's scores and the summary here")
    args = ap.parse_args(argv)

    from s2i_hf.scoring import VideoScorer
    from s2i_hf.scoring.active_area import find_active_area
    from s2i_hf.video import load_clip

    pairs = make_pairs([s for s in args.sources.split(",") if s], args.work_dir)
    cut, whole = VideoScorer(), VideoScorer(crop_bars=False)
    decode_s = detect_s = 0.0
    rows = []
    print(f"{'source':10s} {'format':18s} {'largest change':>26s} {'overall':>8s}   bars scored whole")
    for p in pairs:
        plain = cut.score(p["plain"])
        start = time.perf_counter()
        clip = load_clip(p["formatted"], cut.sampling)
        decode_s += time.perf_counter() - start
        start = time.perf_counter()
        find_active_area(clip.frames)
        detect_s += time.perf_counter() - start
        fmt = cut.score_clip(clip)
        diffs = {d: fmt.scores[d] - plain.scores[d] for d in plain.scores}
        worst = max(diffs, key=lambda d: abs(diffs[d]))
        row = {
            **p,
            "plain_scores": plain.to_dict(),
            "formatted_scores": fmt.to_dict(),
            "largest": [worst, diffs[worst]],
            "overall_change": fmt.overall_score - plain.overall_score,
        }
        line = (
            f"{p['source']:10s} {p['format']:18s} {worst:>14s} {diffs[worst]:+.3f} ({plain.scores[worst]:.2f})"
            f" {row['overall_change']:+8.3f}"
        )
        if p["bars"]:
            w = whole.score(p["formatted"])
            wd = {d: w.scores[d] - plain.scores[d] for d in plain.scores}
            ww = max(wd, key=lambda d: abs(wd[d]))
            row["whole"] = {"largest": [ww, wd[ww]], "overall_change": w.overall_score - plain.overall_score}
            line += f"   {ww} {wd[ww]:+.3f}, overall {w.overall_score - plain.overall_score:+.3f}"
        if p["weakness"]:
            line += "   (known weakness)"
        if p["captions"]:
            blur = {d: diffs[d] for d in ("sharpness", "focus", "motion_blur")}
            row["blur_change"] = max(blur.values())
            line += f"   (captions masked; sharpness / focus / motion blur {' / '.join(f'{v:+.3f}' for v in blur.values())})"
        print(line)
        rows.append(row)
    kept = [r for r in rows if not (r["weakness"] or r["captions"])]
    captions = [r for r in rows if r["captions"]]
    summary = {
        "pairs": len(kept),
        "captions_largest_blur_rise": max((r["blur_change"] for r in captions), default=None),
        "largest_change": max((abs(r["largest"][1]) for r in kept), default=0.0),
        "largest_overall_change": max((abs(r["overall_change"]) for r in kept), default=0.0),
        "bar_detection_over_decode": detect_s / decode_s if decode_s else None,
    }
    print(
        f"\n{summary['pairs']} format pairs: largest change of any dimension {summary['largest_change']:.3f}, of the"
        f" overall score {summary['largest_overall_change']:.3f}; finding bars costs"
        f" {100 * (summary['bar_detection_over_decode'] or 0):.1f} % of decoding"
    )
    if captions:
        print(
            f"outlined subtitles over a blurred clip: largest rise of sharpness, focus or motion blur"
            f" {summary['captions_largest_blur_rise']:+.3f}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"pairs": rows, "summary": summary}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
