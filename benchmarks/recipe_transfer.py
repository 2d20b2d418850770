"""Recipe transfer: do the labels hold when the damage is made another way?

The label-calibration corpus applies the catalogue's recipes (``catalog/distortions.yaml``): a Gaussian blur,
ffmpeg's grain on every channel, a brightness offset or a luma gain, a sine flicker and shake. A check made
elsewhere makes its own, so this script applies other recipes for the same damage, none of them in the catalogue or
ever fitted to: a box blur and a down-and-up scale, grain on luma only, x264 at its default preset, gamma and an
RGB gain in stops (ffmpeg's ``exposure``: 2^EV on the decoded values), ``hue=s`` desaturation, a random flicker, a
random shake and dropped frames. Sources are the held-out and transfer sources of ``catalog/real_content.yaml`` and two
zoomed views of held-out photos (upscaled 1.5-1.8x, as small photographs are), made into 3-s 480 x 272 clips.

Per (source, recipe) it prints the issue's checks: the target dimension >= 0.6 pristine and <= 0.4 at the strongest
step, no other distortion dimension rising more than 0.10, the overall score falling >= 0.15; and per recipe the
mean SRCC(strength, overall) (goal <= -0.8). Each recipe's strongest step is meant as severe damage; the luma
grain's leaves 22.5 dB luma PSNR.

    python benchmarks/recipe_transfer.py [--work_dir DIR] [--sources flower,carphone] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys


os.environ.setdefault("HF_HUB_OFFLINE", "1")

# recipe -> (dimension it damages, strengths from mild to severe, ffmpeg filter template or None for x264 at CRF s)
RECIPES = {
    "box_blur": ("sharpness", (1, 2, 3, 5), "boxblur=lr={s}:lp=1"),
    "down_up_scale": (
        "sharpness",
        (1.5, 2.2, 3.2, 4.5),
        "scale=trunc(iw/{s}/2)*2:trunc(ih/{s}/2)*2:flags=bilinear,scale={w}:{h}:flags=bicubic",
    ),
    "luma_grain": ("noise", (10, 20, 40, 70), "noise=c0s={s}:c0f=t+u"),
    "x264_default_preset": ("compression", (32, 40, 46, 51), None),
    "gamma_up": ("exposure", (1.4, 1.9, 2.6, 3.6), "eq=gamma={s}"),
    "gamma_down": ("exposure", (0.75, 0.55, 0.4, 0.28), "eq=gamma={s}"),
    "stops_up": ("exposure", (0.5, 1.0, 1.6, 2.4), "format=gbrpf32le,exposure=exposure={s},format=yuv420p"),
    "stops_down": ("exposure", (-0.5, -1.0, -1.6, -2.4), "format=gbrpf32le,exposure=exposure={s},format=yuv420p"),
    "hue_desaturate": ("color", (0.7, 0.45, 0.2, 0.0), "hue=s={s}"),
    "random_flicker": ("flicker", (0.03, 0.06, 0.1, 0.16), "eq=brightness='{s}*(2*random(0)-1)':eval=frame"),
    "random_shake": (
        "stability",
        (2, 4, 7, 12),
        "crop=iw-{d}:ih-{d}:'{s}+{s}*(2*random(1)-1)':'{s}+{s}*(2*random(2)-1)':exact=1,scale={w}:{h}",
    ),
    "dropped_frames": ("fluency", (0.8, 0.6, 0.42, 0.28), "fps=fps={rate:.4f},fps=fps={fps:g}"),
}


def sources() -> dict:
    """name -> (catalogue source, View or None): the held-out and transfer sources, and two zoomed held-out views."""
    from s2i_hf.real_content import ROLES, View

    out = {name: (name, None) for name in ROLES["heldout"] + ROLES["transfer"]}
    out["quokka_zoom"] = ("quokka", View(zoom=1.8, cx=0.45))
    out["flower_zoom"] = ("flower", View(zoom=1.5, cx=0.45))
    return out


def build(name: str, source: str, view, work_dir: str) -> list[tuple[str | None, int, str]]:
    """Encode the source clip and every recipe's ladder: [(recipe or None, step, path)]."""
    from s2i_hf.distortions import encode_clip, probe
    from s2i_hf.real_content import SOURCES, make_source_clip

    src = make_source_clip(source, os.path.join(work_dir, "sources", f"{name}.mp4"), view=view)
    w, h, fps = probe(src)
    out = [(None, -1, src)]
    for recipe, (_, ladder, template) in RECIPES.items():
        if recipe == "hue_desaturate" and SOURCES[source].grey:
            continue
        for step, s in enumerate(ladder):
            path = os.path.join(work_dir, name, f"{recipe}_{step}.mp4")
            if not os.path.isfile(path):
                if template is None:
                    encode_clip(src, path + ".tmp.mp4", crf=int(s))
                else:
                    vf = template.format(s=s, d=2 * s, w=w, h=h, fps=fps, rate=fps * s)
                    encode_clip(src, path + ".tmp.mp4", vf=vf)
                os.replace(path + ".tmp.mp4", path)
            out.append((recipe, step, path))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work_dir", default="/tmp/s2i-recipe-transfer")
    ap.add_argument("--sources", default=None, help="comma-separated names (default: all)")
    ap.add_argument("--json", default=None, help="write every clip's scores and the checks here")
    args = ap.parse_args(argv)

    import numpy as np
    from label_calibration import GOALS, ladder_rows
    from tqdm.auto import tqdm

    from s2i_hf.scoring import VideoScorer

    chosen = sources()
    if args.sources:
        chosen = {k: chosen[k] for k in args.sources.split(",")}
    scorer = VideoScorer()
    results = {}
    for name, (source, view) in tqdm(chosen.items(), desc="sources"):
        rows = []
        for recipe, step, path in build(name, source, view, args.work_dir):
            r = scorer.score(path)
            rows.append({"family": recipe, "step": step, "scores": r.scores, "overall": r.overall_score})
        results[name] = rows
    # the label-calibration checks, with each recipe's own target dimension
    checks = ladder_rows(results, target_of=lambda recipe: RECIPES[recipe][0])

    def flag(ok: bool) -> str:
        return " " if ok else "!"

    failing = 0
    for c in checks:
        ok = (
            c["target_pristine"] >= GOALS["pristine"],
            c["target_severe"] <= GOALS["severe"],
            c["off_gain"] <= GOALS["gain"],
            c["overall_drop"] >= GOALS["drop"],
        )
        failing += not all(ok)
        print(
            f"{c['source']:15} {c['family']:19} {c['target']:11} {c['target_pristine']:.2f}{flag(ok[0])} "
            f"{c['target_severe']:.2f}{flag(ok[1])} {c['off_dim']:>11} {c['off_gain']:+.2f}{flag(ok[2])} "
            f"drop {c['overall_drop']:+.2f}{flag(ok[3])} SRCC {c['overall_srcc']:+.2f}"
        )
    srcc = {r: float(np.mean([c["overall_srcc"] for c in checks if c["family"] == r])) for r in RECIPES}
    srcc = {r: v for r, v in srcc.items() if not np.isnan(v)}
    print(f"\n{len(checks)} ladders, {failing} failing a check (! marks the failed check)")
    print(
        "mean SRCC(strength, overall) per recipe (goal <= -0.8): "
        + ", ".join(f"{r} {v:+.2f}{flag(v <= GOALS['family_srcc'])}" for r, v in srcc.items())
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scores": results, "checks": checks, "family_srcc": srcc}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
