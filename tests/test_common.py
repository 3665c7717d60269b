"""scikit-learn's estimator checks, on defaults and on non-default architectures."""

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skrnn import RNNClassifier, RNNForecaster, RNNRegressor, SequenceScaler

# The defaults run every check as the 5-network ensemble 'auto' trains on the checks' small data sets;
# the architecture variants run them on one network (the ensemble machinery does not depend on the
# architecture, and five networks per fit would multiply the checks' time by five).
CONFIGS = [
    {},
    {"cell": "lstm", "n_estimators": 1},
    {"cell": "rnn", "bidirectional": True, "n_estimators": 1},
    {"cell": "gru", "num_layers": 2, "n_estimators": 1},
    {"pooling": "attention", "bidirectional": True, "patch_size": 2, "n_estimators": 1},
    {"pooling": "max", "scale_input": False, "n_estimators": 1},
]

ESTIMATORS = [cls(**cfg) for cfg in CONFIGS for cls in (RNNClassifier, RNNRegressor)] + [
    RNNForecaster(),  # window face: fit(X windows, y next value); horizon > 1 needs y of width horizon
    SequenceScaler(),
    SequenceScaler(with_mean=False),
]


def expected_failed_checks(estimator):
    if isinstance(estimator, RNNClassifier) and estimator.cell == "lstm":
        # Weighted and repeated fits agree to 2e-16 in the first epoch's loss
        # and stop at the same epoch, but the rounding difference of summing
        # 15 weighted rows vs 27 repeated rows grows chaotically over ~100 Adam
        # epochs of this LSTM to 1e-2 in predict_proba.  The weighting itself is
        # exact (tests/test_estimators.py checks one full-batch step to 1e-12).
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "float rounding of weighted vs repeated sums is amplified chaotically by LSTM training"
            )
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor, RNNForecaster, SequenceScaler])
def test_param_validation(cls):
    check_param_validation(cls.__name__, cls())
