"""A recurrent network for sequence tasks: vanilla RNN (tanh or ReLU), LSTM or GRU, then a
linear head on the last hidden state.

The weights live in PyTorch's own ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (state_dict names
``rnn.weight_ih_l<k>``, ``rnn.weight_hh_l<k>``, ``rnn.bias_ih_l<k>``, ``rnn.bias_hh_l<k>``;
gate rows in PyTorch's order: LSTM i, f, g, o; GRU r, z, n), which trains fast. ``unroll``
steps the same weights through a cell written out here, one time step at a time, so that every
hidden state h_t and every gate value can be kept (and ∂L/∂h_t asked of autograd):

    vanilla  h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),  φ = tanh or ReLU
    LSTM     i, f, o = σ(·), g = tanh(·)  (rows of W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
             c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
             (Hochreiter & Schmidhuber 1997; forget gate: Gers, Schmidhuber & Cummins 2000)
    GRU      r, z = σ(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·)
             n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
             (Cho et al. 2014)

Truncated back-propagation through time with length k keeps gradients to the last k steps:
the state that enters step T − k + 1 is detached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

GATES: dict[str, tuple[str, ...]] = {
    "rnn_tanh": (),
    "rnn_relu": (),
    "lstm": ("input", "forget", "candidate", "output"),  # PyTorch's row order i, f, g, o
    "gru": ("reset", "update", "candidate"),  # r, z, n
}
CELLS = tuple(GATES)
INITS = ("default", "orthogonal", "identity", "scaled")


@dataclass(frozen=True)
class RecurrentConfig:
    """The network's shape and the initialisation of its recurrent matrices."""

    cell: str = "lstm"  # rnn_tanh | rnn_relu | lstm | gru
    input_size: int = 2
    hidden: int = 32
    layers: int = 1
    output_size: int = 1
    init: str = "default"  # default | orthogonal | identity | scaled
    init_scale: float = 1.0
    forget_bias: float = 1.0  # an LSTM's forget-gate bias at the start (b_ih + b_hh)


@dataclass
class Trace:
    """What ``unroll`` keeps: per layer the hidden states h_1 … h_T, each (B, H), and the top
    layer's gate values per gate name, each a list over time of (B, H)."""

    hidden: list[list[torch.Tensor]] = field(default_factory=list)
    gates: dict[str, list[torch.Tensor]] = field(default_factory=dict)


def n_gates(cell: str) -> int:
    """Blocks of H rows in each weight matrix: 1 for a vanilla RNN, 4 for LSTM, 3 for GRU."""
    return {"lstm": 4, "gru": 3}.get(cell, 1)


def count_params(config: RecurrentConfig) -> int:
    """Weights and biases of the recurrent layers and the head (from the config alone)."""
    g, h = n_gates(config.cell), config.hidden
    total = 0
    for k in range(config.layers):
        d = config.input_size if k == 0 else h
        total += g * h * (d + h) + 2 * g * h
    return total + h * config.output_size + config.output_size


def init_recurrent(weight: torch.Tensor, cell: str, init: str, scale: float) -> None:
    """Initialise each gate's H × H block of a recurrent matrix in place.

    ``default`` keeps PyTorch's U(−1/√H, 1/√H); ``orthogonal`` draws an orthogonal block,
    ``identity`` sets it to I (Le, Jaitly & Hinton 2015), ``scaled`` draws N(0, 1/H), whose
    spectral radius is close to 1. Every choice but ``default`` is then multiplied by ``scale``.
    """
    hidden = weight.shape[1]
    with torch.no_grad():
        for block in weight.view(n_gates(cell), hidden, hidden):  # (G, H, H)
            if init == "orthogonal":
                nn.init.orthogonal_(block)
            elif init == "identity":
                block.copy_(torch.eye(hidden))
            elif init == "scaled":
                block.normal_(0.0, 1.0 / math.sqrt(hidden))
            if init != "default":
                block.mul_(scale)


def _module(config: RecurrentConfig) -> nn.RNNBase:
    size, hidden, layers = config.input_size, config.hidden, config.layers
    if config.cell == "lstm":
        return nn.LSTM(size, hidden, layers, batch_first=True)
    if config.cell == "gru":
        return nn.GRU(size, hidden, layers, batch_first=True)
    nonlinearity = "relu" if config.cell == "rnn_relu" else "tanh"
    return nn.RNN(size, hidden, layers, nonlinearity=nonlinearity, batch_first=True)


def cell_step(
    cell: str,
    gx: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor | None,
    w_hh: torch.Tensor,
    b_hh: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor | None, dict[str, torch.Tensor]]:
    """One time step from ``gx`` = W_ih x_t + b_ih (B, G·H) and the previous state.

    Returns (h_t, c_t or None, gate values by name)."""
    gh = torch.addmm(b_hh, h, w_hh.t())  # (B, G·H)
    if cell == "lstm":
        i, f, g, o = (gx + gh).chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        return o * torch.tanh(c), c, {"input": i, "forget": f, "candidate": g, "output": o}
    if cell == "gru":
        xr, xz, xn = gx.chunk(3, dim=1)
        hr, hz, hn = gh.chunk(3, dim=1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None, {"reset": r, "update": z, "candidate": n}
    pre = gx + gh
    return (torch.relu(pre) if cell == "rnn_relu" else torch.tanh(pre)), None, {}


class RecurrentNet(nn.Module):
    """(B, T, input_size) sequences → (B, output_size) read from the last hidden state."""

    def __init__(self, config: RecurrentConfig) -> None:
        super().__init__()
        self.config = config
        self.rnn = _module(config)
        self.head = nn.Linear(config.hidden, config.output_size)
        for k in range(config.layers):
            weight = getattr(self.rnn, f"weight_hh_l{k}")
            init_recurrent(weight, config.cell, config.init, config.init_scale)
            if config.cell == "lstm":
                # the forget gate starts open, so memory survives the first steps of training
                # (Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba & Sutskever 2015)
                with torch.no_grad():
                    h = config.hidden
                    getattr(self.rnn, f"bias_ih_l{k}")[h : 2 * h] = config.forget_bias
                    getattr(self.rnn, f"bias_hh_l{k}")[h : 2 * h] = 0.0

    def forward(self, x: torch.Tensor, tbptt: int = 0) -> torch.Tensor:
        """Logits (or the regression output) of the last time step; with 0 < ``tbptt`` < T
        the first T − tbptt steps run without a graph and gradients reach the last tbptt."""
        steps = x.shape[1]
        if 0 < tbptt < steps:
            with torch.no_grad():
                _, state = self.rnn(x[:, : steps - tbptt])
            out, _ = self.rnn(x[:, steps - tbptt :], state)
        else:
            out, _ = self.rnn(x)  # (B, T, H)
        return self.head(out[:, -1])

    def unroll(self, x: torch.Tensor, tbptt: int = 0) -> tuple[torch.Tensor, Trace]:
        """The same output as ``forward``, stepped through ``cell_step`` one time step at a
        time, keeping every h_t (in the graph, so autograd can give ∂L/∂h_t) and the top
        layer's gates."""
        cell, steps = self.config.cell, x.shape[1]
        cut = steps - tbptt if 0 < tbptt < steps else 0  # state entering step cut+1 detached
        trace = Trace()
        inputs = x
        for k in range(self.config.layers):
            w_ih, w_hh = (getattr(self.rnn, f"weight_{n}_l{k}") for n in ("ih", "hh"))
            b_ih, b_hh = (getattr(self.rnn, f"bias_{n}_l{k}") for n in ("ih", "hh"))
            # one unbind, not T slices: each slice's backward would fill a whole (B, T, G·H)
            gx = (torch.matmul(inputs, w_ih.t()) + b_ih).unbind(1)  # T × (B, G·H)
            h = x.new_zeros(x.shape[0], self.config.hidden)
            c = torch.zeros_like(h) if cell == "lstm" else None
            states: list[torch.Tensor] = []
            top = k == self.config.layers - 1
            for t in range(steps):
                if t == cut and cut > 0:
                    h = h.detach()
                    c = c.detach() if c is not None else None
                h, c, gates = cell_step(cell, gx[t], h, c, w_hh, b_hh)
                states.append(h)
                if top:
                    for name, value in gates.items():
                        trace.gates.setdefault(name, []).append(value)
            trace.hidden.append(states)
            inputs = torch.stack(states, dim=1)  # (B, T, H)
        return self.head(h), trace
