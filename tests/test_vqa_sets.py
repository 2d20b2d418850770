"""Standard VQA sets: a synthetic label file in each official format, with generated clips, is read correctly;
missing and unlabelled videos are reported by name; allow_missing goes on and records the counts."""

import csv
import json
import os
import shutil

import numpy as np
import pytest
from conftest import ffmpeg

from s2i_hf.eval_suite.vqa_sets import VQASetError, load_manifest, read_vqa_set, vqa_set_names


MOS = [1.8, 3.4, 4.2]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("clip") / "clip.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.5", "-pix_fmt", "yuv420p", "-c:v", "libx264", path
    )
    return path


def _place(clip, folder, rel):
    path = os.path.join(folder, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy(clip, path)
    return path


def _check(vset, folder, rels):
    assert [os.path.relpath(v.path, folder).replace(os.sep, "/") for v in vset.videos] == rels
    assert vset.mos == pytest.approx(MOS)
    assert all(os.path.isfile(p) for p in vset.paths) and vset.missing == []


def test_manifest_lists_the_standard_sets_with_release_sizes():
    m = load_manifest()
    assert vqa_set_names() == ["konvid_1k", "live_vqc", "lsvq_test", "lsvq_1080p", "maxwell_val"]
    assert m["konvid_1k"]["expected"] == [1200] and m["live_vqc"]["expected"] == [585]
    assert m["lsvq_test"]["expected"] == [7182, 7186] and m["lsvq_1080p"]["expected"] == [3573]
    assert m["maxwell_val"]["expected"] == [909]


def test_konvid_attributes_csv(tmp_path, clip):
    ids = ["3337642103", "5891829402", "7026513015"]
    rels = [f"{i}.mp4" for i in ids]
    for r in rels:
        _place(clip, tmp_path, r)
    with open(tmp_path / "KoNViD_1k_attributes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["flickr_id", "MOS", "SD", "n", "MOS_zscore"])
        for i, m in zip(ids, MOS):
            w.writerow([i, m, 0.6, 110, 0.1])
    vset = read_vqa_set("konvid_1k", str(tmp_path), expected=3)
    _check(vset, tmp_path, rels)
    assert vset.labels_kind == "csv" and vset.title == "KoNViD-1k" and vset.extra == []
    # the release has 1200: a 3-row file is refused by default, with the count in the message
    with pytest.raises(VQASetError, match="3 labelled videos, but KoNViD-1k has 1200"):
        read_vqa_set("konvid_1k", str(tmp_path))
    partial = read_vqa_set("konvid_1k", str(tmp_path), allow_missing=True)
    assert len(partial) == 3 and partial.summary()["n_labels"] == 3 and partial.summary()["expected"] == [1200]


def test_live_vqc_data_mat_with_videos_in_a_subfolder(tmp_path, clip):
    from scipy import io as sio

    names = ["A001.mp4", "B107.mp4", "G088.mp4"]
    for n in names:
        _place(clip, tmp_path, f"Video/{n}")
    cell = np.empty((3, 1), dtype=object)
    for i, n in enumerate(names):
        cell[i, 0] = np.array([n])
    sio.savemat(str(tmp_path / "data.mat"), {"video_list": cell, "mos": np.array(MOS).reshape(-1, 1)})
    vset = read_vqa_set("live_vqc", str(tmp_path), expected=3)
    _check(vset, tmp_path, [f"Video/{n}" for n in names])
    assert vset.labels_kind == "mat"


def test_live_vqc_fastvqa_labels_txt(tmp_path, clip):
    names = ["A001.mp4", "B107.mp4", "G088.mp4"]
    for n in names:
        _place(clip, tmp_path, f"Video/{n}")
    (tmp_path / "labels.txt").write_text("".join(f"Video/{n}, 10.01, 29.97, {m}\n" for n, m in zip(names, MOS)))
    vset = read_vqa_set("live_vqc", str(tmp_path), expected=3)
    _check(vset, tmp_path, [f"Video/{n}" for n in names])
    assert vset.labels_kind == "labels_txt"


LSVQ_COLUMNS = [
    "name",
    "p1",
    "p2",
    "p3",
    "height",
    "width",
    "mos_p1",
    "mos_p2",
    "mos_p3",
    "mos",
    "frame_number",
    "fn_last_frame",
]


def _lsvq_csv(path, names):
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:  # the release's files start with a BOM
        w = csv.writer(fh)
        w.writerow(LSVQ_COLUMNS)
        for n, m in zip(names, MOS):
            w.writerow([n, 1, 2, 3, 540, 960, m, m, m, m * 20, 150, 149])


def test_lsvq_test_csv_names_with_batch_folders(tmp_path, clip):
    names = ["yfcc-batch1/1234", "ia-batch3/5678", "yfcc-batch7/42"]
    for n in names:
        _place(clip, tmp_path, n + ".mp4")
    _place(clip, tmp_path, "yfcc-batch1/9999.mp4")  # a training video in the same folders
    _lsvq_csv(tmp_path / "LSVQ_whole_test.csv", names)
    vset = read_vqa_set("lsvq_test", str(tmp_path), expected=3)
    assert [os.path.relpath(v.path, tmp_path) for v in vset.videos] == [n + ".mp4" for n in names]
    assert vset.mos == pytest.approx([m * 20 for m in MOS])  # the 'mos' column, not the patch MOS
    # LSVQ's test videos share folders with its training videos: counted, not an error
    assert vset.extra == ["yfcc-batch1/9999.mp4"] and vset.summary()["n_extra"] == 1


def test_lsvq_1080p_labels_in_the_parent_folder(tmp_path, clip):
    names = ["ia-batch1/a", "ia-batch1/b", "ia-batch2/c"]
    videos = tmp_path / "videos"
    for n in names:
        _place(clip, videos, n + ".mp4")
    _lsvq_csv(tmp_path / "LSVQ_whole_test_1080p.csv", names)
    vset = read_vqa_set("lsvq_1080p", str(videos), expected=[3])
    assert [os.path.relpath(v.path, videos) for v in vset.videos] == [n + ".mp4" for n in names]
    assert vset.labels_file == str(tmp_path / "LSVQ_whole_test_1080p.csv")


def test_maxwell_val_csv_with_name_list(tmp_path, clip):
    names = ["0001.mp4", "0002.mp4", "0003.mp4"]
    for n in names:
        _place(clip, tmp_path, n)
    cols = [
        "O",
        "A-1",
        "A-2",
        "A-3",
        "A-4",
        "A-5",
        "A-all",
        "T-1",
        "T-2",
        "T-3",
        "T-4",
        "T-5",
        "T-6",
        "T-7",
        "T-8",
        "T-all",
    ]
    with open(tmp_path / "MaxWell_val.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for m in MOS:
            w.writerow([m] + [0.1] * 5 + [3.0] + [-0.2] * 8 + [2.5])
    (tmp_path / "val_labels.txt").write_text("".join(f"{n}, 0, 0\n" for n in names))
    vset = read_vqa_set("maxwell_val", str(tmp_path), expected=3)
    _check(vset, tmp_path, names)
    assert vset.labels_kind == "maxwell"


def test_custom_set_from_a_json_label_file(tmp_path, clip):
    names = ["x.mp4", "y.mp4", "z.mp4"]
    for n in names:
        _place(clip, tmp_path / "v", n)
    labels = tmp_path / "test.json"
    labels.write_text(json.dumps([{"img_path": n, "gt_score": m} for n, m in zip(names, MOS)]))
    vset = read_vqa_set("my_set", str(tmp_path / "v"), labels=str(labels))
    _check(vset, tmp_path / "v", names)
    with pytest.raises(ValueError, match="unknown VQA set 'my_set'"):
        read_vqa_set("my_set", str(tmp_path / "v"))


def test_missing_and_extra_videos_are_named(tmp_path, clip):
    ids = ["111", "222", "333"]
    for i in ids[:2]:
        _place(clip, tmp_path, f"{i}.mp4")
    _place(clip, tmp_path, "stray_video.mp4")
    with open(tmp_path / "KoNViD_1k_attributes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["flickr_id", "MOS"])
        for i, m in zip(ids, MOS):
            w.writerow([i, m])
    with pytest.raises(VQASetError) as err:
        read_vqa_set("konvid_1k", str(tmp_path), expected=3)
    msg = str(err.value)
    assert "1 of 3 labelled videos of KoNViD-1k are missing: 333" in msg
    assert (
        "1 videos in the folder have no label in KoNViD_1k_attributes.csv: stray_video.mp4" in msg
        and "--allow-missing" in msg
    )
    vset = read_vqa_set("konvid_1k", str(tmp_path), expected=3, allow_missing=True)
    assert len(vset) == 2 and vset.missing == ["333"] and vset.extra == ["stray_video.mp4"]
    assert vset.mos == pytest.approx(MOS[:2])
    s = vset.summary()
    assert s["n_missing"] == 1 and s["missing"] == ["333"] and s["n_extra"] == 1


def test_bad_label_files_fail_with_file_and_reason(tmp_path, clip):
    _place(clip, tmp_path, "1.mp4")
    (tmp_path / "KoNViD_1k_attributes.csv").write_text("flickr_id,MOS\n1,not-a-number\n")
    with pytest.raises(ValueError, match=r"KoNViD_1k_attributes\.csv:2: MOS 'not-a-number' is not a number"):
        read_vqa_set("konvid_1k", str(tmp_path), expected=1)
    (tmp_path / "KoNViD_1k_attributes.csv").write_text("id,score\n1,3.0\n")
    with pytest.raises(ValueError, match=r"KoNViD_1k_attributes\.csv: expected a name column \(flickr_id\)"):
        read_vqa_set("konvid_1k", str(tmp_path), expected=1)
    os.remove(tmp_path / "KoNViD_1k_attributes.csv")
    with pytest.raises(FileNotFoundError, match="no label file of KoNViD-1k"):
        read_vqa_set("konvid_1k", str(tmp_path))
