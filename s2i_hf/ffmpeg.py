"""The one place the package runs FFmpeg's command-line tools (``ffmpeg``, ``ffprobe``).

Clip generation (:mod:`s2i_hf.distortions`, :mod:`s2i_hf.real_content`), the tests' fixtures and the benchmarks all
call :func:`ffmpeg` / :func:`ffprobe`; a failure raises :class:`FFmpegError` naming the command and the tail of
the tool's stderr. The tools (Debian/Ubuntu: ``apt-get install ffmpeg``) must be on the ``PATH``, or ``exe`` names
another binary (e.g. the ``imageio-ffmpeg`` wheel's, which carries libvmaf).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess


__all__ = ["ENCODER_THREADS", "FFmpegError", "ffmpeg", "ffprobe", "run_tool"]

# Output options every encode of the package ends with. Left to itself, an encoder picks its thread count from the
# CPUs the process may run on (its affinity mask, which torch and OpenMP can narrow), and x264, x265 and libvpx
# write other bytes with other thread counts: the same clip came out different between two runs of the demo. One
# thread makes a clip depend only on its recipe (clips are encoded several at a time instead).
ENCODER_THREADS: tuple[str, ...] = ("-threads", "1")

_TAIL = 1500  # characters of stderr an error keeps


class FFmpegError(RuntimeError):
    """An ffmpeg/ffprobe run that failed: ``cmd`` (argv), ``returncode`` and ``stderr``."""

    def __init__(self, cmd: list[str], returncode: int, stderr: str):
        self.cmd, self.returncode, self.stderr = cmd, returncode, stderr
        tail = stderr.strip()[-_TAIL:]
        super().__init__(f"{shlex.join(cmd)} failed (exit {returncode}): {tail or '(no output on stderr)'}")


def run_tool(tool: str, args: list[str], exe: str | None = None) -> subprocess.CompletedProcess:
    """Run ``tool`` (found on the ``PATH`` unless ``exe`` is given) with ``args``; text stdout/stderr captured.

    Raises :class:`FFmpegError` when it exits non-zero and :class:`RuntimeError` when it is not installed."""
    path = exe or shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is needed (Debian/Ubuntu: apt-get install ffmpeg)")
    cmd = [path, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, proc.stderr)
    return proc


def ffmpeg(*args: str, exe: str | None = None, loglevel: str = "error") -> subprocess.CompletedProcess:
    """``ffmpeg -hide_banner -loglevel LOGLEVEL -nostdin -y -cpuflags 0 -threads 1 ARGS``: outputs are overwritten,
    only ``loglevel`` messages reach stderr (``"info"`` keeps the summaries that filters such as psnr/ssim print).

    ``-cpuflags 0`` runs FFmpeg's own filters and scalers on their plain C code: their SIMD versions (SSE, AVX2,
    AVX-512) round differently, so the same recipe gave other pixels on a machine, or at a moment, where another
    instruction set was detected (lanczos scaling of the demo's photographs did). The encoders keep their own SIMD,
    which ``-cpuflags`` does not reach; x264's is not bit-exact either (``-x264-params asm=0`` gives other pixels),
    so a clip can still change where x264 sees other instruction sets. The ``-threads 1`` here is the first
    input's decoder; an output's encoder takes its own (put :data:`ENCODER_THREADS` after its codec options)."""
    head = ["-hide_banner", "-loglevel", loglevel, "-nostdin", "-y", "-cpuflags", "0", "-threads", "1"]
    return run_tool("ffmpeg", [*head, *args], exe)


def ffprobe(*args: str, exe: str | None = None) -> str:
    """``ffprobe -v error ARGS``; returns its stdout, stripped."""
    return run_tool("ffprobe", ["-v", "error", *args], exe).stdout.strip()
