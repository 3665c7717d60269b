"""Parameter documentation written once and substituted into each estimator.

Estimator docstrings contain ``{model_parameters}`` and ``{training_parameters}``
placeholders (and ``{fitted_attributes}``) filled by :func:`fill`.
"""

MODEL_PARAMETERS = """\
cell : {'rnn', 'lstm', 'gru'}, default='gru'
        Recurrent cell: Elman ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``,
        LSTM or GRU, with PyTorch's equations and gate order.

    activation : {'tanh', 'relu'}, default='tanh'
        Non-linearity of the Elman cell (``cell='rnn'``); ignored by LSTM and GRU.

    hidden_size : int, default=64
        Number of units in each recurrent layer (per direction).

    num_layers : int, default=1
        Number of stacked recurrent layers.

    bidirectional : bool, default=False
        Run each layer forward and backward in time and concatenate both. The
        backward direction reads each sequence reversed within its own length.

    initializer : {'uniform', 'normal', 'xavier_uniform', 'xavier_normal', \
'he_uniform', 'he_normal', 'orthogonal'}, default='xavier_uniform'
        Initialiser of the input-to-hidden weights (each gate block apart) and
        of the output head. ``'uniform'`` is PyTorch's default
        ``U(-1/sqrt(H), 1/sqrt(H))``, ``'normal'`` draws ``N(0, 1/H)``.
        Biases start at zero, except the LSTM forget gate (1.0).

    recurrent_initializer : same options as ``initializer``, default='orthogonal'
        Initialiser of each ``H x H`` gate block of the hidden-to-hidden weights.

    dropout : float, default=0.0
        Inverted dropout probability on the inputs of layers 2..num_layers (as
        PyTorch's ``dropout``) and on the features fed to the output head.
        Applied in training only.

    return_sequences : bool, default=False
        Predict one output per time step (many-to-many, Keras's name) instead
        of one per sequence. ``y`` is then ``(n_samples, n_timesteps)`` (or
        ``(n_samples, n_timesteps, n_outputs)`` for regression) aligned with
        ``X``, or a list of per-sequence target arrays for ragged ``X``;
        targets at padded steps are ignored. Predictions are an array
        ``(n_samples, n_timesteps[, n_outputs])`` for equal-length ``X`` and a
        list of per-sequence arrays, each of its sequence's own length,
        otherwise. ``sample_weight`` still weights whole sequences; the loss
        averages over valid steps. With ``bidirectional=True`` each step's
        output also sees the rest of its sequence."""

TRAINING_PARAMETERS = """\
solver : {'adam', 'sgd'}, default='adam'
        Optimiser. ``'sgd'`` uses ``momentum`` and ``nesterovs_momentum``.

    learning_rate_init : float, default=0.005
        Step size.

    batch_size : 'auto' or int, default='auto'
        Sequences per minibatch. ``'auto'`` is ``min(64, n_samples)``.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).

    tol : float, default=1e-4
        Minimum improvement of the training loss (or of the validation loss with
        ``early_stopping``) that resets the patience counter.

    n_iter_no_change : int, default=10
        Epochs without an improvement of at least ``tol`` before training stops.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers), stop when the validation loss stops improving and restore
        the weights of the best epoch.

    validation_fraction : float, default=0.1
        Fraction of the training data held out with ``early_stopping``.

    shuffle : bool, default=True
        Shuffle the sequences at each epoch.

    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), divided by the batch size
        as in :class:`~sklearn.neural_network.MLPClassifier`.

    l1 : float, default=0.0
        L1 penalty on the weights, scaled like ``alpha``.

    clip_value : float or None, default=None
        Clip each gradient entry to ``[-clip_value, clip_value]``.

    clip_norm : float or None, default=5.0
        Rescale the gradient when its global L2 norm exceeds ``clip_norm``
        (after ``clip_value``), keeping its direction. Guards against exploding
        gradients; ``clip_rate_curve_`` shows how often it fired.

    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decay rates and denominator offset.

    momentum : float, default=0.9
        SGD momentum.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``solver='sgd'``.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split. An int gives bitwise-reproducible fits.

    verbose : bool or int, default=False
        Print the loss (and validation figures) after each epoch.

    warm_start : bool, default=False
        Reuse the weights of the previous fit as the starting point."""

FITTED_ATTRIBUTES = """\
n_features_in_ : int
        Features per time step for 3-D or list input; number of columns
        (time steps) for 2-D input, as scikit-learn counts them.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names.

    n_outputs_ : int
        Number of outputs of the head.

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training sequences seen, counting repeats over epochs.

    loss_ : float
        Training loss of the last epoch (penalties included).

    loss_curve_ : list of float
        Training loss after each epoch.

    best_loss_ : float or None
        Lowest training loss reached (None with ``early_stopping``).

    validation_scores_ : list of float or None
        Score on the held-out data after each epoch (``early_stopping`` only).

    validation_loss_curve_ : list of float or None
        Loss on the held-out data after each epoch (``early_stopping`` only).

    best_validation_score_ : float or None
        Validation score at the epoch whose weights were kept.

    grad_norm_curve_ : list of float
        Mean global gradient L2 norm (before clipping) in each epoch; values
        shrinking towards zero or growing by orders of magnitude reveal
        vanishing or exploding gradients.

    clip_rate_curve_ : list of float
        Fraction of the updates of each epoch whose gradient was clipped.

    weights_ : dict of str to ndarray
        The parameters in PyTorch's ``state_dict`` layout (see
        :meth:`get_state_dict`)."""


def fill(doc):
    """Substitute the shared fragments into ``doc``."""
    for key, text in (
        ("{model_parameters}", MODEL_PARAMETERS),
        ("{training_parameters}", TRAINING_PARAMETERS),
        ("{fitted_attributes}", FITTED_ATTRIBUTES),
    ):
        doc = doc.replace(key, text)
    return doc
