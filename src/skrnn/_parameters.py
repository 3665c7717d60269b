"""Every constructor parameter of every estimator, declared once: its numpydoc
type, its constraints (for scikit-learn's declarative validation) and its
description.

Defaults are *not* here: they live in each estimator's explicit ``__init__``
signature (what IDEs, type checkers and ``help()`` show), and
:func:`skrnn._docstrings.parameters_section` writes each ``default=`` from that
signature, so a documented default cannot drift from the real one.  An
estimator may override a description where the parameter means something
more specific to it (``DOC_OVERRIDES`` in its module).
"""

import inspect
from dataclasses import dataclass
from numbers import Integral, Real

from ._compat import Interval, StrOptions
from ._forecasting.mimo import NORMALIZATIONS
from ._nn.params import INITIALIZERS

_positive = Interval(Real, 0, None, closed="neither")
_non_negative = Interval(Real, 0, None, closed="left")
_unit = Interval(Real, 0, 1, closed="left")
_positive_int = Interval(Integral, 1, None, closed="left")
_initializers = "{" + ", ".join(repr(i) for i in INITIALIZERS) + "}"


@dataclass(frozen=True)
class Param:
    type: str  # numpydoc type, without the default
    constraints: list
    doc: str


PARAMS = {
    # ------------------------------------------------------------ architecture
    "cell": Param("{'rnn', 'lstm', 'gru'}", [StrOptions({"rnn", "lstm", "gru"})], """\
Recurrent cell: Elman ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``,
LSTM or GRU, with PyTorch's equations and gate order."""),
    "activation": Param("{'tanh', 'relu'}", [StrOptions({"tanh", "relu"})], """\
Non-linearity of the Elman cell (``cell='rnn'``); ignored by LSTM and GRU."""),
    "hidden_size": Param("int", [_positive_int], """\
Number of units in each recurrent layer (per direction)."""),
    "num_layers": Param("int", [_positive_int], """\
Number of stacked recurrent layers."""),
    "bidirectional": Param("bool", ["boolean"], """\
Run each layer forward and backward in time and concatenate both. The
backward direction reads each sequence reversed within its own length."""),
    "initializer": Param(_initializers, [StrOptions(set(INITIALIZERS))], """\
Initialiser of the input-to-hidden weights (each gate block apart) and of
the output head. ``'uniform'`` is PyTorch's default
``U(-1/sqrt(H), 1/sqrt(H))``, ``'normal'`` draws ``N(0, 1/H)``. Biases start
at zero, except the LSTM forget gate (1.0)."""),
    "recurrent_initializer": Param(_initializers, [StrOptions(set(INITIALIZERS))], """\
Initialiser of each ``H x H`` gate block of the hidden-to-hidden weights."""),
    "pooling": Param("{'last', 'mean', 'max', 'attention', 'last_mean'}",
                     [StrOptions({"last", "mean", "max", "attention", "last_mean"})], """\
How a sequence is summarised for the head (and by :meth:`transform`):
``'last'`` is the top layer's final state (both directions' when
``bidirectional``); ``'mean'`` and ``'max'`` pool the top layer's hidden
states over each sequence's own valid steps (padding never counts); and
``'attention'`` weights them by a softmax of a learned score ``w . h_t``
(``attention.weight`` in the state dict; it starts at zero, i.e. as mean
pooling); ``'last_mean'`` feeds the head the final state and the mean side
by side (twice the features). Pooled readouts let every step reach the head directly, which
matters for long sequences. Ignored with ``return_sequences=True``."""),
    "patch_size": Param("'auto', 'multiscale' or int", [StrOptions({"auto", "multiscale"}), _positive_int], """\
Read this many consecutive time steps as one recurrent step of
``patch_size * n_features`` inputs (non-overlapping patches; a shorter last
patch is completed with zeros, so ragged sequences keep their own lengths).
Long sequences then run in far fewer recurrent steps: faster, and with
shorter paths for the gradient. ``'auto'`` picks the smallest patch that
reads a training sequence of the median length in at most 32 steps (1 for
sequences of up to 32 steps, 5 for length 150, 46 for length 1460; with
ragged lengths the median keeps a few long sequences from squeezing the
typical one into a handful of steps). ``'multiscale'``: with several
networks (``n_estimators``) each reads its own patches, aiming at 32, 16 and
48 steps in turn (length 150: patches of 5, 10, 4, 5, 10), so that their
average mixes fine and coarse views of the series; worth a try (or a grid
search against ``'auto'``) where the best single scale is unknown. The
fitted value is ``patch_size_``: an int, or one per network when they
differ. Must be 1 (or ``'auto'``/``'multiscale'``) with
``return_sequences=True``."""),
    "scale_input": Param("{'auto', 'global', 'sequence'} or bool", [StrOptions({"auto", "global", "sequence"}),
                                                                  "boolean"], """\
How input features are scaled before the network reads them; the statistics
come from the first fit's training sequences (weighted by ``sample_weight``;
padding ignored) and are kept by ``partial_fit`` and ``warm_start``, so make
the first chunk representative.

- ``'global'`` (or ``True``): standardise each feature with its mean and
  standard deviation over every valid step of every sequence, as
  :class:`SequenceScaler` does. With a 2-D ``X`` of univariate sequences
  this is one mean and one scale for all time steps, not one per column as
  :class:`~sklearn.preprocessing.StandardScaler` computes. Input you have
  already standardised passes through nearly unchanged.
- ``'sequence'``: standardise each sequence by its own mean and standard
  deviation of each feature (as z-normalised archives such as UCR's are),
  and append that mean and the log of that standard deviation as extra
  input features at every step, so the level and amplitude are not lost:
  the network reads ``3 * n_features`` features per step.
- ``'auto'``: ``'sequence'`` when, for some feature, the median spread
  within a sequence is above zero but under a tenth of the spread over the
  training set (sequences whose amplitudes span orders of magnitude, which
  global scaling would leave nearly flat), else ``'global'``.
- ``False``: feed values as they are (the weights exported by
  :meth:`get_state_dict` then apply to raw input).

The resolved choice is ``scale_input_``."""),
    "n_estimators": Param("'auto' or int", [StrOptions({"auto"}), _positive_int], """\
Number of networks trained side by side from different random initial
weights (each reading the training set in its own shuffled order, with
its own dropout masks) and
averaged: :meth:`predict_proba` is the mean of the members' probabilities
(a regressor predicts the mean of their predictions). Averaging removes
much of the variance a small training set leaves between seeds, at the
cost of proportionally longer fits. ``'auto'`` trains 5 networks up to
200 training sequences, ``1000 // n_samples`` up to 1000 and one beyond,
and one in :meth:`partial_fit` (whose first call sees one chunk of a
stream); the fitted value is ``n_estimators_``. With several networks
:meth:`transform` concatenates their embeddings and :meth:`get_state_dict`
prefixes each member's tensors with ``estimators.<k>.``."""),
    "dropout": Param("float", [_unit], """\
Inverted dropout probability on the inputs of layers 2..num_layers (as
PyTorch's ``dropout``) and on the features fed to the output head. Applied
in training only."""),
    "return_sequences": Param("bool", ["boolean"], """\
Predict one output per time step (many-to-many, Keras's name) instead of one
per sequence. ``y`` is then ``(n_samples, n_timesteps)`` (or
``(n_samples, n_timesteps, n_outputs)`` for regression) aligned with ``X``,
or a list of per-sequence target arrays for ragged ``X``; targets at padded
steps are ignored. Predictions are an array
``(n_samples, n_timesteps[, n_outputs])`` for equal-length ``X`` and a list
of per-sequence arrays, each of its sequence's own length, otherwise.
``sample_weight`` still weights whole sequences; the loss averages over
valid steps. With ``bidirectional=True`` each step's output also sees the
rest of its sequence."""),
    # ---------------------------------------------------------------- training
    "solver": Param("{'adam', 'sgd'}", [StrOptions({"adam", "sgd"})], """\
Optimiser. ``'sgd'`` uses ``momentum`` and ``nesterovs_momentum``."""),
    "learning_rate_init": Param("float", [_positive], """\
Step size (of the first epoch, when a schedule changes it)."""),
    "learning_rate_schedule": Param("{'constant', 'plateau', 'step', 'cosine'} or schedule",
                                    [StrOptions({"constant", "plateau", "step", "cosine"}), callable], """\
How the step size changes from epoch to epoch (see :mod:`skrnn.schedules`):
``'plateau'`` halves it when the monitored loss has not improved for half of
``n_iter_no_change`` epochs (so it drops before training stops),
``'step'`` halves it every quarter of ``max_iter``, ``'cosine'`` anneals it
to 1% over ``max_iter``; or a schedule object such as
``skrnn.schedules.ReduceOnPlateau(factor=0.2)``. ``learning_rate_curve_``
records the rate of each epoch."""),
    "batch_size": Param("'auto' or int", [StrOptions({"auto"}), _positive_int], """\
Sequences per minibatch. ``'auto'`` splits each epoch into equal
minibatches (sizes within one) sized from the number of training sequences
``n``: one batch below 28 sequences, then ``min(8, n // 12)`` batches (so a
small set gets several updates per epoch), and ``ceil(n / 64)`` batches on
large sets (at most 64 sequences each). An int gives batches of exactly that
size, the last one shorter."""),
    "max_iter": Param("int", [_positive_int], """\
Maximum number of epochs (passes over the training data)."""),
    "tol": Param("float", [_non_negative], """\
Minimum improvement of the training loss (or of the validation loss with
``early_stopping``) that resets the patience counter."""),
    "n_iter_no_change": Param("int", [_positive_int], """\
Epochs without an improvement of at least ``tol`` before training stops."""),
    "early_stopping": Param("bool", ["boolean"], """\
Hold out ``validation_fraction`` of the training data (stratified for
classifiers), stop when the validation loss stops improving and restore the
weights of the best epoch."""),
    "validation_fraction": Param("float", [Interval(Real, 0, 1, closed="neither")], """\
Fraction of the training data held out with ``early_stopping``."""),
    "shuffle": Param("bool", ["boolean"], """\
Shuffle the sequences at each epoch. Sequences of unequal lengths are then
grouped into minibatches of similar lengths (sorted by length times a random
factor in [0.75, 1.25], the batches in random order): a batch runs to its
longest sequence, so this saves the steps spent on padding."""),
    "alpha": Param("float", [_non_negative], """\
L2 penalty on the weights (not the biases), divided by the batch's sum of
sample weights as in :class:`~sklearn.neural_network.MLPClassifier`."""),
    "l1": Param("float", [_non_negative], """\
L1 penalty on the weights, scaled like ``alpha``."""),
    "clip_value": Param("float or None", [None, _positive], """\
Clip each gradient entry to ``[-clip_value, clip_value]``."""),
    "clip_norm": Param("float or None", [None, _positive], """\
Rescale the gradient when its global L2 norm exceeds ``clip_norm`` (after
``clip_value``), keeping its direction. Guards against exploding gradients;
``clip_rate_curve_`` shows how often it fired."""),
    "beta_1": Param("float", [_unit], """\
Adam's decay rate of the first moment (the running mean of the gradient)."""),
    "beta_2": Param("float", [_unit], """\
Adam's decay rate of the second moment (the running mean of the squared
gradient)."""),
    "epsilon": Param("float", [_positive], """\
Adam's offset in the denominator ``sqrt(v) + epsilon``, for numerical
stability."""),
    "momentum": Param("float", [Interval(Real, 0, 1, closed="both")], """\
SGD momentum (``solver='sgd'``)."""),
    "nesterovs_momentum": Param("bool", ["boolean"], """\
Use Nesterov's momentum with ``solver='sgd'``."""),
    "random_state": Param("int, RandomState instance or None", ["random_state"], """\
Seeds the weight initialisation, the shuffling, dropout and the validation
split. An int gives bitwise-reproducible fits."""),
    "verbose": Param("bool or int", ["verbose"], """\
Print the loss (and validation figures) after each epoch."""),
    "warm_start": Param("bool", ["boolean"], """\
Reuse the weights of the previous fit as the starting point."""),
    "class_weight": Param("dict, 'balanced' or None", [dict, StrOptions({"balanced"}), None], """\
Weights ``{class_label: weight}`` multiplied into the sample weights;
``'balanced'`` uses ``n_samples / (n_classes * np.bincount(y))``."""),
    # ------------------------------------------------------------- forecasting
    "window": Param("'auto' or int", [StrOptions({"auto"}), _positive_int], """\
Number of most recent observations a forecast depends on (series face).
With ``strategy='mimo'``, ``'auto'`` gives the members windows of 1.25, 2
and 3 seasonal periods (of 1.25, 2 and 3 horizons without a significant
season), shortened on a short series; an int gives every member that
window. With the other strategies ``'auto'`` is 18, and differencing at lag
``k`` makes the network read ``window - k`` differences. The window used is
``window_``."""),
    "horizon": Param("int", [_positive_int], """\
Number of steps forecast at once: the width of ``y`` in the window face, and
the default number of steps of :meth:`forecast`. Longer forecasts feed
forecasts back as observations."""),
    "strategy": Param("{'mimo', 'recursive', 'direct', 'seq2seq'}",
                      [StrOptions({"mimo", "recursive", "direct", "seq2seq"})], """\
Series face only. ``'mimo'`` (multi-input multi-output) is an ensemble of
``n_estimators`` networks, each reading a window normalised by its own level
(``normalize``) and the series' scale and emitting the next ``horizon``
steps at once; each stops early on the last block of the series in time,
then continues on the whole series for a quarter of its epochs; forecasts
are the members' median. ``'recursive'`` trains a one-step model and feeds
its forecasts back; ``'direct'`` trains one multi-output head that reads the
window and emits all ``horizon`` steps at once; ``'seq2seq'`` is a direct
encoder-decoder: the encoder's final state starts a decoder that runs
``horizon`` steps (one output each). ``seq2seq`` needs
``bidirectional=False``. The three single-network strategies difference and
standardise each window (``differencing``); ``strategy='recursive',
log=False, window=18, max_iter=400`` is skrnn 0.1's forecaster."""),
    "normalize": Param("{'mix', 'mean', 'last', 'season', 'drift', 'none'}",
                       [StrOptions({"mix", *NORMALIZATIONS})], """\
``strategy='mimo'``: what each window is read relative to, its mean
(``'mean'``), its last value (``'last'``) or nothing (``'none'``).
``'season'`` reads the inputs relative to the last value and the targets
relative to the window's last season repeated (the seasonal-naive
forecast), so the network learns the departure from seasonal naive; it
needs a seasonal series and windows of at least one season. ``'drift'``
reads the targets relative to the window's random-walk-with-drift path
(the last value plus the window's average change per step), so the
network learns the departure from naive with drift. ``'mix'`` cycles
through ``'mean'``, ``'last'`` and, on a seasonal series, ``'season'``,
otherwise ``'drift'``, between members."""),
    "log": Param("'auto' or bool", [StrOptions({"auto"}), "boolean"], """\
Model the logarithm of a positive series (multiplicative seasonality);
intervals then become multiplicative. ``'auto'`` takes the logarithm when
every series is positive and Guerrero's Box-Cox parameter (the power that
makes the variability of seasonal blocks independent of their level) is
below 0.5, i.e. the variability grows with the level."""),
    "differencing": Param("{'none', 'first', 'seasonal'}", [StrOptions({"none", "first", "seasonal"})], """\
Difference each window at lag 1 (``'first'``) or at ``seasonal_period``
(``'seasonal'``) before standardising. Seasonal differencing at lag 1 (no
seasonality known) is first differencing."""),
    "seasonal_period": Param("'auto' or int", [StrOptions({"auto"}), _positive_int], """\
Seasonal period; ``'auto'`` infers it from the index frequency (12 for
monthly, 4 quarterly, 7 daily, 24 hourly, 52 weekly, else 1). Also the lag
of the MASE scale used by :meth:`score`."""),
    "target": Param("str, list of str or None", [None, str, list], """\
Series face with a DataFrame: the target columns. The other columns are
*past covariates*: observed up to the forecast origin only, read beside the
targets over the window, never needed at forecast time. With
``strategy='recursive'`` the network also forecasts them one step ahead
(extra outputs, scaled like the targets; only the targets are returned) so
that they can be fed back; with ``'direct'`` and ``'seq2seq'`` they are read
in the window only, so forecasts stop at ``horizon`` steps. ``None``: every
column is a target. Covariates known in advance (calendar effects, prices,
holidays) are passed separately: ``fit(y, future_covariates=...)`` and
``forecast(X_future=...)``."""),
    "id_col": Param("str", [str], """\
Series face with a long-format panel (one row per series and time, as
statsforecast and neuralforecast take it): the column naming each series.
Several series fit one global model; :meth:`forecast` returns the same long
format (``id_col``, ``time_col``, ``forecast`` and ``lower``/``upper``)."""),
    "time_col": Param("str", [str], """\
Long-format panel: the column of time stamps (dates, periods or integers,
regular within each series)."""),
    "calibration_size": Param("'auto' or int", [StrOptions({"auto"}), _positive_int], """\
Length of the final block of the training series held out to calibrate
prediction intervals. ``strategy='mimo'``: the block each member also stops
early on, ``'auto'`` being ``horizon`` shortened so that the rest gives 16
training windows (but long enough, while 4 windows remain, for the 0.9
level's 9 residuals); residuals of every step, divided by a per-step scale
``a k^b`` (``b`` in [0.5, 1]) fitted to them, are pooled, so widths never
shrink with the horizon. Other strategies: the model is refitted without
the block the first time an interval is requested, and ``'auto'`` is
``max(horizon, min(24, n // 5))``, shortened on a short series. With fewer
residuals than the level needs (9 for 0.9), a warning says the interval
may under-cover."""),
    # -------------------------------------------------------------------- text
    "bptt": Param("int", [_positive_int], """\
Characters per truncated-BPTT chunk: gradients flow back at most this far,
the state (the model's memory) further."""),
    "min_frequency": Param("int", [_positive_int], """\
Characters seen fewer times in the training texts are not in the
vocabulary; they are read as the ``<unk>`` code, so the model learns how
likely a rare or unseen character is (singletons estimate the unseen mass,
as in Good-Turing smoothing)."""),
}


# the forecaster's n_estimators (an int: its ensemble has no size-dependent rule)
FORECAST_N_ESTIMATORS = Param("int", [_positive_int], """\
Number of networks of the ``strategy='mimo'`` ensemble, over seeds, window
lengths and normalisations, combined by the median. 1 is a single network
(about twenty times faster, less robust). Ignored by the other strategies and
the window face.""")


# the sequence classifier's and regressor's bidirectional: 'auto' reads both directions for many-to-one
SEQUENCE_BIDIRECTIONAL = Param("'auto' or bool", [StrOptions({"auto"}), "boolean"], """\
Run each layer forward and backward in time and concatenate both. The
backward direction reads each sequence reversed within its own length.
``'auto'``: both directions for many-to-one models (one label or value per
sequence, which is observed whole), forward only with
``return_sequences=True`` (a label per step reads only the past). Measured
on the sequence benchmark, the backward direction carries what the first
steps hold to the readout, which a forward pass over a long sequence
forgets; it doubles the recurrent work.""")


def init_parameters(cls):
    """Names and defaults of ``cls.__init__``'s keyword parameters, in order."""
    sig = inspect.signature(cls.__init__)
    return {n: p.default for n, p in sig.parameters.items() if n != "self"}


def param(name, overrides=None):
    """The table's entry for ``name``, or its override (a Param, or a str replacing the description)."""
    p, o = PARAMS[name], (overrides or {}).get(name)
    if o is None:
        return p
    return o if isinstance(o, Param) else Param(p.type, p.constraints, o)


def parameter_constraints(cls, overrides=None):
    """``_parameter_constraints`` of ``cls``: the table's entries for its signature."""
    return {name: param(name, overrides).constraints for name in init_parameters(cls)}


def store(estimator, arguments):
    """``__init__``'s body: store every argument verbatim (scikit-learn's contract)."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
