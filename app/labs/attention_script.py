"""A standalone PyTorch script that reproduces an attention lab run outside Layerwise.

It embeds the very source of the token tasks, the transformer and the minibatch sampler, and
a training loop that makes the same calls in the same order as the lab, so the same seed
gives the same weights.
"""

from __future__ import annotations

import json
from typing import Any

from app.data import token_tasks
from app.labs import sampling
from app.labs.attention import N_TRAIN
from app.labs.script_export import ARGS, module_body
from app.nets import transformer

_MAIN = '''
P = json.loads(CONFIG_JSON)


def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    """SGD, SGD with momentum, or Adam, as the lab makes them."""
    if P["optimizer"] == "adam":
        return torch.optim.Adam(
            model.parameters(), lr=P["learning_rate"], weight_decay=P["weight_decay"], fused=True
        )
    momentum = P["momentum"] if P["optimizer"] == "momentum" else 0.0
    return torch.optim.SGD(
        model.parameters(),
        lr=P["learning_rate"],
        momentum=momentum,
        weight_decay=P["weight_decay"],
        fused=True,
    )


def loss_of(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every answer slot."""
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())


def main() -> None:
    """Train, printing the test loss and accuracies every --every steps."""
    args = parse_args()
    torch.set_num_threads(1)
    task = TokenTask(P["task"], P["seq_len"], P["vocab"])
    x_train, y_train = (torch.from_numpy(a) for a in task.make(P["seed"], N_TRAIN))
    x_test, y_test = (torch.from_numpy(a) for a in task.test_set())
    batches = EpochSampler(N_TRAIN, P["seed"])
    torch.manual_seed(P["seed"])
    config = TransformerConfig(
        n_tokens=task.n_tokens,
        n_classes=task.n_classes,
        length=task.length,
        answer_from=P["seq_len"],
        **{k: P[k] for k in ("layers", "heads", "d_model", "mlp", "pos_encoding", "causal",
                             "norm", "residual")},
    )
    model = Transformer(config)
    optimizer = make_optimizer(model)
    for step in range(1, args.steps + 1):
        model.train()
        batch = batches.next(P["batch_size"])
        loss = loss_of(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        if step % args.every == 0 or step == args.steps:
            with torch.no_grad():
                logits = model.eval()(x_test)
            right = logits.argmax(-1) == y_test
            print(
                f"step {step:6d}  test loss {float(loss_of(logits, y_test)):.6f}"
                f"  token acc {float(right.float().mean()):.4f}"
                f"  sequence acc {float(right.all(dim=1).float().mean()):.4f}"
            )
    if args.weights:
        torch.save(model.state_dict(), args.weights)


if __name__ == "__main__":
    main()
'''


def attention_script(params: dict[str, Any]) -> str:
    """The attention lab's run as one runnable file (needs only torch and numpy)."""
    head = f'''#!/usr/bin/env python3
"""Reproduce a Layerwise attention run: {params["task"]} of {params["seq_len"]} tokens, \
{params["layers"]} layers × {params["heads"]} heads, d_model {params["d_model"]}.

Needs only torch and numpy: python this_file.py --steps 1000 --weights model.pt
It trains from step 0 with the run's settings at download time; settings changed while the
run was training are not replayed. Same seed, same machine: the same weights as the lab.
"""

from __future__ import annotations

import argparse
import json

CONFIG_JSON = {json.dumps(json.dumps(params))}
N_TRAIN = {N_TRAIN}
'''
    parts = [head, "# --- data ---", module_body(token_tasks)]
    parts += ["# --- network ---", module_body(transformer)]
    parts += ["# --- minibatches ---", module_body(sampling)]
    parts += ["# --- training loop ---", ARGS, _MAIN]
    return "\n\n".join(parts)
