"""skrnn: recurrent neural network estimators (RNN, LSTM, GRU) for scikit-learn."""

from . import datasets
from ._classifier import RNNClassifier
from ._forecaster import RNNForecaster
from ._regressor import RNNRegressor
from ._text import RNNTextGenerator

__version__ = "0.1.0"

__all__ = ["RNNClassifier", "RNNForecaster", "RNNRegressor", "RNNTextGenerator", "datasets", "__version__"]
