"""Sphinx configuration of skrnn's documentation.

Build (from the repository root; offline, warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

Nothing is fetched at build time: intersphinx reads the small inventories in
``docs/_inventories/`` (written by ``python docs/tools/make_inventories.py``),
and equations are rendered to PNG by LaTeX and dvipng (``sphinx.ext.imgmath``)
when both are installed, as ``.ci/run`` makes sure.
"""

import os
import shutil
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).parent
# the gallery runs in this process: numba reads NUMBA_CACHE_DIR when it is first
# imported, so set it before importing skrnn (CI exports its own, shared with pytest)
os.environ.setdefault("NUMBA_CACHE_DIR", str(HERE / "_build" / "numba_cache"))

import skrnn  # noqa: E402

project = "skrnn"
author = "The skrnn developers"
copyright = "the skrnn developers"
release = skrnn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# ---------------------------------------------------------------------- math
# imgmath renders each equation to a PNG at build time (no JavaScript, no
# network when the pages are read).  Without LaTeX the build falls back to
# MathJax, which builds offline but needs the network to show the equations.
if shutil.which("latex") and shutil.which("dvipng"):
    extensions.append("sphinx.ext.imgmath")
    # Sphinx's LaTeX template loads anyfontsize, which texlive-latex-base lacks: _latex/ holds a stand-in
    # (appended to LaTeX's search path; a real anyfontsize found first is used instead)
    os.environ["TEXINPUTS"] = os.pathsep.join([os.environ.get("TEXINPUTS", ""), str(HERE / "_latex"), ""])
    imgmath_image_format = "png"
    imgmath_font_size = 12  # the article class's own size (see _latex/anyfontsize.sty)
    imgmath_dvipng_args = ["-gamma", "1.5", "-D", "125", "-bg", "Transparent"]
else:
    extensions.append("sphinx.ext.mathjax")
    print("docs/conf.py: latex or dvipng not found; equations use MathJax (they need the network to display). "
          "Install texlive-latex-base and dvipng to render them offline.", file=sys.stderr)

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "sg_execution_times.rst"]
default_role = "literal"
nitpicky = False
suppress_warnings = []

# --------------------------------------------------------- autodoc / numpydoc
autosummary_generate = True
autodoc_default_options = {"member-order": "alphabetical"}  # as the methods table
toc_object_entries_show_parents = "hide"  # "fit()", not "RNNClassifier.fit()", in the page contents
autodoc_typehints = "none"
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "ndarray": "numpy.ndarray",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "pd.DataFrame": "pandas.DataFrame",
    "pd.Series": "pandas.Series",
    "RandomState": "numpy.random.RandomState",
    "path-like": "os.PathLike",
    "estimator": "sklearn.base.BaseEstimator",
}
numpydoc_xref_ignore = {"of", "shape", "or", "default", "optional", "instance", "array-like", "and", "to", "in",
                        "schedule", "n_samples", "n_timesteps", "n_features", "n_outputs", "n_classes", "n_labels",
                        "n_codes", "n_features_in_", "horizon", "window", "n_steps", "n_steps_i", "n_timesteps_i",
                        "n_future", "list", "dict", "1-D", "array", "arrays", "series", "tensor", "None", "auto",
                        "sequence", "from", "same", "structure", "as", "at", "fit", "labels", "per-step", "targets",
                        "torch.Tensor", "float", "int", "str", "bool", "callable"}

# ---------------------------------------------------------------- intersphinx
# Offline: each entry names a local inventory (generated for the handful of
# objects these pages reference, with the real online addresses), so the build
# never downloads one.  Regenerate with ``python docs/tools/make_inventories.py``.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", str(HERE / "_inventories" / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable/", str(HERE / "_inventories" / "numpy.inv")),
    "pandas": ("https://pandas.pydata.org/docs/", str(HERE / "_inventories" / "pandas.inv")),
    "sklearn": ("https://scikit-learn.org/stable/", str(HERE / "_inventories" / "sklearn.inv")),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", str(HERE / "_inventories" / "joblib.inv")),
}

# ------------------------------------------------------------- sphinx-gallery
warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "doc_module": ("skrnn",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skrnn": None},
    "remove_config_comments": True,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    "show_signature": False,
    "abort_on_example_error": True,
}

# -------------------------------------------------------------------- html
html_theme = "pydata_sphinx_theme"
html_title = f"skrnn {release}"
html_static_path = ["_static"]
html_css_files = ["skrnn.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": []}
html_show_sourcelink = False
html_copy_source = False
