"""``transform``: a fitted recurrent network as a feature extractor.

The embedding of a sequence is what the head reads: the top layer's final
state (``pooling='last'``) or its pooled hidden states, both directions
concatenated, of shape ``(n_samples, hidden_size * num_directions)`` (twice
that with ``pooling='last_mean'``: the final state, then the mean).  With
it a fitted :class:`~skrnn.RNNClassifier` or :class:`~skrnn.RNNRegressor`
is a transformer, so ``make_pipeline(RNNClassifier(), LogisticRegression())``
or a ``FeatureUnion`` of networks works like any scikit-learn pipeline.
"""

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._config import single_threaded_blas
from ._preprocessing import prepare_input
from ._validation import check_sequences


class SequenceEmbeddingMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """``transform(X)`` -> the sequence embedding; ``fit_transform``; ``get_feature_names_out``
    (``rnnclassifier0``, ``rnnclassifier1``, ...)."""

    @property
    def _n_features_out(self):
        return self._arch.n_readout * getattr(self, "n_estimators_", 1)

    def transform(self, X):
        """The embedding of each sequence: the features the output head reads.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences, in the form given to :meth:`fit`.

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, hidden_size * num_directions)
            The top layer's final state (``pooling='last'``) or its mean,
            max or attention pooling over each sequence's valid steps, both
            directions concatenated (forward first), in the model's dtype.
            With ``pooling='last_mean'`` the final state then the mean, so
            twice as many columns.
        """
        check_is_fitted(self)
        if self._sequence_output:
            raise ValueError("transform returns one embedding per sequence, but this model was fitted with "
                             "return_sequences=True; refit with return_sequences=False to use it as a transformer.")
        seqs = prepare_input(self, check_sequences(self, X, reset=False))
        net, params = self._model(), self._flat
        with single_threaded_blas():
            out = [net.embed(params, Xb, L) for Xb, L in seqs.time_major_chunks(1024, params.dtype)]
        return np.concatenate(out, axis=0)
