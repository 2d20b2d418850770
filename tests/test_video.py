import os

import numpy as np
import pytest

from s2i_hf.frames import FrameSampling
from s2i_hf.video import VideoError, VideoRef, load_clip, resolve_videos, video_id_of


def test_load_sample_clip_windows_and_metadata(sample_clips):
    clip = load_clip(sample_clips["bikes"], FrameSampling.windows(num_frames=24, window=6))
    assert clip.frames.shape == (24, 272, 640, 3) and clip.frames.dtype == np.uint8
    assert (clip.width, clip.height, clip.num_frames) == (640, 272, 250)
    assert clip.fps == pytest.approx(25.0) and clip.duration == pytest.approx(10.0)
    assert len(clip.windows) == 4
    for a, b in clip.windows:  # each window is a run of consecutive source frames
        assert np.all(np.diff(clip.indices[a:b]) == 1)
        np.testing.assert_allclose(np.diff(clip.timestamps[a:b]), 1 / 25, atol=1e-6)
    starts = clip.indices[[a for a, _ in clip.windows]]
    assert starts[0] == 0 and starts[-1] == 250 - 6  # spread over the whole video
    assert clip.luma.shape == (24, 272, 640) and 0.0 <= clip.luma.min() and clip.luma.max() <= 1.0
    assert clip.key_frames.shape[0] == 4
    assert len(list(clip.pairs())) == 4 * 5


def test_fps_sampling_and_resize(sample_clips):
    clip = load_clip(
        sample_clips["bigbuckbunny"], FrameSampling.windows(num_frames=16, window=4, fps=1.0, max_side=320)
    )
    assert clip.frames.shape[1:] == (180, 320, 3)
    starts = clip.indices[[a for a, _ in clip.windows]]
    assert list(starts) == [0, 25, 50, 75]  # one window per second at 25 fps, capped by num_frames
    assert (clip.width, clip.height) == (1280, 720)  # metadata keeps the source size


def test_short_video_takes_what_there_is(bad_videos, tmp_path):
    from conftest import ffmpeg

    path = str(tmp_path / "three.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "3", "-pix_fmt", "yuv420p", path)
    clip = load_clip(path)
    assert clip.num_frames == 3 and clip.frames.shape[0] == 3 and clip.windows == [(0, 3)]


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("zero_bytes", "empty"),
        ("truncated", "not a decodable video"),
        ("random_bytes", "not a decodable video"),
        ("text", "not a decodable video"),
        ("audio_only", "no video stream"),
        ("one_frame", "has 1 frame"),
    ],
)
def test_bad_inputs_raise_clear_errors(bad_videos, kind, reason):
    path = bad_videos[kind]
    with pytest.raises(VideoError) as info:
        load_clip(path)
    assert path in str(info.value) and reason in str(info.value)
    assert ".cpp" not in str(info.value)  # no decoder internals in user-facing messages


def test_missing_file_and_bytes_input(sample_clips):
    with pytest.raises(VideoError, match="does not exist"):
        load_clip("/no/such/video.mp4")
    with open(sample_clips["carphone_pristine"], "rb") as fh:
        data = fh.read()
    clip = load_clip(VideoRef(name="in-memory", data=data), FrameSampling.windows(num_frames=8, window=4))
    assert clip.source == "in-memory" and clip.frames.shape == (8, 144, 176, 3)
    assert video_id_of(VideoRef(name="x", data=data)) == video_id_of(sample_clips["carphone_pristine"])
    assert len(video_id_of(data)) == 16


def test_datasets_video_value(sample_clips):
    from datasets import Dataset, Video

    ds = Dataset.from_dict({"video": [sample_clips["carphone_pristine"]]}).cast_column("video", Video())
    decoder = ds[0]["video"]  # a torchcodec VideoDecoder
    clip = load_clip(decoder, FrameSampling.windows(num_frames=8, window=4, max_side=88))
    assert clip.frames.shape == (8, 72, 88, 3)


def test_resolve_dirs_globs_manifests(tmp_path, sample_clips):
    d = tmp_path / "videos" / "nested"
    d.mkdir(parents=True)
    for name in ("bikes", "carphone_pristine"):
        os.symlink(sample_clips[name], d / f"{name}.mp4")
    (d / "readme.txt").write_text("not a manifest entry\n")
    found, problems = resolve_videos([str(tmp_path / "videos")])
    assert [os.path.basename(r.path) for r in found] == ["bikes.mp4", "carphone_pristine.mp4"] and not problems

    found, problems = resolve_videos([str(tmp_path / "videos" / "**" / "*.mp4"), str(tmp_path / "nothing-*.mp4")])
    assert len(found) == 2 and problems == [(str(tmp_path / "nothing-*.mp4"), "pattern matches no file")]

    manifest = tmp_path / "list.csv"
    manifest.write_text("path,mos\nvideos/nested/bikes.mp4,3.1\nvideos/nested/gone.mp4,2.0\n")
    found, problems = resolve_videos([str(manifest), str(d / "bikes.mp4")])
    assert len(found) == 1  # listed twice, kept once
    assert problems == [
        (str(tmp_path / "videos/nested/gone.mp4"), f"file listed in manifest {manifest} does not exist")
    ]

    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    _, problems = resolve_videos([str(bad), "/no/such/dir"])
    assert "needs a column named path" in problems[0][1] and problems[1][1] == "no such file or directory"


def test_sampling_config_validation():
    with pytest.raises(ValueError, match="window"):
        FrameSampling.windows(window=1)
    with pytest.raises(ValueError, match="num_frames"):
        FrameSampling.windows(num_frames=4, window=8)
    with pytest.raises(ValueError, match="fps"):
        FrameSampling.windows(fps=0)


def test_a_frame_span_keeps_the_time_between_frames_on_clips_of_any_length(tmp_path):
    """Two frames spread over a clip lie half its length apart; with ``span=0.5`` they lie 0.5 s apart around its
    middle whatever its length (read back from the decoded frames' timestamps of real clips)."""
    from conftest import ffmpeg

    from s2i_hf.frames import decode_sampled_frames

    for seconds in (1, 3, 8):
        path = str(tmp_path / f"{seconds}s.mp4")
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=64x48:rate=25:duration={seconds}", "-pix_fmt", "yuv420p", path)
        for sampling, gap in (
            (FrameSampling(num_frames=2), seconds / 2),
            (FrameSampling(num_frames=2, span=0.5), 0.5),
        ):
            _, md = decode_sampled_frames(path, sampling)
            first, second = (i / 25.0 for i in md["frames_indices"])
            assert abs((second - first) - gap) <= 1 / 25 + 1e-9, (seconds, sampling, md["frames_indices"])
            assert abs((first + second) / 2 - seconds / 2) <= 1 / 25 + 1e-9  # around the middle
    spread = FrameSampling(num_frames=4, span=2.0)
    assert spread.indices(25, 25.0) == FrameSampling(num_frames=4).indices(25, 25.0)  # shorter than the span
    assert FrameSampling(num_frames=2, span=0.5).to_dict()["span"] == 0.5
    for bad in (
        dict(num_frames=None, fps=2.0, span=0.5),
        dict(num_frames=8, window=4, span=0.5),
        dict(num_frames=2, span=0.0),
    ):
        with pytest.raises(ValueError, match="span"):
            FrameSampling(**bad)


def test_one_sampling_config_for_scorers_and_models():
    """FrameSampling serves both samplers; the scorers' old SamplingConfig still works, deprecated, and records the
    same setting (score caches and cards keep their keys)."""
    from s2i_hf.video import SamplingConfig

    with pytest.warns(DeprecationWarning, match="FrameSampling.windows"):
        old = SamplingConfig(num_frames=16, window=4)
    assert old == FrameSampling.windows(num_frames=16, window=4) == FrameSampling(num_frames=16, window=4)
    assert old.to_dict() == {"num_frames": 16, "fps": None, "window": 4, "max_side": None}
    assert FrameSampling().to_dict() == {"num_frames": 8, "fps": None, "max_pixels": None, "max_frames": 64}
    with pytest.raises(ValueError, match="window must be >= 2"):
        load_clip(b"not read", FrameSampling(num_frames=8))
    with pytest.raises(ValueError, match="max_pixels"):
        FrameSampling(num_frames=8, window=4, max_pixels=4096)


def test_both_samplers_share_one_decode_path(sample_clips, bad_videos):
    """The scorers' windows and the models' evenly spread frames come from one decoder: the same pixels at the
    same source frames, the same reasons for a bad video, and a decoder object works for both."""
    import torch
    from torchcodec.decoders import VideoDecoder

    from s2i_hf.frames import sample_frames

    path = sample_clips["carphone_pristine"]  # 120 frames of 176x144: all of them in one window
    clip = load_clip(path, FrameSampling.windows(num_frames=120, window=120))
    assert clip.indices.tolist() == list(range(120))
    frames, md = sample_frames(path, FrameSampling(num_frames=8))
    assert frames.shape == (8, 3, 144, 176) and md["total_num_frames"] == clip.num_frames and md["fps"] == clip.fps
    assert torch.equal(frames, torch.from_numpy(clip.frames[md["frames_indices"]]).permute(0, 3, 1, 2))
    for order in ("NHWC", "NCHW"):
        again, _ = sample_frames(VideoDecoder(path, dimension_order=order), FrameSampling(num_frames=8))
        assert torch.equal(again, frames), order
    for kind, reason in (("zero_bytes", "empty"), ("truncated", "not a decodable video")):
        with pytest.raises(VideoError, match=reason):
            sample_frames(bad_videos[kind], FrameSampling(num_frames=4))
    with pytest.raises(VideoError, match="does not exist"):
        sample_frames("/no/such/video.mp4", FrameSampling(num_frames=4))


def test_jittered_fragments_are_drawn_inside_their_cells_at_one_place_in_every_frame():
    """With an rng each fragment is cut at a random place wholly inside its grid cell, the same in every frame;
    the places vary from draw to draw and a seed repeats them. The frame's pixels hold their own coordinates, so
    each patch says where it was cut."""
    import numpy as np
    import torch

    from s2i_hf.frames import fragment_mosaic

    h, w, grid, size = 150, 200, 3, 32
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    frame = torch.stack([ys, xs, torch.zeros_like(ys)]).to(torch.uint8)
    frames = torch.stack([frame, frame + torch.tensor([0, 0, 7], dtype=torch.uint8)[:, None, None]])
    places = {}
    rng = np.random.default_rng(0)
    for _ in range(40):
        mosaic = fragment_mosaic(frames, grid, size, rng=rng)
        for i in range(grid):
            for j in range(grid):
                patch = mosaic[:, :, i * size : (i + 1) * size, j * size : (j + 1) * size]
                y, x = int(patch[0, 0, 0, 0]), int(patch[0, 1, 0, 0])
                assert torch.equal(patch, frames[:, :, y : y + size, x : x + size])  # one place, both frames
                cell_y, cell_x = (i * h / grid, (i + 1) * h / grid), (j * w / grid, (j + 1) * w / grid)
                assert cell_y[0] - 0.5 <= y and y + size <= cell_y[1] + 0.5, (i, j, y)
                assert cell_x[0] - 0.5 <= x and x + size <= cell_x[1] + 0.5, (i, j, x)
                places.setdefault((i, j), set()).add((y, x))
    assert min(len(p) for p in places.values()) >= 20  # 40 draws over cells with 19 x 35 places each
    one, two = (fragment_mosaic(frames, grid, size, rng=np.random.default_rng(5)) for _ in range(2))
    assert torch.equal(one, two)
    # without an rng: the centres, as before
    centred = fragment_mosaic(frames, grid, size)
    assert [int(centred[0, 0, 0, 0]), int(centred[0, 1, 0, 0])] == [round(h / 6 - 16), round(w / 6 - 16)]


def test_fragments_are_native_resolution_patches_one_per_grid_cell(sample_clips):
    """Each patch of the mosaic is found, pixel for pixel, in the whole decoded frame, once, inside its own grid
    cell and at the same place in every frame; the setting is validated and recorded."""
    import torch

    from s2i_hf.frames import sample_frames

    path = sample_clips["carphone_pristine"]  # 176 x 144
    whole, _ = sample_frames(path, FrameSampling(num_frames=2))
    grid, size = 3, 24
    mosaic, md = sample_frames(path, FrameSampling(num_frames=2, fragments=grid, fragment_size=size))
    assert mosaic.shape == (2, 3, grid * size, grid * size) and (md["height"], md["width"]) == (72, 72)
    h, w = whole.shape[-2:]
    for i in range(grid):
        for j in range(grid):
            patch = mosaic[:, :, i * size : (i + 1) * size, j * size : (j + 1) * size]
            found = [
                (y, x)
                for y in range(h - size + 1)
                for x in range(w - size + 1)
                if torch.equal(whole[:, :, y : y + size, x : x + size], patch)
            ]
            assert len(found) == 1, (i, j, found)
            (y, x), (cy, cx) = found[0], (found[0][0] + size / 2, found[0][1] + size / 2)
            assert i * h / grid <= cy < (i + 1) * h / grid and j * w / grid <= cx < (j + 1) * w / grid, (i, j, y, x)
    # a frame smaller than one fragment is enlarged to hold it; max_pixels then caps the mosaic
    big, _ = sample_frames(path, FrameSampling(num_frames=1, fragments=2, fragment_size=160))
    assert big.shape == (1, 3, 320, 320)
    capped, md = sample_frames(path, FrameSampling(num_frames=1, fragments=2, fragment_size=160, max_pixels=160 * 160))
    assert capped.shape == (1, 3, 160, 160) and md["height"] == 160
    s = FrameSampling(num_frames=2, fragments=grid, fragment_size=size)
    assert s.to_dict() == {
        "num_frames": 2,
        "fps": None,
        "max_pixels": None,
        "max_frames": 64,
        "fragments": 3,
        "fragment_size": 24,
    }
    for bad, match in (
        (dict(fragments=0), "at least 1 cell"),
        (dict(fragments=2, fragment_size=4), "at least 8 pixels"),
        (dict(fragments=2, window=4), "single frames"),
    ):
        with pytest.raises(ValueError, match=match):
            FrameSampling(num_frames=8, **bad)


def test_write_video_file_once(tmp_path, sample_clips):
    from s2i_hf.video import write_video_file

    with open(sample_clips["carphone_pristine"], "rb") as fh:
        data = fh.read()
    path = write_video_file(data, tmp_path / "staged", "abc123", name="clips/Carphone.MOV")
    assert path == str(tmp_path / "staged" / "abc123.mov") and open(path, "rb").read() == data
    before = os.stat(path).st_mtime_ns
    assert write_video_file(data, tmp_path / "staged", "abc123", name="clips/Carphone.MOV") == path
    assert os.stat(path).st_mtime_ns == before  # written once
    assert write_video_file(data, tmp_path / "staged", "abc123", name="video.bin").endswith("abc123.mp4")
    assert write_video_file(data, tmp_path / "staged", "x").endswith("x.mp4")
    with open(path, "wb") as fh:  # a short file left by a crash is replaced
        fh.write(data[:10])
    assert open(write_video_file(data, tmp_path / "staged", "abc123", name="a.mov"), "rb").read() == data
    assert sorted(os.listdir(tmp_path / "staged")) == ["abc123.mov", "abc123.mp4", "x.mp4"]  # no temporary files
    assert load_clip(path).num_frames > 2
