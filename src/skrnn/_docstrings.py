"""Docstring text written once and substituted into each estimator.

* ``{parameters}``: the Parameters section, one entry per ``__init__``
  parameter in signature order, with the type and description from
  ``skrnn._parameters.PARAMS`` and ``default=`` written from the signature
  itself (so it cannot drift from the real default).
* ``{fitted_attributes}``, ``{sequences}``: shared fragments.
"""

from ._parameters import init_parameters, param

X_SEQUENCES = ("array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), "
               "or list of arrays")

INPUT_ATTRIBUTES = """\
scale_input_ : {'none', 'global', 'sequence'}
        How the input is scaled (the resolved ``scale_input``).

    patch_size_ : int or tuple of int
        Consecutive time steps read as one recurrent step (the resolved
        ``patch_size``); a tuple with one entry per network when the
        networks of an ensemble read different patch sizes."""

ENSEMBLE_ATTRIBUTES = """\
n_estimators_ : int
        Number of networks trained and averaged (the resolved
        ``n_estimators``). With several, ``loss_curve_`` and
        ``validation_loss_curve_`` hold the mean of the networks' losses,
        ``grad_norm_curve_`` the mean of their gradient norms, and
        ``validation_scores_`` score the averaged prediction."""

FITTED_ATTRIBUTES = """\
n_features_in_ : int
        Features per time step for 3-D or list input; number of columns
        (time steps) for 2-D input, as scikit-learn counts them.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
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

    learning_rate_curve_ : list of float
        Learning rate of each epoch (see ``learning_rate_schedule``).

    weights_ : dict of str to ndarray
        The parameters in PyTorch's ``state_dict`` layout (see
        :meth:`get_state_dict`)."""


def parameters_section(cls, overrides=None, indent="    "):
    """The numpydoc Parameters entries of ``cls`` (without the heading)."""
    out = []
    for name, default in init_parameters(cls).items():
        p = param(name, overrides)
        out.append(f"{name} : {p.type}, default={default!r}")
        out += [f"{indent}{line}" if line else "" for line in p.doc.splitlines()]
        out.append("")
    return ("\n" + indent).join(out).rstrip()


def fill(doc, cls=None, overrides=None):
    """Substitute the shared fragments (and, given ``cls``, its Parameters section) into ``doc``."""
    if cls is not None:
        doc = doc.replace("{parameters}", parameters_section(cls, overrides))
    for key, text in (("{fitted_attributes}", FITTED_ATTRIBUTES), ("{input_attributes}", INPUT_ATTRIBUTES),
                      ("{ensemble_attributes}", ENSEMBLE_ATTRIBUTES),
                      ("{sequences}", X_SEQUENCES)):
        doc = doc.replace(key, text)
    return doc
