"""The attention lab: a tiny transformer learns to copy, reverse, sort or match brackets.

Frame arrays (see docs/protocol.md, "Lab `attention`"): the chosen test example's ``tokens``,
``target``, ``predicted``, ``logits`` and ``probs``; ``attention/<l>`` and ``scores/<l>``
(heads, L, L) for every layer; ``head/*``, the chosen head step by step; ``positional`` and
``positional_similarity``; ``weight_norm`` / ``grad_norm`` per layer; ``softmax/*``, the
softmax of one answer slot's scaled logits, naive and by log-sum-exp, in float32.
The train metrics are measured on a fixed sample (the first TRAIN_EVAL training sequences).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel

from app.labs import attention_params
from app.labs.attention_params import TRAIN_EVAL, AttentionParams
from app.labs.base import Lab, Output, state_arrays, state_file, to_numpy, train_minibatches
from app.labs.cnn import make_optimizer, retune
from app.labs.sampling import EpochSampler
from app.nets.transformer import Transformer
from app.probes import attention as probe

N_TRAIN = 4096  # training sequences, drawn once per build from the run's seed


class AttentionLab(Lab):
    """Train a tiny transformer on a token task; stream its attention, softmax and norms."""

    id = "attention"
    title = "Attention: a tiny transformer"
    summary = "Watch heads learn where to look: reverse, sort, copy, or match brackets."
    Params = AttentionParams
    # Every frame carries these metrics (lesson challenges may name any of them).
    metrics: ClassVar[tuple[str, ...]] = (
        "loss",
        "train_acc",
        "test_loss",
        "test_acc",
        "test_seq_acc",
        "naive_softmax_ok",
        "lse_softmax_ok",
        "max_logit",
        "naive_loss",
        "lse_loss",
        "batch_loss",
        "epoch",
        "example_right",
        "head_layer",
        "head",
        "position",
    )
    live_params: ClassVar[frozenset[str]] = frozenset(
        {
            "example",
            "head_layer",
            "head",
            "position",
            "logit_scale",
            "fps",
            "steps_per_frame",
            "learning_rate",
            "momentum",
            "weight_decay",
            "batch_size",
            "optimizer",
        }
    )

    def __init__(self, params: AttentionParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def validate(cls, params: dict[str, Any], base: BaseModel | None = None) -> BaseModel:
        return super().validate(attention_params.follow(params, base), base)

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        attention_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        attention_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: AttentionParams = params  # type: ignore[assignment]
        task = p.token_task()
        classes = task.token_names()[:-1] if p.task != "brackets" else list(range(p.seq_len))
        return {
            "length": task.length,
            "seq_len": p.seq_len,
            "answer_from": p.seq_len,
            "tokens": task.token_names(),
            "classes": [str(c) for c in classes],
            "layers": p.layers,
            "heads": p.heads,
            "d_head": p.d_model // p.heads,
            "causal": p.causal,
            "n_params": attention_params.costs(p)["n_params"],
            "weights": ["embedding", *(f"layer {i + 1}" for i in range(p.layers)), "head"],
        }

    def rebuild(self) -> None:
        p: AttentionParams = self.params  # type: ignore[assignment]
        task = p.token_task()
        x_train, y_train = task.make(p.seed, N_TRAIN)
        x_test, y_test = task.test_set()
        device = self.device
        self.x_train, self.y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
        self.x_test, self.y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
        self.test_tokens, self.test_targets = x_test, y_test  # what frames show, on the CPU
        self.x_train, self.y_train = self.x_train.to(device), self.y_train.to(device)
        self.x_test, self.y_test = self.x_test.to(device), self.y_test.to(device)
        self.x_eval = torch.cat([self.x_test, self.x_train[:TRAIN_EVAL]])  # one pass, not two
        self.batches = EpochSampler(N_TRAIN, p.seed, device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(p.seed)
            self.model = Transformer(p.config())
        self.model.to(self.device)
        self.optimizer = make_optimizer(self.model, p)  # type: ignore[arg-type]
        self.step_count = 0
        self.last_loss = float("nan")
        self._evaluated: tuple[int, dict[str, Any]] | None = None

    def apply_live(self, changed: set[str]) -> None:
        self.optimizer = retune(self.optimizer, self.model, self.params, changed)  # type: ignore[arg-type]

    @staticmethod
    def loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over every answer slot: (B, T, C) logits, (B, T) targets."""
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    def step(self, n: int) -> None:
        loss = train_minibatches(
            self.model,
            self.optimizer,
            self.batches,
            self.params.batch_size,
            n,
            lambda b: self.loss(self.model(self.x_train[b]), self.y_train[b]),
        )
        self.step_count += n
        if loss is not None:
            self.last_loss = loss

    @torch.no_grad()
    def _evaluate(self) -> dict[str, Any]:
        """Train and test loss and accuracy (cached per step)."""
        if self._evaluated is not None and self._evaluated[0] == self.step_count:
            return self._evaluated[1]
        model = self.model.eval()
        logits = model(self.x_eval)  # (N_TEST + TRAIN_EVAL, T, C)
        n = len(self.x_test)
        test, train = logits[:n], logits[n:]
        right = test.argmax(-1) == self.y_test  # (N_TEST, T)
        metrics = {
            "loss": float(self.loss(train, self.y_train[:TRAIN_EVAL])),
            "train_acc": float((train.argmax(-1) == self.y_train[:TRAIN_EVAL]).float().mean()),
            "test_loss": float(self.loss(test, self.y_test)),
            "test_acc": float(right.float().mean()),
            "test_seq_acc": float(right.all(dim=1).float().mean()),
        }
        self._evaluated = (self.step_count, metrics)
        return metrics

    def frame(self) -> Output:
        p: AttentionParams = self.params  # type: ignore[assignment]
        tokens = self.test_tokens[p.example]
        target = torch.from_numpy(self.test_targets[p.example])
        run = probe.trace_example(self.model, tokens)
        logits = run.logits[0]  # (T, C)
        arrays: dict[str, np.ndarray] = {
            "tokens": tokens.astype(np.int32),
            "target": target.numpy().astype(np.int32),
            "predicted": logits.argmax(-1).cpu().numpy().astype(np.int32),
            "logits": to_numpy(logits),
            "probs": to_numpy(torch.softmax(logits, dim=-1)),
        }
        weights, scores = probe.attention_maps(run)
        for layer, (w, s) in enumerate(zip(weights, scores, strict=True)):
            arrays[f"attention/{layer}"] = w
            arrays[f"scores/{layer}"] = s
        steps = probe.head_steps(self.model, run, p.head_layer, p.head)
        arrays.update({f"head/{name}": value for name, value in steps.items()})
        pe = to_numpy(self.model.positions())
        arrays["positional"] = pe
        arrays["positional_similarity"] = probe.position_similarity(pe)
        _, arrays["weight_norm"], arrays["grad_norm"] = probe.layer_norms(self.model)
        demo = probe.softmax_demo(
            arrays["logits"][p.position], p.logit_scale, int(target[p.position])
        )
        arrays["softmax/logits"] = demo.logits
        arrays["softmax/exp"] = demo.exp
        arrays["softmax/naive"] = demo.naive
        arrays["softmax/lse"] = demo.lse
        metrics = {
            **self._evaluate(),
            "naive_softmax_ok": demo.naive_ok,
            "lse_softmax_ok": demo.lse_ok,
            "max_logit": float(demo.logits.max()),
            "naive_loss": demo.naive_loss,
            "lse_loss": demo.lse_loss,
            "batch_loss": None if self.step_count == 0 else self.last_loss,
            "epoch": self.batches.samples_seen / N_TRAIN,
            "example_right": bool((arrays["predicted"] == arrays["target"]).all()),
            "head_layer": p.head_layer,  # the head that head/* shows
            "head": p.head,
            "position": p.position,  # the answer slot of softmax/*
        }
        return Output(self.step_count, metrics, arrays)

    def dataset(self) -> Output:
        return Output(
            self.step_count,
            {"n_train": N_TRAIN, "n_test": len(self.x_test)},
            {
                "test/tokens": self.test_tokens.astype(np.int32),
                "test/targets": self.test_targets.astype(np.int32),
            },
        )

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self.model.state_dict())

    @classmethod
    def export_script(cls, params: BaseModel) -> str:
        from app.labs.attention_script import attention_script

        return attention_script(params.model_dump())

    def export_weights(self) -> bytes:
        return state_file(self.model.state_dict())
