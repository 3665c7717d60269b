"""Several networks of one architecture trained side by side as one objective (``n_estimators``).

The members' parameters are stacked in one flat buffer, member ``k`` owning
``flat[k * size:(k + 1) * size]``, so the training loop
(:func:`skrnn._training.fit_epochs`), the optimiser, the estimator's fitted
``_flat`` and its persistence see one buffer, as for a single network.

* Training: a step's batch is one :class:`~skrnn._training.Batch` for
  every member, or a list with one per member (the classifier's and
  regressor's training batches, :class:`~skrnn._training.MemberBatches`:
  each member reads the set in its own shuffled order); the objective's loss
  is the mean of the members' losses and its gradient the members' own
  gradients side by side (so Adam, which works per entry, and the L2/L1
  penalty update each member exactly as it would be updated alone).
  ``member_slices`` tells the loop to clip each member's gradient on its
  own.  Members differ by their initial weights (drawn one after the other
  from the estimator's random generator), their minibatch orders and their
  dropout masks.
* Inference: :meth:`Ensemble.predict` is the mean of the members' head
  outputs (probabilities for a classifier, the standardised prediction for a
  regressor); :meth:`Ensemble.embed` concatenates the members' embeddings.
* Patch sizes (``patches``): members may read the input at different
  scales. Member ``k`` then reads ``patches[k]`` consecutive steps of the
  batch as one recurrent step (:func:`patch_time_major`, the time-major twin
  of :func:`skrnn._preprocessing.patch`), so its network has
  ``patches[k] * n_features`` inputs and a parameter slice of its own size.
* State dicts name member ``k``'s tensors ``estimators.{k}.<name>``.
"""

from dataclasses import replace

import numpy as np

from .network import Network

PREFIX = "estimators."


def patch_time_major(X, lengths, p):
    """A time-major batch ``X`` ``(T, B, D)`` read ``p`` steps at a time: ``(ceil(T / p), B, p * D)``
    (step-major within a patch, the last patch completed with zeros) and lengths ``ceil(L / p)``."""
    if p == 1:
        return X, lengths
    T, B, D = X.shape
    Tp = -(-T // p)
    out = np.zeros((Tp * p, B, D), dtype=X.dtype)
    out[:T] = X
    out = np.ascontiguousarray(out.reshape(Tp, p, B, D).transpose(0, 2, 1, 3)).reshape(Tp, B, p * D)
    return out, -(-np.asarray(lengths) // p)


class Ensemble:
    """``n_members`` independent :class:`Network` s of one architecture over one stacked buffer.

    ``patches``: None (every member reads the input as it is), or one patch
    size per member; ``arch.n_features`` is then the width of one unpatched
    step, and member ``k``'s network reads ``patches[k]`` times as many.

    Implements the training loop's Objective protocol and the inference
    methods of :class:`Network` (``predict``, ``embed``), so an estimator uses
    either one interchangeably.
    """

    def __init__(self, arch, head, sequence_output, n_members, patches=None):
        if patches is not None and len(patches) != n_members:
            raise ValueError(f"{len(patches)} patch sizes for {n_members} members")
        self.patches = None if patches is None else tuple(int(p) for p in patches)
        # one Network per member: each keeps the named views of its own slice cached
        self.members = [Network(arch if patches is None else replace(arch, n_features=arch.n_features * p), head,
                                sequence_output) for p in (patches or [1] * n_members)]
        self.arch, self.head, self.sequence_output = arch, head, sequence_output
        self.n_members = n_members
        ends = np.cumsum([0] + [net.size for net in self.members])
        self.member_slices = [(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)]
        self._split_cache = {}

    @property
    def size(self):
        return self.member_slices[-1][1]

    def _inputs(self, X, lengths):
        """``(X, lengths)`` as each member reads them."""
        return self._patched([(X, lengths)] * self.n_members)

    def _batches(self, batch):
        """``batch`` as each member reads it: one Batch for all, or a list with one per member
        (:class:`~skrnn._training.MemberBatches`)."""
        batches = batch if isinstance(batch, list) else [batch] * self.n_members
        if self.patches is None:
            return batches
        return [b._replace(X=X, lengths=L) for b, (X, L) in
                zip(batches, self._patched([(b.X, b.lengths) for b in batches]), strict=True)]

    def _patched(self, inputs):
        """Member ``k``'s ``(X, lengths)`` of ``inputs[k]`` in its own patches, each input patched once
        per patch size (members may share both)."""
        if self.patches is None:
            return inputs
        cache = {}
        for (X, L), p in zip(inputs, self.patches, strict=True):
            if (id(X), p) not in cache:
                cache[id(X), p] = patch_time_major(X, L, p)
        return [cache[id(X), p] for (X, _), p in zip(inputs, self.patches, strict=True)]

    def split(self, flat):
        """Member views of ``flat``, cached by identity (as :class:`Network` caches its named views)."""
        hit = self._split_cache.get(id(flat))
        if hit is not None and hit[0] is flat:
            return hit[1]
        if flat.size != self.size:
            raise ValueError(f"expected {self.size} parameters ({self.n_members} members), got {flat.size}")
        parts = [flat[a:b] for a, b in self.member_slices]
        if len(self._split_cache) >= 4:
            self._split_cache.clear()
        self._split_cache[id(flat)] = (flat, parts)
        return parts

    # ------------------------------------------- the training loop's protocol
    def weight_mask(self):
        return np.concatenate([net.weight_mask() for net in self.members])

    def loss_and_grad(self, params, grad, batch, masks):
        total, wsum = 0.0, 0.0
        for k, (net, p, g, b) in enumerate(zip(self.members, self.split(params), self.split(grad),
                                                self._batches(batch), strict=True)):
            loss, wsum = net.loss_and_grad(p, g, b, None if masks is None else self._member_masks(masks, k))
            total += loss
        return total / self.n_members, wsum

    def evaluate(self, params, batch):
        total, weight = 0.0, 0.0
        for net, p, b in zip(self.members, self.split(params), self._batches(batch), strict=True):
            loss, weight = net.evaluate(p, b)
            total += loss
        return total / self.n_members, weight

    def dropout_shapes(self, batch):
        return {f"{k}/{name}": s for k, (net, b) in enumerate(zip(self.members, self._batches(batch), strict=True))
                for name, s in net.dropout_shapes(b).items()}

    @staticmethod
    def _member_masks(masks, k):
        prefix = f"{k}/"
        return {name[len(prefix):]: m for name, m in masks.items() if name.startswith(prefix)}

    # --------------------------------------------------------------- inference
    def predict(self, flat, X, lengths):
        """Mean of the members' head outputs."""
        out = None
        for net, p, (Xk, Lk) in zip(self.members, self.split(flat), self._inputs(X, lengths), strict=True):
            P = net.predict(p, Xk, Lk)
            out = P.copy() if out is None else out + P
        out /= self.n_members
        return out

    def embed(self, flat, X, lengths):
        """The members' embeddings side by side: ``(B, n_members * H * dirs)``."""
        return np.concatenate([net.embed(p, Xk, Lk) for net, p, (Xk, Lk) in
                               zip(self.members, self.split(flat), self._inputs(X, lengths), strict=True)], axis=-1)

    # ------------------------------------------------------------- parameters
    def initialize(self, rng, dtype, initializer="xavier_uniform", recurrent_initializer="orthogonal"):
        """Each member initialised in turn from ``rng`` (member 0 as a single network would be)."""
        return np.concatenate([net.initialize(rng, dtype, initializer, recurrent_initializer)
                               for net in self.members])

    def views(self, flat):
        return {f"{PREFIX}{k}.{name}": v for k, (net, p) in enumerate(zip(self.members, self.split(flat),
                                                                        strict=True))
                for name, v in net.views(p).items()}

    def to_state_dict(self, flat):
        return {f"{PREFIX}{k}.{name}": v for k, (net, p) in enumerate(zip(self.members, self.split(flat),
                                                                        strict=True))
                for name, v in net.to_state_dict(p).items()}

    def from_state_dict(self, state_dict, dtype):
        if not any(name.startswith(PREFIX) for name in state_dict):
            raise ValueError(f"this model holds {self.n_members} networks (n_estimators_), whose tensors are named "
                             f"'{PREFIX}<k>.<name>', but the state_dict names none that way (a single network's?). "
                             "Load it into a model fitted with n_estimators=1.")
        parts = []
        for k, net in enumerate(self.members):
            prefix = f"{PREFIX}{k}."
            parts.append(net.from_state_dict({name[len(prefix):]: v for name, v in state_dict.items()
                                              if name.startswith(prefix)}, dtype))
        expected = set(self.to_state_dict(np.concatenate(parts)))
        unexpected = sorted(set(state_dict) - expected)
        if unexpected:
            raise ValueError(f"unexpected keys in state_dict: {unexpected[:5]}; an ensemble of {self.n_members} "
                             f"networks names its tensors '{PREFIX}<k>.<name>' with k < {self.n_members}.")
        return np.concatenate(parts)

    def tensor_slices(self):
        return {f"{PREFIX}{k}.{name}": (a + off, b + off) for k, (net, (off, _)) in
                enumerate(zip(self.members, self.member_slices, strict=True))
                for name, (a, b) in net.tensor_slices().items()}
