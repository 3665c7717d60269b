"""pytest runs the user guide's code (``--doctest-glob='*.rst'``, see pyproject.toml);
this keeps it from collecting the Sphinx configuration and generated pages."""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

collect_ignore = ["conf.py", "tools"]
collect_ignore_glob = ["_build/*", "auto_examples/*", "generated/*", "sg_execution_times.rst"]


@pytest.fixture(autouse=True)
def _quiet_short_fits():
    """The guide's examples train for a few epochs on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
