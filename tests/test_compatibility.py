"""Files written by skrnn 0.1.0 before the layout of issue 9 (tests/data, made at commit aa0122d with
hidden_size=4 models on ``np.random.RandomState(0).normal(size=(40, 6))``) still load and predict the same,
or fail with a message that says to refit."""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skrnn

DATA = Path(__file__).parent / "data"
X = np.random.RandomState(0).normal(size=(40, 6))
EXPECTED = pickle.loads((DATA / "skrnn-0.1.0-predictions.pkl").read_bytes())  # written by the same session


def _outputs(kind, est):
    if kind == "txt":
        return est.generate(10, random_state=0)
    return est.predict(X)


@pytest.mark.parametrize("kind", ["clf", "reg", "s2s", "fcw", "txt"])
def test_pickles_of_the_earlier_layout_load_and_predict_identically(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn may warn about its own version
        est = pickle.loads((DATA / f"skrnn-0.1.0-{kind}.pkl").read_bytes())
    out = _outputs(kind, est)
    assert out == EXPECTED[kind][0] if kind == "txt" else np.array_equal(out, EXPECTED[kind][0])


@pytest.mark.parametrize("kind", ["clf", "reg", "s2s", "fcw"])
def test_saved_files_of_the_earlier_layout_load_and_predict_identically(kind):
    est = skrnn.load(DATA / f"skrnn-0.1.0-{kind}.skrnn")
    assert np.array_equal(_outputs(kind, est), EXPECTED[kind][0])


@pytest.mark.skipif(int(pd.__version__.split(".")[0]) < 3,
                    reason="the fixture pickle holds a DatetimeIndex pickled by pandas 3, which pandas 2 cannot read")
def test_a_series_face_forecaster_of_the_earlier_layout_says_to_refit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="earlier skrnn.*Refit it with this version"):
            pickle.loads((DATA / "skrnn-0.1.0-fcs.pkl").read_bytes())
