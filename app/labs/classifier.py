"""Training loop of a small binary classifier on 2-D points (the two-moons lab's engine).

Pure torch + numpy and free of the rest of Layerwise but for the MLP and the data makers,
so that the exported standalone script embeds this very file and reproduces a run exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from app.data.toy2d import features, make, split
from app.labs.sampling import EpochSampler
from app.nets.mlp import MLP, MLPConfig


@dataclass
class ClassifierConfig:
    """Data, network and optimiser settings of one run."""

    dataset: str = "moons"
    n_samples: int = 400
    noise: float = 0.2
    train_fraction: float = 0.5
    features: list[str] = field(default_factory=lambda: ["x", "y"])
    hidden: list[int] = field(default_factory=lambda: [4, 4])
    activation: str = "relu"
    output: str = "sigmoid"  # "sigmoid": one logit; "softmax": two logits
    init: str = "xavier"
    optimizer: str = "adam"  # "sgd", "momentum" or "adam"
    learning_rate: float = 0.01
    momentum: float = 0.9
    l2: float = 0.0
    batch_size: int = 16
    seed: int = 0


def make_optimizer(model: MLP, config: ClassifierConfig) -> torch.optim.Optimizer:
    """SGD, SGD with momentum, or Adam over all the model's parameters.

    Fused updates: one kernel for every tensor, which halves the optimiser's share of a
    step for these tiny networks (measured in docs/benchmarks.md).
    """
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.learning_rate, fused=True)
    momentum = config.momentum if config.optimizer == "momentum" else 0.0
    return torch.optim.SGD(
        model.parameters(), lr=config.learning_rate, momentum=momentum, fused=True
    )


def loss_from_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy (one logit, sigmoid) or cross-entropy (two logits, softmax)."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], y.float())
    return F.cross_entropy(logits, y)


def data_loss(model: MLP, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The model's mean data loss on x, y (no regularisation)."""
    return loss_from_logits(model(x), y)


class Classifier:
    """A seeded dataset, an MLP and its optimiser; ``step(n)`` trains n minibatch steps.

    Data and weights are made on the CPU (the same numbers on any machine), then moved to
    ``device``, where training runs.
    """

    def __init__(self, config: ClassifierConfig, device: torch.device | None = None) -> None:
        self.config = config
        self.device = torch.device("cpu") if device is None else device
        points, labels = make(config.dataset, config.n_samples, config.noise, config.seed)
        self.train_points, train_y, self.test_points, test_y = split(
            points, labels, config.train_fraction
        )
        self.x_train = torch.from_numpy(features(self.train_points, config.features)).to(
            self.device
        )
        self.y_train = torch.from_numpy(train_y).to(self.device)
        self.x_test = torch.from_numpy(features(self.test_points, config.features)).to(self.device)
        self.y_test = torch.from_numpy(test_y).to(self.device)
        self.batches = EpochSampler(len(self.x_train), config.seed, self.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.model = MLP(
                MLPConfig(
                    n_inputs=len(config.features),
                    hidden=list(config.hidden),
                    activation=config.activation,
                    n_outputs=1 if config.output == "sigmoid" else 2,
                    init=config.init,
                )
            ).to(self.device)
        self.optimizer = make_optimizer(self.model, config)
        self.steps = 0
        self.last_loss = float("nan")

    def step(self, n: int = 1) -> float:
        """Train n steps; return the last minibatch's data loss (read once, after the loop)."""
        self.model.train()
        last = None
        for _ in range(n):
            batch = self.batches.next(self.config.batch_size)
            loss = data_loss(self.model, self.x_train[batch], self.y_train[batch])
            objective = loss
            if self.config.l2 > 0:
                penalty = sum(layer.weight.pow(2).sum() for layer in self.model.linears())
                objective = loss + 0.5 * self.config.l2 * penalty
            self.optimizer.zero_grad(set_to_none=False)
            objective.backward()
            self.optimizer.step()
            self.steps += 1
            last = loss.detach()
        if last is not None:
            self.last_loss = float(last)
        return self.last_loss

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """(mean loss, accuracy) of the model on x, y."""
        if len(x) == 0:
            return float("nan"), float("nan")
        logits = self.model(x)  # (N, 1) or (N, 2)
        loss = float(loss_from_logits(logits, y))
        # P(class 1) > 0.5 exactly when the class-1 logit wins.
        margin = logits[:, 0] if logits.shape[1] == 1 else logits[:, 1] - logits[:, 0]
        predicted = (margin > 0).long()
        return loss, float((predicted == y).float().mean())
