"""Small data sets shipped with skrnn (no download at run time)."""

from ._airline import load_airline
from ._docstrings import load_stdlib_docstrings

__all__ = ["load_airline", "load_stdlib_docstrings"]
