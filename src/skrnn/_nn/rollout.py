"""Autoregressive rollout: the one code path by which a trained network
generates, feeding each output back as the next input.

The text generator samples a character from each output and feeds its one-hot
code back; a recursive forecaster feeds back the predicted value (plus any
known covariates of the next step).  Both are a ``feedback`` function given to
:func:`rollout`; the stepping itself is written once, here.

Two ways to step:

* stateful (``window=None``): read the prompt once, then one input per step,
  carrying the recurrent state (``Network.forward(initial_state=...)`` and
  ``Network.final_state``).  The cost per step is one cell step.  For models
  trained on long streams with the state carried across chunks (the text
  generator), and for unidirectional networks only.
* windowed (``window=W``): at each step re-read the last ``W`` inputs from a
  zero state, exactly the condition a model trained on fixed windows of ``W``
  steps was fitted under (a window forecaster).  Works with bidirectional
  networks too.
"""

import numpy as np

from .network import Network


def rollout(net, flat, prompt, lengths, n_steps, feedback, *, initial_state=None, window=None):
    """Run ``prompt`` through the network, then ``n_steps`` outputs autoregressively.

    Parameters
    ----------
    net : Network
        Any network; its architecture and head are used with a many-to-one
        view (the head applied to the last step read), so a network trained
        with ``sequence_output=True`` generates with the same weights.
    flat : ndarray
        Its parameter buffer.
    prompt : ndarray of shape (T, B, D)
        Time-major inputs (zeros at padded steps), ``T >= 1``.
    lengths : ndarray of shape (B,)
        Length of each prompt; all equal to ``T`` in windowed mode.
    n_steps : int
        Number of outputs to produce.
    feedback : callable ``feedback(k, logits) -> ndarray of shape (B, D)``
        Given the head's logits ``(B, K)`` (before its output function; use
        :func:`skrnn._heads.activate`) for output ``k``, return the next input
        (e.g. the one-hot code of a sampled token, or the predicted value).
        Called once per output, the last one included.
    initial_state : optional
        State before the prompt (stateful mode), PyTorch's ``h_0`` layout.
    window : int or None, default=None
        None: stateful stepping. An int: re-read the last ``window`` inputs
        at each step.

    Returns
    -------
    logits : ndarray of shape (n_steps, B, K)
    inputs : ndarray of shape (n_steps, B, D)
        What ``feedback`` returned for each output.
    state : state or None
        Stateful mode: the state after the prompt and ``inputs[:-1]``; to
        continue, call again with ``prompt=inputs[-1:]`` and this state.
    """
    T, B, D = prompt.shape
    if T < 1:
        raise ValueError("rollout needs a prompt of at least one step.")
    lengths = np.asarray(lengths, dtype=np.int64)
    step_net = Network(net.arch, net.head, sequence_output=False)
    dtype = flat.dtype
    logits_out = np.empty((n_steps, B, net.arch.n_outputs), dtype=dtype)
    inputs_out = np.empty((n_steps, B, D), dtype=dtype)
    if window is None:
        if net.arch.bidirectional:
            raise ValueError("A bidirectional network cannot be stepped with a carried state (its backward "
                             "direction reads the future); pass window= to re-read a fixed window at each step.")
        ones = np.ones(B, dtype=np.int64)
        x, L, state = np.ascontiguousarray(prompt, dtype=dtype), lengths, initial_state
        for k in range(n_steps):
            cache = step_net.forward(flat, x, L, initial_state=state)
            state = step_net.final_state(cache)
            logits_out[k] = cache["logits"]
            inputs_out[k] = feedback(k, logits_out[k])
            x, L = inputs_out[k][None], ones
        return logits_out, inputs_out, state
    if not (lengths == T).all():
        raise ValueError("Windowed rollout needs prompts of equal length (no padding).")
    history = np.empty((T + n_steps, B, D), dtype=dtype)
    history[:T] = prompt
    for k in range(n_steps):
        end = T + k
        start = max(0, end - window)
        x = np.ascontiguousarray(history[start:end])
        logits_out[k] = step_net.forward(flat, x, np.full(B, end - start, dtype=np.int64))["logits"]
        history[end] = inputs_out[k] = feedback(k, logits_out[k])
    return logits_out, inputs_out, None
