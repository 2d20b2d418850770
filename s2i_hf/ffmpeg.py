"""The one place the package runs FFmpeg's command-line tools (``ffmpeg``, ``ffprobe``).

Clip generation (:mod:`s2i_hf.distortions`, :mod:`s2i_hf.real_content`), the tests' fixtures and the benchmarks all
call :func:`ffmpeg` / :func:`ffprobe` (:func:`encode_frames` for frames made in memory); a failure raises
:class:`FFmpegError` naming the command and the tail of the tool's stderr. The tools (Debian/Ubuntu: ``apt-get
install ffmpeg``) must be on the ``PATH``, or ``exe`` names another binary (e.g. the ``imageio-ffmpeg`` wheel's,
which carries libvmaf).
"""

from __future__ import annotations

import platform
import shlex
import shutil
import subprocess
from collections.abc import Sequence


__all__ = ["FFmpegError", "encode_frames", "ffmpeg", "ffprobe", "pinned_encoder", "run_tool"]

# x264's assembly set for every encode of the package: the SSE2 routines, which every x86-64 CPU has and which give the
# same bytes as x264's plain C (measured); elsewhere the C code itself. x264 otherwise picks its routines from the
# instruction sets it detects, and its SSSE3-and-up routines are not bit-exact: on one VM whose detected sets changed
# during the day, the same photograph clip came out as three different files (one of them is x264's AVX-512 output).
_X264_ASM = "SSE2" if platform.machine().lower() in ("x86_64", "amd64") else "0"


def pinned_encoder(options: Sequence[str]) -> list[str]:
    """Encoder output options ``options`` (``-c:v libx264 -crf ...``) made to give the same bytes on every machine.

    Adds ``-threads 1`` (left to itself, an encoder picks its thread count from the CPUs in the process's affinity
    mask, which torch and OpenMP can narrow, and x264, x265 and libvpx write other bytes with other counts) and, for
    x264, a fixed assembly set (``-x264-params asm=SSE2``, merged into the options' own ``-x264-params``: theirs win).
    Every encode of the package goes through here; clips are encoded several at a time instead of on several threads.
    """
    out = list(options)
    if "libx264" in out:
        if "-x264-params" in out:
            i = out.index("-x264-params") + 1
            out[i] = f"asm={_X264_ASM}:{out[i]}"
        else:
            out += ["-x264-params", f"asm={_X264_ASM}"]
    return [*out, "-threads", "1"]


_TAIL = 1500  # characters of stderr an error keeps


class FFmpegError(RuntimeError):
    """An ffmpeg/ffprobe run that failed: ``cmd`` (argv), ``returncode`` and ``stderr``."""

    def __init__(self, cmd: list[str], returncode: int, stderr: str):
        self.cmd, self.returncode, self.stderr = cmd, returncode, stderr
        tail = stderr.strip()[-_TAIL:]
        super().__init__(f"{shlex.join(cmd)} failed (exit {returncode}): {tail or '(no output on stderr)'}")


def run_tool(
    tool: str, args: list[str], exe: str | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess:
    """Run ``tool`` (found on the ``PATH`` unless ``exe`` is given) with ``args``; text stdout/stderr captured (bytes
    when ``input`` bytes are fed to its stdin).

    Raises :class:`FFmpegError` when it exits non-zero and :class:`RuntimeError` when it is not installed."""
    path = exe or shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is needed (Debian/Ubuntu: apt-get install ffmpeg)")
    cmd = [path, *args]
    if input is None:
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    else:
        proc = subprocess.run(cmd, capture_output=True, input=input)
    if proc.returncode != 0:
        stderr = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode(errors="replace")
        raise FFmpegError(cmd, proc.returncode, stderr)
    return proc


def ffmpeg(
    *args: str, exe: str | None = None, loglevel: str = "error", input: bytes | None = None
) -> subprocess.CompletedProcess:
    """``ffmpeg -hide_banner -loglevel LOGLEVEL -nostdin -y -cpuflags 0 -threads 1 ARGS``: outputs are overwritten,
    only ``loglevel`` messages reach stderr (``"info"`` keeps the summaries that filters such as psnr/ssim print).

    ``-cpuflags 0`` runs FFmpeg's own filters and scalers on their plain C code: their SIMD versions (SSE, AVX2,
    AVX-512) round differently, so the same recipe gave other pixels on a machine, or at a moment, where another
    instruction set was detected (lanczos scaling of the demo's photographs did). The encoders keep their own SIMD,
    which ``-cpuflags`` does not reach (:func:`pinned_encoder` pins x264's). The ``-threads 1`` here is the first
    input's decoder; an output's encoder takes its own (:func:`pinned_encoder`)."""
    head = ["-hide_banner", "-loglevel", loglevel, "-nostdin", "-y", "-cpuflags", "0", "-threads", "1"]
    return run_tool("ffmpeg", [*head, *args], exe, input)


def encode_frames(
    frames, out: str, options: Sequence[str], fps: float = 25.0, pix_fmt: str = "rgb24", exe: str | None = None
) -> None:
    """Encode raw RGB frames into ``out`` with the output ``options`` (filters, encoder, tags; see
    :func:`pinned_encoder`), through :func:`ffmpeg`: ``frames`` is a (T, H, W, 3) array of uint8 for ``rgb24`` or of
    little-endian uint16 for ``rgb48le``, fed to FFmpeg's stdin."""
    _, h, w, _ = frames.shape
    raw = ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "-"]
    ffmpeg(*raw, *options, out, exe=exe, input=frames.tobytes())


def ffprobe(*args: str, exe: str | None = None) -> str:
    """``ffprobe -v error ARGS``; returns its stdout, stripped."""
    return run_tool("ffprobe", ["-v", "error", *args], exe).stdout.strip()
