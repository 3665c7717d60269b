"""Learning-rate schedules for every skrnn estimator's ``learning_rate_schedule``.

Pass a name (``'constant'``, ``'plateau'``, ``'step'``, ``'cosine'``: these
classes with their defaults) or an instance, e.g.
``RNNClassifier(learning_rate_schedule=ReduceOnPlateau(factor=0.2))``; both
can be grid-searched. The rate used in each epoch is recorded in
``learning_rate_curve_``. A schedule is a pure function of the training record
(``schedule(epoch, lr0, history, config) -> rate``), so ``partial_fit``,
``warm_start`` and saved models continue it.

Examples
--------
>>> import numpy as np
>>> from skrnn import RNNRegressor
>>> from skrnn.schedules import Step
>>> X = np.random.RandomState(0).normal(size=(40, 6))
>>> reg = RNNRegressor(hidden_size=4, max_iter=4, tol=0, learning_rate_schedule=Step(step_size=2, gamma=0.1),
...                    random_state=0).fit(X, X.sum(1))
>>> [round(lr, 6) for lr in reg.learning_rate_curve_]
[0.005, 0.005, 0.0005, 0.0005]
"""

from ._nn.schedules import Constant, Cosine, ReduceOnPlateau, Step

__all__ = ["Constant", "Cosine", "ReduceOnPlateau", "Step"]
