"""skrnn: recurrent neural network estimators (RNN, LSTM, GRU) for scikit-learn."""

from . import datasets
from ._classifier import RNNClassifier
from ._forecasting.forecaster import RNNForecaster
from ._legacy import install as _install_legacy_module_paths
from ._persistence import load
from ._preprocessing import SequenceScaler
from ._regressor import RNNRegressor
from ._seq2seq_regressor import RNNSeq2SeqRegressor
from ._text import RNNTextGenerator
from ._version import __version__

_install_legacy_module_paths()

__all__ = [
    "RNNClassifier",
    "RNNForecaster",
    "RNNRegressor",
    "RNNSeq2SeqRegressor",
    "RNNTextGenerator",
    "SequenceScaler",
    "datasets",
    "load",
    "__version__",
]
