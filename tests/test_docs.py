"""The documentation cannot drift from the package: every public name has an API page, the shipped
intersphinx inventories are what their script writes, and the examples use the public API only.
(The build itself, ``python -m sphinx -W -b html docs docs/_build/html``, runs in .ci/run; the user
guide's code runs as doctests through ``--doctest-glob``.)"""

import ast
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import skrnn
import skrnn.callbacks
import skrnn.datasets
import skrnn.schedules

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
API = (DOCS / "api.rst").read_text()


def _listed(section_module):
    """Names listed under the autosummary entries of ``api.rst`` after ``.. currentmodule:: <module>``."""
    names, current = set(), None
    for line in API.splitlines():
        m = re.match(r"\.\. currentmodule:: (\S+)", line)
        if m:
            current = m.group(1)
        elif current == section_module and re.match(r"^   [A-Za-z_][\w.]*$", line):
            names.add(line.strip())
    return names


def _public_classes(module):
    return {n for n, obj in vars(module).items() if not n.startswith("_") and inspect.isclass(obj)
            and (obj.__module__.startswith("skrnn.") or n in getattr(module, "__all__", ()))}


def test_every_public_name_has_an_api_page():
    top = {n for n in skrnn.__all__ if n not in ("__version__", "datasets")}
    assert top <= _listed("skrnn"), f"add to docs/api.rst: {sorted(top - _listed('skrnn'))}"
    assert set(skrnn.datasets.__all__) <= _listed("skrnn.datasets")
    assert set(skrnn.schedules.__all__) <= _listed("skrnn.schedules")
    callbacks = {n for n in _public_classes(skrnn.callbacks)
                 if vars(skrnn.callbacks)[n].__module__ == "skrnn.callbacks"}
    assert callbacks and callbacks <= _listed("skrnn.callbacks")


def test_shipped_inventories_are_what_the_script_writes():
    pytest.importorskip("sphobjinv")
    spec = importlib.util.spec_from_file_location("make_inventories", DOCS / "tools" / "make_inventories.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for project, filename in tool.FILES.items():
        assert (DOCS / "_inventories" / filename).read_bytes() == tool.inventory_bytes(project), (
            f"docs/_inventories/{filename} is stale: run python docs/tools/make_inventories.py")


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_use_public_api_and_show_their_figures(script):
    tree = ast.parse(script.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("skrnn"):
            assert not any(p.startswith("_") for p in node.module.split(".")), f"private import {node.module}"
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            pytest.fail(f"{script.name} uses the private attribute {node.attr!r}")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "use":
            pytest.fail(f"{script.name} forces a matplotlib backend; tests set MPLBACKEND=Agg instead")
    assert not any(isinstance(n, ast.Assert) for n in ast.walk(tree)), "a story ends in prose, not an assert"
    last = tree.body[-1]
    assert ast.unparse(last) == "plt.show()", f"{script.name} should end with plt.show()"
