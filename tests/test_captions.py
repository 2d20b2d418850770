"""Burned-in captions are not the picture: outlined subtitles drawn over a blurred real clip leave its sharpness,
focus and motion blur where they were, and no caption is found in real footage without one."""

import subprocess

import numpy as np
import pytest
from conftest import ffmpeg
from PIL import Image, ImageDraw, ImageFont

from s2i_hf.ffmpeg import encode_frames
from s2i_hf.scoring import VideoScorer
from s2i_hf.scoring.estimators.spatial import caption_mask


W, H = 480, 272
X264 = ["-an", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16"]
BLUR_DIMENSIONS = ("sharpness", "focus", "motion_blur")


def _frames(path: str) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, H, W, 3)


def _captioned(frames: np.ndarray, size: int, outline: int, colour=(255, 255, 255)) -> np.ndarray:
    """The same frames with one line of text drawn near the bottom, as subtitle renderers draw it (a light fill,
    a black outline ``outline`` px wide), identical on every frame."""
    out = []
    font = ImageFont.load_default(size=size)
    for f in frames:
        img = Image.fromarray(f)
        draw = ImageDraw.Draw(img)
        text = "Subtitles over the picture"
        width = draw.textlength(text, font=font)
        xy = ((W - width) / 2, H - 2 * size)
        draw.text(xy, text, font=font, fill=colour, stroke_width=outline, stroke_fill=(0, 0, 0))
        out.append(np.asarray(img))
    return np.stack(out)


@pytest.fixture(scope="module")
def blurred(tmp_path_factory, sample_clips):
    """name -> path: 2-s 480 x 272 clips of real footage blurred (Gaussian sigma 2), plain."""
    d = tmp_path_factory.mktemp("captions")
    out = {}
    for name in ("bigbuckbunny", "bikes"):
        path = str(d / f"{name}.mp4")
        ffmpeg("-i", sample_clips[name], "-t", "2", "-vf", f"scale={W}:{H},setsar=1,gblur=sigma=2", *X264, path)
        out[name] = path
    return out


@pytest.mark.parametrize(
    "size,outline,colour", [(14, 1, (255, 255, 255)), (20, 2, (255, 255, 255)), (24, 2, (255, 240, 40))]
)
def test_outlined_subtitles_over_a_blurred_clip_do_not_make_it_sharp(tmp_path, blurred, size, outline, colour):
    # before captions were masked, white outlined subtitles raised sharpness by 0.26-0.59 and focus by up to 0.45
    scorer = VideoScorer()
    for name, plain in blurred.items():
        captioned = str(tmp_path / f"{name}_{size}.mp4")
        encode_frames(_captioned(_frames(plain), size, outline, colour), captioned, X264)
        a, b = scorer.score(plain), scorer.score(captioned)
        rises = {d: round(b.scores[d] - a.scores[d], 3) for d in BLUR_DIMENSIONS}
        assert max(rises.values()) <= 0.2, (name, rises)
        assert abs(b.overall_score - a.overall_score) <= 0.08, (name, a.overall_score, b.overall_score)
        assert caption_mask(scorer.load(captioned)).any()


def test_no_caption_is_found_in_real_footage(sample_clips, tmp_path):
    # real footage at its own size and at the corpus' size, sharp and blurred: nothing is masked
    scorer = VideoScorer()
    for name in ("bigbuckbunny", "bikes", "carphone_pristine"):
        path = str(tmp_path / f"{name}.mp4")
        ffmpeg("-i", sample_clips[name], "-t", "2", "-vf", f"scale={W}:{H},setsar=1", *X264, path)
        for p in (sample_clips[name], path):
            assert not caption_mask(scorer.load(p)).any(), p
