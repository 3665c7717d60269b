"""Small data sets shipped with skrnn (no download at run time)."""

from ._airline import load_airline

__all__ = ["load_airline"]
