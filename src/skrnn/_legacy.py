"""Module paths of the first 0.1.0 layout, so that its pickles still load.

A pickle names each object's class by module and name (``skrnn._params.Architecture``).
The modules have since moved into ``skrnn._nn`` and ``skrnn._forecasting``; these
aliases let unpickling find the classes where they live now.  Nothing else imports
through them.
"""

import sys

from ._forecasting import forecaster, series
from ._nn import optim, params

ALIASES = {
    "skrnn._params": params,
    "skrnn._optim": optim,
    "skrnn._forecaster": forecaster,
    "skrnn._series": series,
}


def install():
    for name, module in ALIASES.items():
        sys.modules.setdefault(name, module)
