"""The shape of the house: small modules, no import cycle, scikit-learn's private helpers in one place,
every public method of every estimator working (tested in the estimators' own test modules)."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skrnn

PACKAGE = Path(skrnn.__file__).parent
ROOT = PACKAGE.parents[1]  # the repository: the package lives in src/skrnn
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """skrnn modules imported anywhere in ``path`` (top level or inside functions)."""
    module = _name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("skrnn")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if base.startswith("skrnn"):
                out.add(base)
                out |= {f"{base}.{a.name}" for a in node.names}
    known = {_name(p) for p in MODULES}
    return {m for m in out if m in known and m != module}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_600_lines(path):
    assert len(path.read_text().splitlines()) <= 600


def test_no_import_cycle_inside_the_package():
    """A module may import its own package's ``__init__`` chain implicitly, never explicitly in a cycle."""
    graph = {_name(p): _imports(p) - {"skrnn"} for p in MODULES if p.name != "__init__.py" or p.parent != PACKAGE}
    graph = {m: {d for d in deps if not PACKAGE.joinpath(*d.split(".")[1:], "__init__.py").exists()}
             for m, deps in graph.items()}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for d in graph.get(m, ()):
            assert state.get(d) != "open", f"import cycle: {' -> '.join(path + [d])}"
            if d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert not any("skrnn" == d for deps in graph.values() for d in deps)


def test_private_scikit_learn_imports_only_in_compat():
    for path in MODULES:
        if path.name == "_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                private += [node.module] if any(p.startswith("_") for p in node.module.split(".")) else []
                assert not private, f"{path.name} imports {private} from {node.module}; use skrnn._compat"


def test_one_version_string():
    hits = [p for p in MODULES if '__version__ = "' in p.read_text()]
    assert [p.name for p in hits] == ["_version.py"]
    assert skrnn.__version__ == skrnn._version.__version__


@pytest.mark.parametrize("cls", [skrnn.RNNClassifier, skrnn.RNNRegressor, skrnn.RNNForecaster])
def test_input_tags(cls):
    tags = cls().__sklearn_tags__()
    assert tags.input_tags.three_d_array and not tags.input_tags.allow_nan  # NaN only as trailing padding


# import name -> distribution name, where they differ
DISTRIBUTIONS = {"sklearn": "scikit-learn"}


def test_every_third_party_import_is_a_declared_dependency():
    """A module the library imports at run time (anywhere in skrnn/) is in pyproject's ``dependencies``: an
    undeclared one works on a developer's machine and fails on a fresh install."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    imported = set()
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "skrnn"}
    missing = {DISTRIBUTIONS.get(m, m) for m in third_party} - declared
    assert not missing, f"imported but not declared in pyproject.toml's dependencies: {sorted(missing)}"


def test_the_package_lives_in_src():
    assert PACKAGE == ROOT / "src" / "skrnn" and (ROOT / "pyproject.toml").exists()
    assert not (ROOT / "skrnn").exists()  # nothing at the root that Python could import as the package


def test_a_folder_named_skrnn_in_the_working_directory_does_not_shadow_the_package(tmp_path):
    """Python started in the folder that holds a clone named ``skrnn`` (whose root has no ``__init__.py``)
    imports the installed package: with the flat layout, an editable install (an import hook that runs after
    the path entries) lost to the clone, imported as an empty namespace package, and
    ``skrnn.RNNClassifier`` raised AttributeError. The src layout installs a path entry instead."""
    clone = tmp_path / "skrnn"
    (clone / "src" / "skrnn").mkdir(parents=True)  # the shape of a clone (the real one need not be copied)
    (clone / "pyproject.toml").write_text("")
    (clone / "tests").mkdir()
    code = "import skrnn; print(skrnn.__file__); skrnn.RNNClassifier"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    imported = Path(run.stdout.split()[-1])
    assert imported.name == "__init__.py" and not imported.is_relative_to(tmp_path), imported
