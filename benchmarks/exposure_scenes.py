"""Exposure judges exposure, not the scene: real photos before flat backdrops, night skies, and pages of text.

Issue #17 asks that a well-exposed frame with a large dark background (a black studio backdrop, a night sky) or a
bright one read "good" or better, and that every exposure change still reads as one. The label-calibration corpus holds
two such scenes per side (a near-black backdrop at RGB 8, a bright sky); this script widens the check. Each photograph
of the catalogue (``catalog/real_content.yaml``, photos only) is set at 45 % of the frame's width before a flat
backdrop at RGB 0 (pure black, as graphics and crushed studio blacks have it), 8, 235 and 255 (clipped white). Three
night skies follow (``s2i_hf.testing.star_field``: stars over a sky at RGB 3 and 12, and over a horizon's glow; no real
night scene ships in the wheels), then a page of dark text on paper at 235, 245 and 255 (``s2i_hf.testing.text_page``).
Each scene pans for 2 s at 480 x 272 and is encoded like the corpus, then put through the exposure families (brighten,
darken, gain_up, gain_down, the corpus' ladders). The script prints the exposure and lighting scores of each pristine
scene and the exposure score at each family's severe step, and counts the scenes whose pristine exposure reads under
0.6 or whose severe steps read over 0.4 (the issue's bands).

    python benchmarks/exposure_scenes.py [--work_dir DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys


os.environ.setdefault("HF_HUB_OFFLINE", "1")

BACKDROPS = (0, 8, 235, 255)
PAPERS = (235, 245, 255)
NIGHT_SKIES = {"night_3": {"sky": 3.0}, "night_12": {"sky": 12.0}, "night_glow": {"sky": 8.0, "glow": 90.0}}
FAMILIES = ("brighten", "darken", "gain_up", "gain_down")
SIZE, SECONDS, FPS, WIDTH_SHARE = (480, 272), 2, 25, 0.45


def _encode(canvas, path: str) -> None:
    """Pan ``canvas`` one pixel a frame into a SECONDS-long clip, encoded as the corpus' sources are."""
    import numpy as np

    from s2i_hf.ffmpeg import encode_frames
    from s2i_hf.real_content import source_encoder

    if os.path.isfile(path):
        return
    w = SIZE[0]
    frames = np.stack([canvas[:, t : t + w] for t in range(SECONDS * FPS)])
    encode_frames(frames, path + ".tmp.mp4", source_encoder(), fps=FPS)
    os.replace(path + ".tmp.mp4", path)


def scenes() -> dict:
    """name -> (H, W + pan, 3) uint8 canvas."""
    from s2i_hf.real_content import ROLES, SOURCES, _read_image, photo_on_backdrop

    out = {}
    for name, src in SOURCES.items():
        # colour photos of the fit and held-out sets, as they are (the transfer sources stay out of every check)
        if src.kind != "photo" or src.scene or src.grey or name in ROLES.get("transfer", ()):
            continue
        img = _read_image(src)
        for level in BACKDROPS:
            out[f"{name}_on_{level}"] = photo_on_backdrop(img, WIDTH_SHARE, level, SIZE, pan=SECONDS * FPS)
    from s2i_hf.testing import star_field

    for i, (name, kw) in enumerate(NIGHT_SKIES.items()):
        out[name] = star_field(SIZE[1], SIZE[0] + SECONDS * FPS, seed=i, stars=1200, **kw)
    from s2i_hf.testing import text_page

    for paper in PAPERS:
        out[f"page_{paper}"] = text_page(SIZE[1], SIZE[0] + SECONDS * FPS, paper=paper)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work_dir", default="/tmp/s2i-exposure-scenes")
    ap.add_argument("--json", default=None, help="write every clip's exposure and lighting scores here")
    args = ap.parse_args(argv)

    from s2i_hf.distortions import CALIBRATION_LADDERS, make_variants
    from s2i_hf.scoring import VideoScorer

    scorer = VideoScorer()
    rows = {}
    os.makedirs(args.work_dir, exist_ok=True)
    for i, (name, canvas) in enumerate(scenes().items()):
        src = os.path.join(args.work_dir, f"{name}.mp4")
        _encode(canvas, src)
        variants = make_variants(
            src, os.path.join(args.work_dir, name), families=FAMILIES, seed=300 + i, ladders=CALIBRATION_LADDERS
        )
        scores = {}
        for v in variants:
            s = scorer.score(v.path).scores
            scores["pristine" if v.family is None else f"{v.family}_{v.step}"] = {
                "exposure": s["exposure"],
                "lighting": s["lighting"],
            }
        rows[name] = scores

    severe = [f"{f}_3" for f in FAMILIES]
    print(f"{'scene':28s} exposure lighting | severe exposure: " + " ".join(f"{f:>9s}" for f in FAMILIES))
    counts = {"backdrop 0/8": [0, 0], "backdrop 235/255": [0, 0], "night sky": [0, 0], "page": [0, 0]}
    failing_severe = []
    for name, s in rows.items():
        p = s["pristine"]
        if name.startswith("page"):
            kind = "page"
        elif name.startswith("night"):
            kind = "night sky"
        else:
            kind = "backdrop 0/8" if name.endswith(("_0", "_8")) else "backdrop 235/255"
        counts[kind][1] += 1
        counts[kind][0] += p["exposure"] >= 0.6
        failing_severe += [f"{name} {k}" for k in severe if s[k]["exposure"] > 0.4]
        cells = " ".join(f"{s[k]['exposure']:9.2f}" for k in severe)
        flag = "" if p["exposure"] >= 0.6 else "  <- pristine under 0.6"
        print(f"{name:28s} {p['exposure']:8.2f} {p['lighting']:8.2f} |                  {cells}{flag}")
    for kind, (ok, n) in counts.items():
        print(f"pristine exposure >= 0.6, {kind}: {ok} of {n}")
    listed = f" ({', '.join(failing_severe)})" if failing_severe else ""
    print(f"severe steps over 0.4: {len(failing_severe)} of {len(rows) * len(FAMILIES)}{listed}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scenes": rows, "pristine_ok": counts, "severe_over_0_4": failing_severe}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
