"""The scorer registry: entries with metadata, listing without building, close-match errors, prefixes
(``pyiqa:``), entry-point plugins and scorer modules."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
import textwrap

import pytest

from s2i_hf.cli import main as cli_main
from s2i_hf.scoring import (
    CallableScorer,
    Scorer,
    ScorerEntry,
    ScorerError,
    ScorerPluginError,
    create_scorer,
    list_scorers,
    load_scorer_plugins,
    register_scorer,
    register_scorer_prefix,
    registry,
    scorer_entry,
)


@pytest.fixture(autouse=True)
def clean_registry():
    """Whatever a test registers or loads is forgotten afterwards (and its plugin modules unimported)."""
    registry._ensure_builtins()
    saved = (
        dict(registry._REGISTRY),
        dict(registry._PREFIXES),
        set(registry._PLUGINS_LOADED),
        registry._PLUGINS_SCANNED,
    )
    modules = set(sys.modules)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved[0])
    registry._PREFIXES.clear()
    registry._PREFIXES.update(saved[1])
    registry._PLUGINS_LOADED.clear()
    registry._PLUGINS_LOADED.update(saved[2])
    registry._PLUGINS_SCANNED = saved[3]
    for name in set(sys.modules) - modules:
        if name.startswith("s2i_test_"):
            del sys.modules[name]


def _make_distribution(root, dist: str, package: str, files: dict[str, str], entry_points: dict[str, str]):
    """A real installed distribution on disk: a package folder plus ``<dist>-0.1.dist-info``."""
    pkg = root / package
    pkg.mkdir(parents=True)
    for rel, text in files.items():
        (pkg / rel).write_text(textwrap.dedent(text))
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{registry.ENTRY_POINT_GROUP}]\n{lines}")
    return root


def _on_path(monkeypatch, root):
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    registry._PLUGINS_SCANNED = False  # as in a fresh process: the next lookup scans the entry points


# --- entries and listing -----------------------------------------------------------------------------------


def test_listing_by_dimension_builds_nothing():
    built = []

    class Exploding(Scorer):
        dimension = "noise"
        version = "7"

        def __init__(self, **kwargs):
            built.append(1)
            raise RuntimeError("must not be built to be listed")

    register_scorer("test_exploding", Exploding)
    assert "test_exploding" in list_scorers(dimension="noise")
    assert "test_exploding" not in list_scorers(dimension="color")
    assert "test_exploding" in list_scorers()
    entry = scorer_entry("test_exploding")
    assert isinstance(entry, ScorerEntry)
    got = (entry.name, entry.dimension, entry.version, entry.kind, entry.id)
    assert got == ("test_exploding", "noise", "7", "class", "test_exploding@7")
    assert entry.factory is Exploding and Exploding.name == "test_exploding"
    assert built == []
    with pytest.raises(RuntimeError, match="must not be built"):
        create_scorer("test_exploding")


def test_register_forms_keep_their_behaviour():
    @register_scorer("test_decorated", dimension="flicker", version="3")
    class Decorated(Scorer):
        def measure(self, clip):
            return 0.25

    assert Decorated.dimension == "flicker" and Decorated.version == "3"
    assert scorer_entry("test_decorated").dimension == "flicker"
    assert create_scorer("test_decorated").id == "test_decorated@3"
    with pytest.raises(ValueError, match="already registered"):
        register_scorer("test_decorated", Decorated)
    register_scorer("test_decorated", lambda clip: 0.5, dimension="color", overwrite=True)
    entry = scorer_entry("test_decorated")
    assert (entry.kind, entry.dimension, entry.version) == ("callable", "color", "1")
    fn_scorer = create_scorer("test_decorated")
    assert isinstance(fn_scorer, CallableScorer) and fn_scorer.dimension == "color"
    assert "test_decorated" in list_scorers("color") and "test_decorated" not in list_scorers("flicker")

    ready = CallableScorer(lambda clip: 0.5, name="ready", dimension="lighting", version="9")
    register_scorer("test_ready", ready)
    assert (scorer_entry("test_ready").dimension, scorer_entry("test_ready").version) == ("lighting", "9")
    assert create_scorer("test_ready") is ready
    register_scorer("test_undimensioned", lambda clip: 0.5)
    assert all("test_undimensioned" not in list_scorers(d) for d in ("noise", "color", "content"))
    with pytest.raises(ValueError, match="unknown dimension"):
        register_scorer("test_bad", lambda clip: 0.5, dimension="blur")
    with pytest.raises(TypeError):
        register_scorer("test_bad", 42)


def test_builtins_get_their_catalogue_calibration():
    cal = registry.scorer_calibration("tile_focus")
    assert cal is not None and create_scorer("tile_focus").calibration == cal
    entry = scorer_entry("tile_focus")
    assert entry.dimension == "focus" and entry.version == create_scorer("tile_focus").version


# --- unknown names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typo, suggestion",
    [
        ("tile_focs", "tile_focus"),
        ("sharpnes", "crete_roffet_sharpness"),
        ("noise", "immerkaer_noise"),
        ("pyiq:brisque", "pyiqa:brisque"),
    ],
)
def test_unknown_name_suggests_close_matches(typo, suggestion):
    with pytest.raises(KeyError, match=f"no scorer named '{typo}'; did you mean .*'{suggestion}'"):
        create_scorer(typo)
    with pytest.raises(KeyError, match="did you mean"):
        scorer_entry(typo)


def test_unknown_name_without_match_lists_what_there_is():
    with pytest.raises(KeyError, match="registered: .*tile_focus.*pyiqa:<name>"):
        create_scorer("zzzz")


# --- prefixes ----------------------------------------------------------------------------------------------


def test_prefix_resolver():
    calls = []

    def resolve(rest, **kwargs):
        calls.append((rest, kwargs))
        return CallableScorer(lambda clip: 0.5, name=f"test:{rest}", dimension=kwargs.get("dimension"))

    register_scorer_prefix("test:", resolve, version="2")
    assert "test:" in registry.list_scorer_prefixes()
    entry = scorer_entry("test:abc")
    assert (entry.kind, entry.version, entry.dimension) == ("prefix", "2", None) and calls == []
    scorer = create_scorer("test:abc", dimension="noise")
    assert scorer.name == "test:abc" and calls == [("abc", {"dimension": "noise"})]
    register_scorer("test:exact", lambda clip: 0.1)  # an exact name wins over its prefix
    assert scorer_entry("test:exact").kind == "callable"
    with pytest.raises(KeyError):
        create_scorer("test:")
    with pytest.raises(ValueError, match="already registered"):
        register_scorer_prefix("test:", lambda rest: None)
    with pytest.raises(ValueError, match="ends with ':'"):
        register_scorer_prefix("test", resolve)


def test_pyiqa_prefix_is_lazy():
    code = (
        "import sys\n"
        "from s2i_hf.scoring import list_scorers, scorer_entry\n"
        "from s2i_hf.scoring.registry import list_scorer_prefixes\n"
        "list_scorers('noise'); e = scorer_entry('pyiqa:brisque')\n"
        "assert 'pyiqa:' in list_scorer_prefixes() and e.kind == 'prefix', e\n"
        "assert 'pyiqa' not in sys.modules and 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_pyiqa_unknown_metric_gives_the_adapter_error():
    pytest.importorskip("pyiqa")
    with pytest.raises(ScorerError, match="cannot create pyiqa metric 'no_such_metric_xyz'"):
        create_scorer("pyiqa:no_such_metric_xyz")


# --- entry-point plugins -----------------------------------------------------------------------------------


def test_entry_point_plugins_load_once_on_first_lookup(tmp_path, monkeypatch):
    files = {
        "__init__.py": """
            from s2i_hf.scoring import register_scorer
            register_scorer("test_plugin_module", lambda clip: 0.5, dimension="noise")
        """,
        "extra.py": """
            from s2i_hf.scoring import Scorer

            class PluginScorer(Scorer):
                dimension = "color"
                version = "4"

                def measure(self, clip):
                    return 0.5
        """,
        "hooks.py": """
            from s2i_hf.scoring import register_scorer
            CALLS = []

            def register():
                CALLS.append(1)
                register_scorer("test_plugin_hook", lambda clip: 0.5, dimension="noise")
        """,
    }
    eps = {
        "test_plugin_mod": "s2i_test_plugin",
        "test_plugin_cls": "s2i_test_plugin.extra:PluginScorer",
        "test_plugin_hook": "s2i_test_plugin.hooks:register",
    }
    _on_path(monkeypatch, _make_distribution(tmp_path, "s2i-test-plugin", "s2i_test_plugin", files, eps))
    assert importlib.metadata.distribution("s2i-test-plugin").version == "0.1"
    seen = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="s2i_hf.scorers")}
    assert {k: seen.get(k) for k in eps} == eps
    assert "s2i_test_plugin" not in sys.modules  # nothing loads before a lookup

    noise = list_scorers(dimension="noise")
    assert "test_plugin_module" in noise and "test_plugin_hook" in noise
    assert "test_plugin_cls" in list_scorers(dimension="color")
    entry = scorer_entry("test_plugin_cls")
    assert (entry.version, entry.module, entry.kind) == ("4", "s2i_test_plugin.extra", "class")
    assert create_scorer("test_plugin_cls").id == "test_plugin_cls@4"
    hooks = sys.modules["s2i_test_plugin.hooks"]
    create_scorer("test_plugin_hook")
    list_scorers()
    assert hooks.CALLS == [1]  # loaded once
    assert registry.load_plugin_entry_points() == []  # an explicit rescan finds nothing new


def test_failing_entry_point_is_named(tmp_path, monkeypatch):
    eps = {"test_broken": "s2i_test_missing_module_xyz", "test_fine": "s2i_test_fine"}
    files = {"__init__.py": "from s2i_hf.scoring import register_scorer\nregister_scorer('test_ok', lambda c: 0.5)\n"}
    _on_path(monkeypatch, _make_distribution(tmp_path, "s2i-test-broken", "s2i_test_fine", files, eps))
    for _ in range(2):  # a failure is reported on every lookup, not swallowed after the first
        named = "'test_broken = s2i_test_missing_module_xyz'.*s2i-test-broken 0.1"
        with pytest.raises(ScorerPluginError, match=named) as info:
            list_scorers()
        assert isinstance(info.value, ImportError) and isinstance(info.value.__cause__, ModuleNotFoundError)


# --- scorer modules (--scorer_module) ----------------------------------------------------------------------


def test_load_scorer_module_from_a_file_and_a_dotted_name(tmp_path, monkeypatch, capsys):
    # what --scorer_module loads: a .py file or a dotted module name, either registering a scorer
    path = tmp_path / "my_test_scorers.py"
    register = "from s2i_hf.scoring import register_scorer\nregister_scorer({!r}, lambda c: 1, dimension='content')\n"
    path.write_text(register.format("test_from_file"))
    module = load_scorer_plugins(str(path))
    assert module.__name__ == "my_test_scorers" and "test_from_file" in list_scorers("content")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_scorer_plugins(str(tmp_path / "missing.py"))

    pkg = tmp_path / "pkgs" / "s2i_test_dotted"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "scorers.py").write_text(register.format("test_dotted"))
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    assert cli_main(["score", "--scorer_module", "s2i_test_dotted.scorers", "--list_scorers"]) == 0
    listing = capsys.readouterr().out
    assert "test_dotted" in listing and "pyiqa:<name>" in listing and "(default for sharpness)" in listing
