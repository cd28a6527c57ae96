"""Recurrent cells written out gate by gate from state_dict weights: the independent reference
the recurrent tests check the lab against (time in the outer loop, layers inside, each gate's
rows taken by name, the truncated steps run under no_grad)."""

from __future__ import annotations

import torch

ROWS = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


def _rows(weight: torch.Tensor, cell: str) -> dict[str, torch.Tensor]:
    """Split a stacked weight (or bias) into its gates' row blocks, by gate letter."""
    names = ROWS.get(cell, ("h",))
    size = weight.shape[0] // len(names)
    return {n: weight[k * size : (k + 1) * size] for k, n in enumerate(names)}


def _step(cell: str, w: dict[str, dict[str, torch.Tensor]], x, h, c):
    """One time step of one layer; returns h, c and the gate values by the lab's names."""
    wi, wh, bi, bh = w["ih"], w["hh"], w["bih"], w["bhh"]

    def lin(g: str) -> torch.Tensor:
        return x @ wi[g].T + bi[g] + h @ wh[g].T + bh[g]

    if cell == "lstm":
        i = torch.sigmoid(lin("i"))
        f = torch.sigmoid(lin("f"))
        g = torch.tanh(lin("g"))
        o = torch.sigmoid(lin("o"))
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c, {"input": i, "forget": f, "candidate": g, "output": o}
    if cell == "gru":
        r = torch.sigmoid(lin("r"))
        z = torch.sigmoid(lin("z"))
        n = torch.tanh(x @ wi["n"].T + bi["n"] + r * (h @ wh["n"].T + bh["n"]))
        h = (1 - z) * n + z * h
        return h, c, {"reset": r, "update": z, "candidate": n}
    pre = lin("h")
    return (torch.relu(pre) if cell == "rnn_relu" else torch.tanh(pre)), c, {}


def run(
    state: dict[str, torch.Tensor],
    cell: str,
    layers: int,
    x: torch.Tensor,
    tbptt: int = 0,
) -> tuple[torch.Tensor, list[list[torch.Tensor]], dict[str, list[torch.Tensor]]]:
    """Output of the last step, hidden states [layer][t] (B, H) and the top layer's gates."""
    weights = []
    for k in range(layers):
        weights.append(
            {
                "ih": _rows(state[f"rnn.weight_ih_l{k}"], cell),
                "hh": _rows(state[f"rnn.weight_hh_l{k}"], cell),
                "bih": _rows(state[f"rnn.bias_ih_l{k}"], cell),
                "bhh": _rows(state[f"rnn.bias_hh_l{k}"], cell),
            }
        )
    batch, steps = x.shape[0], x.shape[1]
    size = state["rnn.weight_hh_l0"].shape[1]
    h = [torch.zeros(batch, size) for _ in range(layers)]
    c = [torch.zeros(batch, size) for _ in range(layers)]
    hs: list[list[torch.Tensor]] = [[] for _ in range(layers)]
    gates: dict[str, list[torch.Tensor]] = {}
    free = steps - tbptt if 0 < tbptt < steps else 0  # steps that get no gradient
    for t in range(steps):
        with torch.set_grad_enabled(t >= free):
            below = x[:, t]
            for k in range(layers):
                h[k], c[k], g = _step(cell, weights[k], below, h[k], c[k])
                hs[k].append(h[k])
                below = h[k]
            for name, value in g.items():
                gates.setdefault(name, []).append(value)
    out = h[-1] @ state["head.weight"].T + state["head.bias"]
    return out, hs, gates
