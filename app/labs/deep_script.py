"""A standalone PyTorch script that reproduces a deep lab run (config A) outside Layerwise.

It embeds the very source of the data maker, the norms, the network and the minibatch
sampler, and a training loop that makes the same calls in the same order as the lab, so the
same seed gives the same weights.
"""

from __future__ import annotations

import json
from typing import Any

from app.data import digits, toy2d
from app.labs import deep_params, deep_run, sampling
from app.labs.script_export import ARGS, module_body
from app.nets import deep_mlp, norms

_DATA = {
    "spirals": '''
def load_data():
    """The spirals as the lab draws them, standardised on the training half."""
    x, y = make("spirals", N_SPIRALS, SPIRAL_NOISE, P["seed"])
    return standardise(*split(x, y, 0.5))
''',
    "digits": '''
def load_data():
    """The digits' fixed split, flattened to 64 inputs, standardised on the training set."""
    x_train, y_train, x_test, y_test = split(N_DIGITS_TRAIN)
    return standardise(x_train.reshape(len(x_train), -1), y_train,
                       x_test.reshape(len(x_test), -1), y_test)
''',
}

_MAIN = '''
def standardise(x_train, y_train, x_test, y_test):
    """Each input feature to train mean 0, std 1 (features that never vary are left as they are)."""
    mean = x_train.mean(axis=0)
    std = np.where(x_train.std(axis=0) > 1e-3, x_train.std(axis=0), 1.0)

    def scaled(a):
        return torch.from_numpy(((a - mean) / std).astype(np.float32))

    return (scaled(x_train), torch.from_numpy(y_train.astype(np.int64)),
            scaled(x_test), torch.from_numpy(y_test.astype(np.int64)))


def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    """Adam, SGD, or SGD with momentum 0.9, as the lab makes them."""
    if P["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=P["learning_rate"], fused=True)
    momentum = 0.9 if P["optimizer"] == "momentum" else 0.0
    return torch.optim.SGD(model.parameters(), lr=P["learning_rate"], momentum=momentum, fused=True)


def main() -> None:
    """Train, printing the test loss and accuracy every --every steps."""
    args = parse_args()
    torch.set_num_threads(1)
    x_train, y_train, x_test, y_test = load_data()
    config = DeepMLPConfig(**MODEL)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(P["seed"])
        model = DeepMLP(config)
    optimizer = make_optimizer(model)
    batches = EpochSampler(len(x_train), P["seed"])
    for step in range(1, args.steps + 1):
        batch = batches.next(P["batch_size"])
        model.train()
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        if step % args.every == 0 or step == args.steps:
            with torch.no_grad():
                logits = model.eval()(x_test)
            accuracy = float((logits.argmax(1) == y_test).float().mean())
            print(f"step {step:6d}  test loss {float(F.cross_entropy(logits, y_test)):.6f}"
                  f"  test acc {accuracy:.4f}")
    if args.weights:
        torch.save(model.state_dict(), args.weights)


if __name__ == "__main__":
    main()
'''


def deep_script(params: dict[str, Any], model: dict[str, Any]) -> str:
    """Config A of a deep lab run as one runnable file (torch and numpy; scikit-learn for the
    digits). ``model`` is the network's config (DeepMLPConfig fields)."""
    dataset = params["dataset"]
    head = f'''#!/usr/bin/env python3
"""Reproduce a Layerwise deep-network run: {model["depth"]} × {model["width"]} \
{model["activation"]}, {model["init"]}, norm {model["norm"]}, \
{"residual" if model["residual"] else "no shortcuts"}, on the {dataset}.

Needs torch and numpy{" (and scikit-learn for the digits)" if dataset == "digits" else ""}: \
python this_file.py --steps 1000 --weights model.pt
It trains config A from step 0 with the run's settings at download time; settings changed
while the run was training are not replayed. Same seed, same machine: the same weights.
"""

from __future__ import annotations

import argparse
import json

import torch.nn.functional as F

CONFIG_JSON = {json.dumps(json.dumps(params))}
P = json.loads(CONFIG_JSON)
MODEL = {model!r}
N_SPIRALS = {deep_params.N_SPIRALS}
N_DIGITS_TRAIN = {deep_params.N_DIGITS_TRAIN}
SPIRAL_NOISE = {deep_run.SPIRAL_NOISE}
'''
    data = toy2d if dataset == "spirals" else digits
    parts = [head, "# --- data ---", module_body(data), _DATA[dataset]]
    parts += ["# --- network ---", module_body(norms), module_body(deep_mlp)]
    parts += ["# --- minibatches ---", module_body(sampling)]
    parts += ["# --- training loop ---", ARGS, _MAIN]
    return "\n\n".join(parts)
