"""The one version string: read by ``skrnn.__version__``, pickles, saved files and the build."""

__version__ = "0.1.0"
