"""One flat parameter buffer with named views, and the weight initialisers.

All parameters of a network live in a single 1-D array so that optimisers,
clipping and regularisation are one vectorised operation each.  Named views
follow PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` ``state_dict`` names and
shapes (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``, suffix ``_reverse`` for the backward direction, gate blocks
stacked along the first axis in PyTorch's order: LSTM ``i, f, g, o``, GRU
``r, z, n``), followed by the output head ``head.weight`` ``(n_outputs,
H * num_directions)`` and ``head.bias`` ``(n_outputs,)`` as in ``nn.Linear``.
With ``pooling='attention'`` the query of the attention readout,
``attention.weight`` ``(1, H * num_directions)`` (an ``nn.Linear(Hd, 1,
bias=False)``), sits between the recurrent layers and the head.
"""

from dataclasses import dataclass, field

import numpy as np

GATES = {"rnn": 1, "lstm": 4, "gru": 3}

INITIALIZERS = (
    "uniform",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "orthogonal",
)


@dataclass(frozen=True)
class Architecture:
    """Everything that fixes the shape of the parameter buffer."""

    cell: str
    n_features: int
    hidden_size: int
    n_outputs: int
    num_layers: int = 1
    bidirectional: bool = False
    activation: str = "tanh"
    pooling: str = "last"  # readout of many-to-one networks (skrnn._nn.pooling); files saved before it load as "last"

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def n_readout(self):
        """Width of the features the head reads: ``H * num_directions``, twice that with
        ``pooling='last_mean'`` (the final states and the mean of the outputs side by side)."""
        return self.hidden_size * self.num_directions * (2 if self.pooling == "last_mean" else 1)

    @property
    def gates(self):
        return GATES[self.cell]

    def layer_names(self, layer, direction):
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        return tuple(f"{w}{sfx}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def shapes(self):
        """Ordered ``(name, shape)`` pairs of the whole network."""
        G, H = self.gates, self.hidden_size
        out = []
        for layer in range(self.num_layers):
            d_in = self.n_features if layer == 0 else H * self.num_directions
            for direction in range(self.num_directions):
                w_ih, w_hh, b_ih, b_hh = self.layer_names(layer, direction)
                out += [(w_ih, (G * H, d_in)), (w_hh, (G * H, H)), (b_ih, (G * H,)), (b_hh, (G * H,))]
        if self.pooling == "attention":
            out.append(("attention.weight", (1, H * self.num_directions)))
        out += [("head.weight", (self.n_outputs, self.n_readout)), ("head.bias", (self.n_outputs,))]
        return out


@dataclass
class Layout:
    """Offsets of each named tensor in the flat buffer."""

    arch: Architecture
    slices: dict = field(init=False)
    size: int = field(init=False)

    def __post_init__(self):
        self.slices, offset = {}, 0
        for name, shape in self.arch.shapes():
            n = int(np.prod(shape))
            self.slices[name] = (offset, offset + n, shape)
            offset += n
        self.size = offset

    def views(self, flat):
        """Dict of name -> view into ``flat`` (writes go through)."""
        return {k: flat[a:b].reshape(s) for k, (a, b, s) in self.slices.items()}

    def weight_mask(self):
        """Boolean mask of the entries that are weights (penalised), not biases."""
        mask = np.zeros(self.size, dtype=bool)
        for k, (a, b, _) in self.slices.items():
            if "weight" in k:
                mask[a:b] = True
        return mask

    def to_state_dict(self, flat):
        """PyTorch-style ``state_dict`` of independent NumPy arrays."""
        return {k: v.copy() for k, v in self.views(flat).items()}

    def from_state_dict(self, state_dict, dtype):
        """Flat buffer from a ``state_dict`` (NumPy arrays or torch tensors)."""
        flat = np.empty(self.size, dtype=dtype)
        views = self.views(flat)
        missing = set(views) - set(state_dict)
        unexpected = set(state_dict) - set(views)
        if missing or unexpected:
            raise ValueError(
                f"state_dict does not match this architecture: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}."
            )
        for k, v in views.items():
            src = state_dict[k]
            arr = np.asarray(src.detach().cpu().numpy() if hasattr(src, "detach") else src)
            if arr.shape != v.shape:
                raise ValueError(f"state_dict[{k!r}] has shape {arr.shape}, expected {v.shape}.")
            v[...] = arr
        return flat


def _block(name, shape, rng, relu):
    """Draw one ``(fan_out, fan_in)`` weight block."""
    fan_out, fan_in = shape
    if name == "uniform":  # PyTorch's default for recurrent layers
        k = 1.0 / np.sqrt(fan_out)
        return rng.uniform(-k, k, size=shape)
    if name == "normal":
        return rng.normal(0.0, 1.0 / np.sqrt(fan_out), size=shape)
    if name == "xavier_uniform":
        k = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-k, k, size=shape)
    if name == "xavier_normal":
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    if name == "he_uniform":
        k = np.sqrt(6.0 / fan_in)
        return rng.uniform(-k, k, size=shape)
    if name == "he_normal":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    if name == "orthogonal":
        a = rng.normal(size=(max(shape), min(shape)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q if shape[0] >= shape[1] else q.T
        return q * (np.sqrt(2.0) if relu else 1.0)
    raise ValueError(f"unknown initializer {name!r}; choose one of {INITIALIZERS}.")


def initialize(layout, rng, dtype, initializer="xavier_uniform", recurrent_initializer="orthogonal",
               forget_bias=1.0):
    """A new flat buffer.

    Each gate block of ``weight_ih`` is drawn with ``initializer`` (fan-in the
    layer input size, fan-out ``H``), each ``H x H`` gate block of
    ``weight_hh`` with ``recurrent_initializer``, the head with
    ``initializer``.  Biases are zero, except the LSTM forget gate whose
    ``bias_ih`` block is ``forget_bias`` (1.0 by default, as in Jozefowicz et
    al. 2015 and Keras' ``unit_forget_bias``: the cell starts by remembering, so
    gradients flow over long sequences from the first epoch).
    """
    arch = layout.arch
    relu = arch.cell == "rnn" and arch.activation == "relu"
    flat = np.zeros(layout.size, dtype=np.float64)
    views = layout.views(flat)
    H, G = arch.hidden_size, arch.gates
    for name, w in views.items():
        if name.startswith("bias"):
            if arch.cell == "lstm" and name.startswith("bias_ih"):
                w[H:2 * H] = forget_bias
            continue
        if name == "attention.weight":  # zero: the attention readout starts as mean pooling
            continue
        if name.startswith("head"):
            if name == "head.weight":
                w[...] = _block(initializer, w.shape, rng, False)
            continue
        how = recurrent_initializer if name.startswith("weight_hh") else initializer
        for g in range(G):
            w[g * H:(g + 1) * H] = _block(how, (H, w.shape[1]), rng, relu)
    return flat.astype(dtype)
