"""English text that ships with Python: the docstrings of standard-library modules."""

import ast
import importlib
import inspect

STDLIB_MODULES = ("argparse", "textwrap", "string", "difflib", "pathlib", "subprocess", "typing", "collections",
                  "functools", "inspect", "logging", "json", "csv", "shutil", "tarfile", "zipfile", "datetime",
                  "decimal", "fractions", "random", "statistics", "heapq", "bisect", "enum", "dataclasses",
                  "doctest", "threading", "queue", "calendar", "configparser", "optparse", "tempfile", "gettext",
                  "pickle", "copy", "shlex", "glob", "fnmatch", "pprint", "traceback", "warnings", "contextlib")


def load_stdlib_docstrings(modules=STDLIB_MODULES):
    """Docstrings of pure-Python standard-library modules, in source order.

    A few hundred kilobytes of English technical prose that every Python
    installation carries (nothing is downloaded), for text models. The
    module, class and function docstrings of each module are read from its
    source with :mod:`ast` (the modules are imported only to locate their
    files); the text differs a little between Python versions.

    Parameters
    ----------
    modules : sequence of str, default=STDLIB_MODULES
        Module names; 42 text-rich ones by default (about 380 000
        characters on Python 3.11).

    Returns
    -------
    docs : list of str
        One string per docstring, cleaned by :func:`inspect.cleandoc`.

    Examples
    --------
    >>> from skrnn.datasets import load_stdlib_docstrings
    >>> docs = load_stdlib_docstrings(["textwrap"])
    >>> docs[0].splitlines()[0]
    'Text wrapping and filling.'
    """
    docs = []
    for name in modules:
        path = inspect.getsourcefile(importlib.import_module(name))
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        nodes = [n for n in ast.walk(tree)
                 if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in sorted(nodes, key=lambda n: getattr(n, "lineno", 0)):
            doc = ast.get_docstring(node)
            if doc:
                docs.append(doc)
    return docs
