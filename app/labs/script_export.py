"""Standalone PyTorch scripts that reproduce a lab run outside Layerwise.

The script embeds the very source of the data makers, the network and the training loop the
lab runs, so the same seed gives the same numbers.
"""

from __future__ import annotations

import inspect
import json
from types import ModuleType
from typing import Any

from app.data import toy2d
from app.labs import classifier, sampling
from app.nets import mlp


def module_body(module: ModuleType) -> str:
    """A module's source without its docstring, future import and Layerwise imports."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    doc = module.__doc__ or ""
    if doc:
        # Drop the module docstring: everything up to the line that closes it.
        closing = next(i for i, line in enumerate(lines) if i > 0 and line.endswith('"""'))
        if lines[0].count('"""') == 2:
            closing = 0
        lines = lines[closing + 1 :]
    kept = [
        line
        for line in lines
        if not line.startswith("from __future__") and not line.startswith("from app.")
    ]
    return "\n".join(kept).strip() + "\n"


# The command line of every exported script (its docstring's first line describes it).
ARGS = '''
def parse_args() -> argparse.Namespace:
    """--steps to run, print --every N steps, save the final --weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="training steps to run")
    parser.add_argument("--every", type=int, default=100, help="print every N steps")
    parser.add_argument("--weights", default=None, help="save the final state_dict here (.pt)")
    return parser.parse_args()
'''

_MAIN = '''
CONFIG = ClassifierConfig(**json.loads(CONFIG_JSON))


def main() -> None:
    """Train, printing train/test loss and accuracy every --every steps."""
    args = parse_args()
    torch.set_num_threads(1)
    run = Classifier(CONFIG)
    done = 0
    while done < args.steps:
        n = min(args.every, args.steps - done)
        run.step(n)
        done += n
        train_loss, train_acc = run.evaluate(run.x_train, run.y_train)
        test_loss, test_acc = run.evaluate(run.x_test, run.y_test)
        print(
            f"step {run.steps:6d}  train loss {train_loss:.6f} acc {train_acc:.4f}"
            f"  test loss {test_loss:.6f} acc {test_acc:.4f}"
        )
    if args.weights:
        torch.save(run.model.state_dict(), args.weights)


if __name__ == "__main__":
    main()
'''


def classifier_script(params: dict[str, Any]) -> str:
    """The two-moons lab's run as one runnable file (needs only torch and numpy)."""
    fields = classifier.ClassifierConfig.__dataclass_fields__
    config = {k: v for k, v in params.items() if k in fields}
    head = f'''#!/usr/bin/env python3
"""Reproduce a Layerwise two-moons run: {config["dataset"]}, hidden {config["hidden"]}, \
{config["activation"]}, {config["optimizer"]} lr {config["learning_rate"]}.

Needs only torch and numpy: python this_file.py --steps 1000 --weights model.pt
It trains from step 0 with the run's settings at download time; settings changed while the
run was training are not replayed. Same seed, same machine: the same numbers as the lab.
"""

from __future__ import annotations

import argparse
import json

CONFIG_JSON = {json.dumps(json.dumps(config))}
'''
    parts = [head, "# --- data ---", module_body(toy2d), "# --- network ---", module_body(mlp)]
    parts += ["# --- minibatches ---", module_body(sampling)]
    parts += ["# --- training loop ---", module_body(classifier), ARGS, _MAIN]
    return "\n\n".join(parts)
