"""A small in-memory Hub for tests: the part of the Hugging Face Hub HTTP API that ``huggingface_hub`` 2.x,
``datasets`` and ``transformers`` use to create repos, commit files and read them back.

It runs on 127.0.0.1 in a background thread (stdlib ``http.server``; nothing leaves the machine)::

    from s2i_hf.testing import HubServer

    with HubServer() as hub, hub.activate(cache_dir=tmp):   # HF stack pointed at the server, online, no Xet
        HfApi().create_repo("me/data", repo_type="dataset")
        ...
        hub.files("me/data", "dataset")                     # {path: bytes} at the head of main

What it speaks (the calls the client makes, read from huggingface_hub's source):

- ``POST /api/repos/create`` (409 when the repo exists), ``GET /api/{type}s/{repo}[/revision/{rev}]`` (repo
  info with ``sha`` and ``siblings``), ``GET .../refs``, ``POST .../branch/{name}``;
- ``POST .../preupload/{rev}`` (``regular`` or ``lfs`` per file, with the remote oid so unchanged files are
  skipped), the LFS batch API ``POST /{prefix}{repo}.git/info/lfs/objects/batch`` with ``basic`` transfer,
  ``PUT`` of the object and a verify call, and ``POST .../commit/{rev}`` (ndjson: header, file, lfsFile,
  deletedFile, deletedFolder; ``create_pr=1`` opens ``refs/pr/N``);
- ``HEAD``/``GET /{prefix}{repo}/resolve/{rev}/{path}`` with ``X-Repo-Commit``, ``ETag`` (git blob oid, or
  ``X-Linked-Etag``/``X-Linked-Size`` = sha256/size for LFS files), ``Content-Length`` and ``Range`` support;
  errors carry ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) as on the Hub;
- ``GET .../tree/{rev}[/{path}]`` (``recursive``, paginated with a ``Link`` header), ``POST
  .../paths-info/{rev}``, ``POST /api/validate-yaml`` (front matter must be a YAML mapping),
  ``GET /api/whoami-v2``.

Writes need an ``Authorization: Bearer`` header (any token); the server records which requests carried one
but never stores the token. Requests it does not know get a 404 and are listed in :attr:`HubServer.unhandled`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit


__all__ = ["HubServer"]

_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_LFS_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".parquet",
    ".arrow",
    ".png",
    ".jpg",
    ".jpeg",
    ".mp4",
    ".npz",
    ".npy",
    ".h5",
    ".onnx",
    ".gguf",
    ".zip",
    ".tar",
    ".gz",
    ".model",
)
_GITATTRIBUTES = "".join(f"*{s} filter=lfs diff=lfs merge=lfs -text\n" for s in _LFS_SUFFIXES).encode()
_PAGE_SIZE = 50


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _File:
    sha256: str
    size: int
    git_oid: str
    lfs: bool

    def entry(self, path: str) -> dict:
        out = {"type": "file", "path": path, "size": self.size, "oid": self.git_oid}
        if self.lfs:
            pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize {self.size}\n"
            out["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": len(pointer)}
        return out


@dataclass
class _Commit:
    oid: str
    parent: str | None
    files: dict[str, _File]
    title: str
    date: str


@dataclass
class _Repo:
    repo_type: str
    repo_id: str
    private: bool
    refs: dict[str, str] = field(default_factory=dict)  # branch or refs/pr/N -> commit oid
    commits: dict[str, _Commit] = field(default_factory=dict)
    created_at: str = field(default_factory=_now)
    prs: int = 0


class _HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, commit: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.commit = status, message, code, commit


class HubServer:
    """An in-memory Hub on ``http://127.0.0.1:<port>`` (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, user: str = "tester"):
        self.user = user
        self.repos: dict[tuple[str, str], _Repo] = {}
        self.blobs: dict[str, bytes] = {}  # sha256 -> content
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, authorized)
        self.unhandled: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="s2i-hub-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @contextlib.contextmanager
    def activate(self, cache_dir: str | None = None):
        """Point huggingface_hub, datasets, transformers and peft at this server for the ``with`` block.

        Switches the offline flags off (module constants and environment), disables Xet uploads, sets the Hub
        cache to ``cache_dir`` (when given) and restores everything afterwards.
        """
        import huggingface_hub.constants as hc
        from huggingface_hub import hf_api
        from huggingface_hub.utils import _http

        saved_env = {
            k: os.environ.get(k)
            for k in (
                "HF_ENDPOINT",
                "HF_HUB_OFFLINE",
                "HF_DATASETS_OFFLINE",
                "TRANSFORMERS_OFFLINE",
                "HF_HUB_DISABLE_XET",
                "HF_HUB_CACHE",
            )
        }
        os.environ.update(
            {
                "HF_ENDPOINT": self.url,
                "HF_HUB_OFFLINE": "0",
                "HF_DATASETS_OFFLINE": "0",
                "TRANSFORMERS_OFFLINE": "0",
                "HF_HUB_DISABLE_XET": "1",
            }
        )
        if cache_dir is not None:
            os.environ["HF_HUB_CACHE"] = cache_dir
        patches = [
            (hc, "ENDPOINT", self.url),
            (hc, "HUGGINGFACE_CO_URL_TEMPLATE", self.url + "/{repo_id}/resolve/{revision}/{filename}"),
            (hc, "HF_URL_HOSTS", frozenset(hc.HF_URL_HOSTS | {urlsplit(self.url).hostname})),
            (hc, "HF_HUB_OFFLINE", False),
            (hc, "HF_HUB_DISABLE_XET", True),
            (hf_api.api, "endpoint", self.url),
        ]
        if cache_dir is not None:
            patches.append((hc, "HF_HUB_CACHE", cache_dir))
        try:
            import datasets.config as dc

            patches += [
                (dc, "HF_ENDPOINT", self.url),
                (dc, "HUB_DATASETS_URL", self.url + "/datasets/{repo_id}/resolve/{revision}/{path}"),
                (dc, "HF_HUB_OFFLINE", False),
                (dc, "HF_DATASETS_OFFLINE", False),
                (dc, "HF_UPDATE_DOWNLOAD_COUNTS", False),
            ]
        except ImportError:
            pass
        saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
        for obj, name, value in patches:
            setattr(obj, name, value)
        _http.close_session()
        try:
            yield self
        finally:
            for obj, name, value in reversed(saved):
                setattr(obj, name, value)
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            _http.close_session()

    # --- inspection (for tests) ------------------------------------------------------------------------
    def repo(self, repo_id: str, repo_type: str = "model") -> _Repo:
        return self.repos[(repo_type, repo_id)]

    def files(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> dict[str, bytes]:
        """``{path: content}`` of a repo at a branch, ``refs/pr/N`` or commit."""
        with self._lock:
            commit = self._resolve(self.repo(repo_id, repo_type), revision)
            return {p: self.blobs[f.sha256] for p, f in commit.files.items()}

    def lfs_paths(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> set[str]:
        with self._lock:
            commit = self._resolve(self.repo(repo_id, repo_type), revision)
            return {p for p, f in commit.files.items() if f.lfs}

    # --- state changes ---------------------------------------------------------------------------------
    def _resolve(self, repo: _Repo, revision: str) -> _Commit:
        revision = unquote(revision)
        if revision in repo.refs:
            return repo.commits[repo.refs[revision]]
        if revision in repo.commits:
            return repo.commits[revision]
        raise _HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _store(self, data: bytes, lfs: bool) -> _File:
        sha = hashlib.sha256(data).hexdigest()
        self.blobs.setdefault(sha, data)
        return _File(sha256=sha, size=len(data), git_oid=_git_oid(data), lfs=lfs)

    def _commit(self, repo: _Repo, branch: str, files: dict[str, _File], title: str, parent: str | None) -> _Commit:
        seed = f"{repo.repo_id}\0{branch}\0{title}\0{parent}\0{time.time_ns()}\0" + "".join(
            f"{p}:{f.git_oid}" for p, f in sorted(files.items())
        )
        oid = hashlib.sha1(seed.encode()).hexdigest()
        commit = _Commit(oid=oid, parent=parent, files=files, title=title, date=_now())
        repo.commits[oid] = commit
        repo.refs[branch] = oid
        return commit

    def create_repo(self, repo_type: str, repo_id: str, private: bool = False) -> _Repo:
        with self._lock:
            if (repo_type, repo_id) in self.repos:
                raise _HubError(409, f"You already created this {repo_type} repo")
            repo = _Repo(repo_type=repo_type, repo_id=repo_id, private=private)
            self._commit(
                repo, "main", {".gitattributes": self._store(_GITATTRIBUTES, lfs=False)}, "initial commit", None
            )
            self.repos[(repo_type, repo_id)] = repo
            return repo

    # --- request handling ------------------------------------------------------------------------------
    def _upload_mode(self, path: str, size: int, sample: bytes) -> str:
        if size >= 10 * 1024 * 1024 or path.lower().endswith(_LFS_SUFFIXES) or b"\0" in sample:
            return "lfs"
        return "regular"

    def _repo_url(self, repo: _Repo) -> str:
        return f"{self.url}/{_PREFIX[repo.repo_type]}{repo.repo_id}"

    def _info(self, repo: _Repo, revision: str) -> dict:
        commit = self._resolve(repo, revision)
        info = {
            "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.oid,
            "lastModified": commit.date,
            "createdAt": repo.created_at,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": [{"rfilename": p} for p in sorted(commit.files)],
        }
        card = self._card_data(commit)
        if card is not None:
            info["cardData"] = card
            info["tags"] = list(card.get("tags") or [])
            if repo.repo_type == "model" and card.get("model-index"):
                info["model-index"] = card["model-index"]
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
            if "config.json" in commit.files:
                with contextlib.suppress(ValueError):
                    info["config"] = json.loads(self.blobs[commit.files["config.json"].sha256])
        return info

    def _card_data(self, commit: _Commit) -> dict | None:
        readme = commit.files.get("README.md")
        if readme is None:
            return None
        try:
            return _front_matter(self.blobs[readme.sha256].decode("utf-8"))
        except ValueError:
            return None

    def _tree(self, commit: _Commit, path: str, recursive: bool) -> list[dict]:
        path = path.strip("/")
        prefix = path + "/" if path else ""
        if path and path in commit.files:
            raise _HubError(404, f"{path} is a file, not a folder", "EntryNotFound", commit.oid)
        entries: dict[str, dict] = {}
        for p, f in sorted(commit.files.items()):
            if not p.startswith(prefix):
                continue
            rest = p[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                folder = prefix + "/".join(rest[:depth])
                if folder not in entries and (recursive or depth == 1):
                    entries[folder] = {
                        "type": "directory",
                        "path": folder,
                        "oid": hashlib.sha1(folder.encode() + commit.oid.encode()).hexdigest(),
                    }
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                entries[p] = f.entry(p)
        if path and not entries:
            raise _HubError(404, f"{path} does not exist on this revision", "EntryNotFound", commit.oid)
        return [entries[k] for k in sorted(entries)]

    def _apply_commit(self, repo: _Repo, revision: str, lines: list[dict], create_pr: bool) -> dict:
        header = next((x["value"] for x in lines if x.get("key") == "header"), {})
        base = self._resolve(repo, revision)
        parent_commit = header.get("parentCommit")
        if parent_commit and parent_commit != base.oid:
            raise _HubError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(base.files)
        for line in lines:
            key, value = line.get("key"), line.get("value", {})
            if key == "file":
                data = (
                    base64.b64decode(value["content"])
                    if value.get("encoding") == "base64"
                    else value["content"].encode()
                )
                files[value["path"]] = self._store(data, lfs=False)
            elif key == "lfsFile":
                oid = value["oid"]
                if oid not in self.blobs:
                    raise _HubError(400, f"LFS object {oid} of {value['path']} was never uploaded")
                data = self.blobs[oid]
                files[value["path"]] = _File(sha256=oid, size=len(data), git_oid=_git_oid(data), lfs=True)
            elif key == "deletedFile":
                if value["path"] not in files:
                    raise _HubError(404, "A file with this name doesn't exist", "EntryNotFound", base.oid)
                del files[value["path"]]
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                for p in [p for p in files if p.startswith(folder)]:
                    del files[p]
        if "README.md" in files and files["README.md"] is not base.files.get("README.md"):
            _front_matter(self.blobs[files["README.md"].sha256].decode("utf-8"))  # invalid YAML -> 400
        if create_pr:
            repo.prs += 1
            branch = f"refs/pr/{repo.prs}"
        else:
            branch = unquote(revision)
            if branch not in repo.refs:
                raise _HubError(400, f"Cannot commit to {branch}: not a branch")
        commit = self._commit(repo, branch, files, header.get("summary", ""), base.oid)
        out = {
            "success": True,
            "commitOid": commit.oid,
            "commitUrl": f"{self._repo_url(repo)}/commit/{commit.oid}",
            "commitMessage": commit.title,
        }
        if create_pr:
            out["pullRequestUrl"] = f"{self._repo_url(repo)}/discussions/{repo.prs}"
        return out


def _front_matter(text: str) -> dict | None:
    """The YAML block at the top of a card (``None`` when there is none); ValueError when it is not a mapping."""
    import yaml

    match = re.match(r"^\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.DOTALL)
    if match is None:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise ValueError(f"invalid YAML in the metadata block: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("the metadata block must be a YAML mapping")
    return data


_API_REPO = re.compile(r"^/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(.*))?$")
_RESOLVE = re.compile(
    r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/(refs%2F(?:pr|convert)%2F[^/]+|refs/(?:pr|convert)/[^/]+|[^/]+)/(.+)$"
)
_LFS_BATCH = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)\.git/info/lfs/objects/batch$")


def _make_handler(hub: HubServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "s2i-hub-server"

        def log_message(self, *args):  # quiet
            pass

        # --- plumbing ---
        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(
            self, status: int, body: bytes = b"", headers: dict | None = None, content_type: str = "application/json"
        ):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            if headers is None or "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)

        def _json(self, data, status: int = 200, headers: dict | None = None):
            self._send(status, json.dumps(data).encode(), headers)

        def _error(self, err: _HubError):
            headers = {"X-Error-Message": err.message}
            if err.code:
                headers["X-Error-Code"] = err.code
            if err.commit:
                headers["X-Repo-Commit"] = err.commit
            self._json({"error": err.message}, err.status, headers)

        def _authorized(self) -> bool:
            return self.headers.get("Authorization", "").startswith("Bearer ")

        def _require_auth(self):
            if not self._authorized():
                raise _HubError(401, "Invalid credentials in Authorization header")

        def _repo(self, kind: str | None, repo_id: str) -> _Repo:
            repo_type = _TYPES[kind] if kind else "model"
            repo = hub.repos.get((repo_type, unquote(repo_id)))
            if repo is None:
                raise _HubError(404, "Repository not found", "RepoNotFound")
            return repo

        def _dispatch(self):
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            hub.requests.append((self.command, self.path, self._authorized()))
            try:
                with hub._lock:
                    if not self._route(path, query):
                        hub.unhandled.append((self.command, self.path))
                        self._json({"error": f"not served by the test hub: {self.command} {path}"}, 404)
            except _HubError as err:
                self._error(err)
            except (ValueError, KeyError) as err:
                self._error(_HubError(400, f"bad request: {err}"))

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = lambda self: self._dispatch()

        # --- routes ---
        def _route(self, path: str, query: dict) -> bool:
            method = self.command
            if method == "GET" and path == "/api/whoami-v2":
                if not self._authorized():
                    raise _HubError(401, "Invalid user token")
                self._json(
                    {
                        "type": "user",
                        "name": hub.user,
                        "fullname": hub.user,
                        "orgs": [],
                        "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}},
                    }
                )
                return True
            if method == "GET" and path == "/api/agent-harnesses":
                self._json({"standardEnvVars": [], "harnesses": {}})
                return True
            if method == "POST" and path == "/api/repos/create":
                self._require_auth()
                body = json.loads(self._body() or b"{}")
                repo_id = f"{body.get('organization') or hub.user}/{body['name']}"
                repo_type = body.get("type") or "model"
                try:
                    repo = hub.create_repo(
                        repo_type, repo_id, bool(body.get("private")) or body.get("visibility") == "private"
                    )
                except _HubError as err:
                    self._json({"error": err.message, "url": f"{hub.url}/{_PREFIX[repo_type]}{repo_id}"}, 409)
                    return True
                self._json({"url": hub._repo_url(repo), "name": repo_id, "id": repo_id})
                return True
            if method == "POST" and path == "/api/validate-yaml":
                body = json.loads(self._body() or b"{}")
                try:
                    _front_matter(body.get("content", ""))
                except ValueError as err:
                    self._json({"errors": [{"message": str(err)}], "warnings": []}, 400)
                    return True
                self._json({"errors": [], "warnings": []})
                return True
            if method == "PUT" and path.startswith("/lfs-upload/"):
                oid = path.rsplit("/", 1)[1]
                data = self._body()
                if hashlib.sha256(data).hexdigest() != oid:
                    raise _HubError(400, "uploaded content does not match its sha256")
                hub.blobs[oid] = data
                self._send(200, b"", {"ETag": f'"{oid}"'})
                return True
            if method == "POST" and path == "/lfs-verify":
                body = json.loads(self._body())
                if body["oid"] not in hub.blobs or len(hub.blobs[body["oid"]]) != body["size"]:
                    raise _HubError(404, "object not found")
                self._json({"success": True})
                return True
            m = _LFS_BATCH.match(path)
            if m and method == "POST":
                self._require_auth()
                self._repo(m.group(1), m.group(2))
                body = json.loads(self._body())
                objects = []
                for obj in body.get("objects", []):
                    item = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
                    if obj["oid"] not in hub.blobs:
                        item["actions"] = {
                            "upload": {"href": f"{hub.url}/lfs-upload/{obj['oid']}", "header": {}},
                            "verify": {"href": f"{hub.url}/lfs-verify", "header": {}},
                        }
                    objects.append(item)
                self._send(
                    200,
                    json.dumps({"transfer": "basic", "objects": objects}).encode(),
                    content_type="application/vnd.git-lfs+json",
                )
                return True
            m = _API_REPO.match(path)
            if m:
                return self._api_repo(m.group(1), m.group(2), m.group(3) or "", query)
            m = _RESOLVE.match(path)
            if m and method in ("GET", "HEAD"):
                self._resolve_file(m.group(1), m.group(2), m.group(3), unquote(m.group(4)))
                return True
            return False

        def _api_repo(self, kind: str, repo_id: str, rest: str, query: dict) -> bool:
            method = self.command
            repo = self._repo(kind, repo_id)
            if method == "GET" and (rest == "" or rest.startswith("revision/")):
                revision = unquote(rest[len("revision/") :]) if rest else "main"
                self._json(hub._info(repo, revision))
                return True
            if method == "GET" and rest == "refs":
                branches = [
                    {"name": n, "ref": f"refs/heads/{n}", "targetCommit": c}
                    for n, c in repo.refs.items()
                    if not n.startswith("refs/")
                ]
                prs = [
                    {"name": n, "ref": n, "targetCommit": c} for n, c in repo.refs.items() if n.startswith("refs/pr/")
                ]
                self._json(
                    {
                        "branches": branches,
                        "converts": [],
                        "tags": [],
                        **({"pullRequests": prs} if "include_prs" in query else {}),
                    }
                )
                return True
            if method == "POST" and rest.startswith("branch/"):
                self._require_auth()
                branch = unquote(rest[len("branch/") :])
                if branch in repo.refs:
                    raise _HubError(409, f"Reference refs/heads/{branch} already exists")
                body = json.loads(self._body() or b"{}")
                start = hub._resolve(repo, body.get("startingPoint") or "main")
                repo.refs[branch] = start.oid
                self._json({})
                return True
            if method == "POST" and rest.startswith("preupload/"):
                self._require_auth()
                commit = (
                    hub._resolve(repo, rest[len("preupload/") :])
                    if "create_pr" not in query
                    else hub._resolve(repo, "main")
                )
                body = json.loads(self._body())
                files = []
                for f in body.get("files", []):
                    mode = hub._upload_mode(f["path"], int(f["size"]), base64.b64decode(f.get("sample", "")))
                    remote = commit.files.get(f["path"])
                    oid = None if remote is None else (remote.sha256 if mode == "lfs" else remote.git_oid)
                    files.append({"path": f["path"], "uploadMode": mode, "shouldIgnore": False, "oid": oid})
                self._json({"files": files, "commitOid": commit.oid})
                return True
            if method == "POST" and rest.startswith("commit/"):
                self._require_auth()
                lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
                self._json(hub._apply_commit(repo, rest[len("commit/") :], lines, create_pr="create_pr" in query))
                return True
            if method == "GET" and rest.startswith("tree/"):
                rev, _, sub = rest[len("tree/") :].partition("/")
                if unquote(rev).startswith("refs/") or rev in ("refs",):
                    rev_parts = unquote(rest[len("tree/") :]).split("/")
                    rev, sub = "/".join(rev_parts[:3]), "/".join(rev_parts[3:])
                commit = hub._resolve(repo, rev)
                recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
                entries = hub._tree(commit, unquote(sub), recursive)
                start = int(query.get("cursor", ["0"])[0])
                page = entries[start : start + _PAGE_SIZE]
                headers = {"X-Repo-Commit": commit.oid}
                if start + _PAGE_SIZE < len(entries):
                    params = "&".join(f"{k}={quote(v[0])}" for k, v in query.items() if k != "cursor")
                    headers["Link"] = (
                        f'<{hub.url}{urlsplit(self.path).path}?{params}&cursor={start + _PAGE_SIZE}>; rel="next"'
                    )
                self._json(page, headers=headers)
                return True
            if method == "POST" and rest.startswith("paths-info/"):
                commit = hub._resolve(repo, rest[len("paths-info/") :])
                form = parse_qs(self._body().decode())
                out = []
                for p in form.get("paths", []):
                    p = p.strip("/")
                    if p in commit.files:
                        out.append(commit.files[p].entry(p))
                    elif any(q.startswith(p + "/") for q in commit.files):
                        out.append(
                            {
                                "type": "directory",
                                "path": p,
                                "oid": hashlib.sha1(p.encode() + commit.oid.encode()).hexdigest(),
                            }
                        )
                self._json(out)
                return True
            return False

        def _resolve_file(self, kind: str | None, repo_id: str, revision: str, filename: str):
            repo = self._repo(kind, repo_id)
            commit = hub._resolve(repo, revision)
            f = commit.files.get(filename)
            if f is None:
                raise _HubError(404, "Entry not found", "EntryNotFound", commit.oid)
            data = hub.blobs[f.sha256]
            headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{f.git_oid}"', "Accept-Ranges": "bytes"}
            if f.lfs:
                headers.update({"X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": f.size})
            status, body = 200, data
            rng = self.headers.get("Range")
            if rng and self.command == "GET":
                m = re.match(r"bytes=(\d*)-(\d*)$", rng.strip())
                if m:
                    start = int(m.group(1)) if m.group(1) else max(0, len(data) - int(m.group(2)))
                    end = int(m.group(2)) if m.group(1) and m.group(2) else len(data) - 1
                    if start >= len(data) and len(data) > 0:
                        self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                        return
                    end = min(end, len(data) - 1)
                    body = data[start : end + 1]
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            headers["Content-Length"] = len(body)
            self._send(status, body, headers, content_type="application/octet-stream")

    return Handler
