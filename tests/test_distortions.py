"""Each controlled distortion of the catalogue (``s2i_hf.distortions``, the one implementation the demo and the
benchmarks use) lowers its target dimension's default score monotonically (in rank), on real sample clips and on
generated clips, while the pristine clip keeps a sane level (not poor or bad); every variant is a valid clip."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from scipy.stats import spearmanr

from s2i_hf.dimensions import DIMENSION_IDS
from s2i_hf.distortions import (
    DEMO_FAMILIES,
    FAMILIES,
    NEAR_LOSSLESS,
    encoder_options,
    filter_for,
    make_variants,
    probe,
    strengths,
)
from s2i_hf.ffmpeg import FFmpegError, ffmpeg
from s2i_hf.scoring import create_scorer, default_scorer_names
from s2i_hf.video import load_clip, open_video, sample_video_paths


MIN_RHO = -0.8  # Spearman of (strength rank, score)
MIN_PRISTINE = 0.4  # the pristine clip is not poor or bad
MIN_DROP = 0.15  # the strongest level moves the score this much


SOURCES = ("bigbuckbunny", "bikes", "carphone_pristine", "mandelbrot", "pan")


def prepare_sources(sample_clips: dict[str, str], out_dir: str, seconds: float = 2.0) -> dict[str, str]:
    """name -> path of short near-lossless sources: three real sample clips and two generated clips.

    - ``bigbuckbunny``: the first ``seconds`` s, scaled to 640 x 360 (animation, static camera);
    - ``bikes``: ``seconds`` s from 3 s in (live action at dusk, moving objects);
    - ``carphone_pristine``: ``seconds`` s (QCIF talking head, moving background);
    - ``mandelbrot``: ffmpeg's zooming Mandelbrot set (synthetic detail and motion, 320 x 240);
    - ``pan``: a camera pan at constant speed (2 px/frame) over a still of the bikes clip (480 x 272).
    """
    os.makedirs(out_dir, exist_ok=True)

    def p(name):
        return os.path.join(out_dir, f"{name}.mp4")

    t = f"{seconds}"
    still = os.path.join(out_dir, "still.png")
    ffmpeg("-ss", "7", "-i", sample_clips["bikes"], "-frames:v", "1", still)
    jobs = [
        ["-i", sample_clips["bigbuckbunny"], "-t", t, "-vf", "scale=640:360", *NEAR_LOSSLESS, p("bigbuckbunny")],
        ["-ss", "3", "-i", sample_clips["bikes"], "-t", t, *NEAR_LOSSLESS, p("bikes")],
        ["-i", sample_clips["carphone_pristine"], "-t", t, *NEAR_LOSSLESS, p("carphone_pristine")],
        ["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-t", t, *NEAR_LOSSLESS, p("mandelbrot")],
        [
            "-loop",
            "1",
            "-framerate",
            "25",
            "-i",
            still,
            "-t",
            t,
            "-vf",
            "crop=480:272:'20+t*50':0",
            *NEAR_LOSSLESS,
            p("pan"),
        ],
    ]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda a: ffmpeg(*a), jobs))
    return {name: p(name) for name in SOURCES}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    """source -> the library's variants of it: pristine + every catalogue family at its four strengths."""
    samples = {os.path.splitext(os.path.basename(p))[0]: p for p in sample_video_paths()}
    root = tmp_path_factory.mktemp("distort")
    sources = prepare_sources(samples, str(root / "sources"))
    return {
        name: make_variants(path, str(root / name), source=name, families=list(FAMILIES), seed=i)
        for i, (name, path) in enumerate(sources.items())
    }


@pytest.fixture(scope="module")
def variants(encoded):
    """source -> family -> ([pristine, mildest, ..., strongest] paths, strengths)."""
    out = {}
    for name, vs in encoded.items():
        pristine = vs[0]
        assert pristine.family is None and pristine.step == -1
        out[name] = {}
        for family in FAMILIES:
            steps = sorted((v for v in vs if v.family == family), key=lambda v: v.step)
            assert [v.step for v in steps] == [0, 1, 2, 3], (name, family)
            out[name][family] = ([pristine.path] + [v.path for v in steps], [v.strength for v in steps])
    return out


@pytest.fixture(scope="module")
def scorers():
    names = default_scorer_names()
    return {dim: create_scorer(names[dim]) for dim in {f.dimension for f in FAMILIES.values()}}


# VP9's and AV1's ladders end in mild damage (their highest CRF, VMAF 55-90: `severe: false` in the catalogue), so
# the strongest step need not move the score by MIN_DROP; benchmarks/label_calibration.py checks them against VMAF.
# Their clips are still checked for validity below.
SEVERE_FAMILIES = [name for name, fam in FAMILIES.items() if fam.severe]


@pytest.mark.parametrize("clip_name", SOURCES)
@pytest.mark.parametrize("family", SEVERE_FAMILIES)
def test_distortion_lowers_its_dimension(variants, scorers, clip_name, family):
    dim = FAMILIES[family].dimension
    paths, levels = variants[clip_name][family]
    scores = [scorers[dim](load_clip(p)).score for p in paths]
    rho = spearmanr(range(len(scores)), scores).statistic
    shown = f"{family} {[round(v, 3) for v in levels]} on {clip_name}: {dim} scores {[round(s, 3) for s in scores]}"
    assert not math.isnan(rho), f"{shown}: no change at all"
    assert rho <= MIN_RHO, f"{shown} (Spearman {rho:.2f})"
    assert scores[0] >= MIN_PRISTINE, f"pristine {clip_name} reads {dim} {scores[0]:.3f}, poor or bad"
    assert scores[-1] <= scores[0] - MIN_DROP, f"{shown}: the strongest level barely moves the score"


def test_catalogue_recipes_are_well_formed():
    """Every family of the catalogue: a known dimension, one way to apply it, a ladder of four strictly ordered
    strengths (mildest first) that the seeded jitter keeps ordered and distinct, and a filter that formats fully."""
    assert set(DEMO_FAMILIES) <= set(FAMILIES)
    for name, fam in FAMILIES.items():
        assert fam.dimension in DIMENSION_IDS, name
        assert (fam.filter is None) == fam.crf, name
        assert len(fam.ladder) == 4 and list(fam.ladder) == sorted(set(fam.ladder), reverse=fam.decreasing), name
        for seed in range(8):
            vals = strengths(name, seed=seed)
            assert vals == sorted(vals, reverse=fam.decreasing) and len(set(vals)) == 4, (name, seed, vals)
            if fam.crf:
                assert all(v == int(v) and 1 <= v <= fam.max_crf <= 63 for v in vals), (name, vals)
                assert filter_for(name, vals[0], w=240, h=136, fps=25.0, seed=seed) is None
                options = encoder_options(name, vals[-1])
                assert options[options.index("-crf") + 1] == str(int(vals[-1])), (name, options)
            else:
                vf = filter_for(name, vals[-1], w=240, h=136, fps=25.0, seed=seed)
                assert vf and "{" not in vf and "}" not in vf, (name, vf)
        assert strengths(name, seed=3) == strengths(name, seed=3), name  # seeded
    assert filter_for("blur", 2.0, w=240, h=136, fps=25.0) == "gblur=sigma=2.000"


@pytest.mark.parametrize("clip_name", SOURCES)
def test_every_variant_is_a_valid_clip(encoded, clip_name):
    """Each family's clips keep the pristine clip's frame size and rate and hold about as many frames (the scorers
    decode every one of them in test_distortion_lowers_its_dimension)."""
    vs = encoded[clip_name]
    w, h, fps = probe(vs[0].path)
    n = open_video(vs[0].path).num_frames
    assert {(v.family, v.step) for v in vs[1:]} == {(f, i) for f in FAMILIES for i in range(4)}
    for v in vs[1:]:
        assert os.path.getsize(v.path) > 0, v.path
        vw, vh, vfps = probe(v.path)
        assert (vw, vh) == (w, h) and vfps == pytest.approx(fps, rel=0.01), (v.path, (vw, vh, vfps), (w, h, fps))
        frames = open_video(v.path).num_frames
        assert abs(frames - n) <= 1, (v.path, frames, n)


def test_an_ffmpeg_failure_names_the_command_and_its_error(tmp_path):
    missing = str(tmp_path / "missing.mp4")
    with pytest.raises(FFmpegError, match="missing.mp4") as info:
        ffmpeg("-i", missing, str(tmp_path / "out.mp4"))
    assert info.value.returncode != 0 and "No such file" in str(info.value)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to narrow the process to one")
def test_clips_do_not_depend_on_the_cpus_the_process_may_use(tmp_path):
    # An encoder left to choose its threads counts the CPUs in the affinity mask (torch/OpenMP can narrow it), and
    # x264 writes other pixels with another thread count: the demo's clips once differed between two runs.
    from s2i_hf.real_content import make_source_clip

    def encode(folder, cpus):
        everything = os.sched_getaffinity(0)
        os.sched_setaffinity(0, cpus or everything)  # the ffmpeg children inherit it
        try:
            src = make_source_clip("flower", str(tmp_path / folder / "src.mp4"), seconds=0.6, size=(240, 136))
            vs = make_variants(src, str(tmp_path / folder / "v"), families=["crf", "blur"], steps=[1], workers=1)
        finally:
            os.sched_setaffinity(0, everything)
        paths = [src] + [v.path for v in vs]
        return {os.path.basename(p): open(p, "rb").read() for p in paths}

    every_cpu = encode("all", None)
    one_cpu = encode("one", {min(os.sched_getaffinity(0))})
    assert sorted(every_cpu) == ["blur_1.mp4", "crf_1.mp4", "pristine.mp4", "src.mp4"]
    assert [n for n in every_cpu if every_cpu[n] != one_cpu[n]] == []


def test_clips_are_x264s_plain_c_bytes_whatever_instruction_sets_it_detects(tmp_path, monkeypatch):
    # x264 picks its assembly from the instruction sets it detects, and its SSSE3-and-up routines are not bit-exact:
    # the same photograph clip came out as three files on one VM over a day. Every encode pins the SSE2 set, which
    # writes the bytes of x264's C code (asm=0), the same on every x86-64 CPU.
    import s2i_hf.ffmpeg as ff
    from s2i_hf.real_content import make_source_clip

    def clips(folder):
        src = make_source_clip("aero", str(tmp_path / folder / "src.mp4"), seconds=0.6, size=(240, 136))
        vs = make_variants(src, str(tmp_path / folder / "v"), families=["crf"], steps=[3], workers=1)
        return [open(p, "rb").read() for p in [src] + [v.path for v in vs]]

    pinned = clips("pinned")
    monkeypatch.setattr(ff, "_X264_ASM", "0")
    assert clips("plain_c") == pinned
    assert len(pinned) == 3
    # an encoder's own x264 options are kept, after the pin (theirs win)
    opts = ff.pinned_encoder(["-c:v", "libx264", "-x264-params", "keyint=5"])
    assert opts == ["-c:v", "libx264", "-x264-params", "asm=0:keyint=5", "-threads", "1"]
    assert ff.pinned_encoder(["-c:v", "libx265"]) == ["-c:v", "libx265", "-threads", "1"]
