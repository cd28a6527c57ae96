"""The two-moons lab: every streamed number recomputed independently, params, budget, probes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.data.toy2d import make, split
from app.labs import two_moons
from app.labs.base import LabError
from app.labs.two_moons import TwoMoons, TwoMoonsParams
from app.live.worker import Worker
from app.protocol.codec import decode
from tests.labs import reference as ref

EXACT = {
    "precision": "float32",
    "features": ["x", "y", "x2", "sinx"],
    "hidden": [5, 3],
    "activation": "tanh",
    "grid_n": 30,
    "neuron_grid": 12,
}


def _lab(**params) -> TwoMoons:
    return TwoMoons(TwoMoons.validate(params))


def _train_set(lab: TwoMoons) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    data = lab.dataset()
    a = data.arrays
    return a["train/x"], a["train/y"], a["test/x"], a["test/y"]


def test_frame_float32_matches_numpy_forward() -> None:
    lab = _lab(**EXACT)
    lab.step(25)
    out = lab.frame()
    state = lab.snapshot()
    assert out.step == 25
    assert out.quantize == set()
    _hidden, logits = ref.forward(
        state, ref.feature_table(ref.grid(-2, 2, 30), EXACT["features"]), "tanh"
    )
    boundary = out.arrays["boundary"]
    assert boundary.shape == (30, 30)
    assert boundary.dtype == np.float32
    np.testing.assert_allclose(boundary, ref.prob_class1(logits).reshape(30, 30), atol=2e-6)

    small, _ = ref.forward(state, ref.feature_table(ref.grid(-2, 2, 12), EXACT["features"]), "tanh")
    for k, units in enumerate(EXACT["hidden"]):
        neurons = out.arrays[f"neurons/{k}"]
        assert neurons.shape == (units, 12, 12)
        expected = small[k].reshape(12, 12, units).transpose(2, 0, 1)  # (units, m_y, m_x)
        np.testing.assert_allclose(neurons, expected, atol=2e-6)
    assert "neurons/2" not in out.arrays


def test_frame_uint8_within_quantization_step() -> None:
    worker = Worker()
    params = TwoMoons.validate({**EXACT, "precision": "uint8"}).model_dump()
    kinds = [kind for kind, _ in worker.build("r", "two-moons", params)]
    assert kinds == ["dataset", "frame"]
    ((kind, message),) = worker.advance("r", 12)
    assert kind == "frame"
    frame = decode(message)
    ((_, snap),) = worker.snapshot("r")
    state = {k: a.data for k, a in decode(snap).arrays.items()}
    assert frame.step == decode(snap).step == 12

    grid = ref.feature_table(ref.grid(-2, 2, 30), EXACT["features"])
    _hidden, logits = ref.forward(state, grid, "tanh")
    expected = ref.prob_class1(logits).reshape(30, 30)
    boundary = frame.arrays["boundary"]
    assert boundary.data.dtype == np.uint8
    lo, hi = boundary.scale
    np.testing.assert_allclose([lo, hi], [expected.min(), expected.max()], atol=1e-6)
    assert np.abs(boundary.values() - expected).max() <= (hi - lo) / 510 + 1e-6

    small, _ = ref.forward(state, ref.feature_table(ref.grid(-2, 2, 12), EXACT["features"]), "tanh")
    for k, units in enumerate(EXACT["hidden"]):
        neurons = frame.arrays[f"neurons/{k}"]
        assert neurons.data.dtype == np.uint8
        lo, hi = neurons.scale
        want = small[k].reshape(12, 12, units).transpose(2, 0, 1)
        assert np.abs(neurons.values() - want).max() <= (hi - lo) / 510 + 1e-6
    # Weights and norms are never quantised.
    assert frame.arrays["weights/0"].data.dtype == np.float32
    assert frame.arrays["grad_norm"].scale is None


def test_frame_weights_equal_snapshot() -> None:
    lab = _lab(**EXACT)
    lab.step(7)
    out = lab.frame()
    state = lab.snapshot()
    names = ["hidden.0.weight", "hidden.1.weight", "out.weight"]
    for k, name in enumerate(names):
        np.testing.assert_array_equal(out.arrays[f"weights/{k}"], state[name])
    assert f"weights/{len(names)}" not in out.arrays
    expected = [np.linalg.norm(state[name].astype(np.float64)) for name in names]
    np.testing.assert_allclose(out.arrays["weight_norm"], expected, rtol=1e-6)
    assert set(state) == {*names, "hidden.0.bias", "hidden.1.bias", "out.bias"}
    assert all(v.dtype == np.float32 for v in state.values())


def _manual_grad_norms(
    state: dict, x: np.ndarray, y: np.ndarray, features: list[str], activation: str, l2: float
) -> list[float]:
    """‖∂objective/∂W_l‖ by a plain float64 autograd pass written here."""
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in state.items()
    }
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    h = torch.tensor(ref.feature_table(x, features))
    k = 0
    weights = []
    while f"hidden.{k}.weight" in tensors:
        weights.append(tensors[f"hidden.{k}.weight"])
        h = acts[activation](h @ tensors[f"hidden.{k}.weight"].T + tensors[f"hidden.{k}.bias"])
        k += 1
    weights.append(tensors["out.weight"])
    z = h @ tensors["out.weight"].T + tensors["out.bias"]
    target = torch.tensor(y, dtype=torch.float64)
    if z.shape[1] == 1:
        loss = (torch.logaddexp(torch.zeros_like(z[:, 0]), z[:, 0]) - target * z[:, 0]).mean()
    else:
        picked = z.gather(1, torch.tensor(y, dtype=torch.long)[:, None])[:, 0]
        loss = (torch.logsumexp(z, dim=1) - picked).mean()
    objective = loss + 0.5 * l2 * sum((w**2).sum() for w in weights)
    return [float(torch.linalg.norm(g)) for g in torch.autograd.grad(objective, weights)]


@pytest.mark.parametrize(
    ("output", "l2", "optimizer"),
    [("sigmoid", 0.0, "adam"), ("softmax", 0.0, "sgd"), ("sigmoid", 0.05, "momentum")],
)
def test_frame_grad_norm_equals_autograd_on_minibatch(
    output: str, l2: float, optimizer: str
) -> None:
    params = {**EXACT, "output": output, "l2": l2, "optimizer": optimizer, "seed": 4}
    lab = _lab(**params)
    assert lab.frame().arrays["grad_norm"].tolist() == [0.0, 0.0, 0.0]
    lab.step(2)
    before = lab.snapshot()
    lab.step(1)  # the third minibatch of the first epoch
    probed = lab.frame().arrays["grad_norm"]

    train_x, train_y, _, _ = _train_set(lab)
    # Minibatches walk a shuffle of the train set drawn from a generator seeded with the seed.
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(4))
    batch = order[32:48].numpy()
    expected = _manual_grad_norms(
        before, train_x[batch], train_y[batch], EXACT["features"], "tanh", l2
    )
    np.testing.assert_allclose(probed, expected, rtol=1e-4)


def test_frame_metrics_equal_recomputation() -> None:
    lab = _lab(**EXACT, batch_size=20)
    first = lab.frame().metrics
    assert first["batch_loss"] is None
    assert first["epoch"] == 0
    lab.step(15)
    out = lab.frame()
    state = lab.snapshot()
    train_x, train_y, test_x, test_y = _train_set(lab)
    m = out.metrics
    for x, y, loss_key, acc_key in [
        (train_x, train_y, "loss", "train_acc"),
        (test_x, test_y, "test_loss", "test_acc"),
    ]:
        _, logits = ref.forward(state, ref.feature_table(x, EXACT["features"]), "tanh")
        assert m[loss_key] == pytest.approx(ref.mean_loss(logits, y), rel=1e-5)
        accuracy = np.mean((ref.prob_class1(logits) > 0.5) == (y == 1))
        assert m[acc_key] == pytest.approx(accuracy, abs=1e-6)  # float32 mean
    assert m["epoch"] == pytest.approx(15 * 20 / len(train_x))
    assert isinstance(m["batch_loss"], float)
    assert m["batch_loss"] > 0


def test_dataset_equals_make_and_split() -> None:
    lab = _lab(dataset="circles", n_samples=300, noise=0.1, train_fraction=0.6, seed=9)
    out = lab.dataset()
    points, labels = make("circles", 300, 0.1, 9)
    x_train, y_train, x_test, y_test = split(points, labels, 0.6)
    np.testing.assert_array_equal(out.arrays["train/x"], x_train)
    np.testing.assert_array_equal(out.arrays["train/y"], y_train)
    np.testing.assert_array_equal(out.arrays["test/x"], x_test)
    np.testing.assert_array_equal(out.arrays["test/y"], y_test)
    assert out.arrays["train/y"].dtype == np.int32
    assert out.metrics == {"n_train": 180, "n_test": 120}


def test_meta_describes_grid_and_layers() -> None:
    params = TwoMoons.validate({"grid_n": 50, "features": ["x", "xy", "y"], "hidden": [6]})
    assert TwoMoons.meta(params) == {
        "grid": {"x": [-2.0, 2.0, 50], "y": [-2.0, 2.0, 50]},
        "neuron_grid": {"x": [-2.0, 2.0, 32], "y": [-2.0, 2.0, 32]},
        "layers": [3, 6, 1],
        "features": ["x", "xy", "y"],
    }


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"noise": "0.2"}, "noise"),
        ({"n_samples": 100.5}, "n_samples"),
        ({"hidden": "4,4"}, "hidden"),
        ({"activation": "gelu"}, "activation"),
        ({"noise": 0.9}, "noise"),
        ({"n_samples": 10}, "n_samples"),
        ({"hidden": [4, 0]}, "hidden.1"),
        ({"hidden": [4] * 7}, "hidden"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"seed": -1}, "seed"),
        ({"wings": 2}, "wings"),
        ({"features": ["x", "x"]}, "features"),
        ({"features": []}, "features"),
    ],
)
def test_validate_params_invalid(params: dict, param: str) -> None:
    with pytest.raises(LabError) as caught:
        TwoMoons.validate(params)
    exc = caught.value
    assert exc.code == "invalid_params"
    assert param in [d["param"] for d in exc.detail]
    assert param.split(".")[0] in exc.message


def test_validate_params_merges_over_base() -> None:
    base = TwoMoons.validate({"hidden": [8], "noise": 0.1})
    merged = TwoMoons.validate({"noise": 0.3}, base=base)
    assert merged.hidden == [8]
    assert merged.noise == 0.3
    assert TwoMoonsParams().model_dump() == TwoMoons.validate({}).model_dump()


OVER_BUDGET = [
    {"fps": 60, "steps_per_frame": 200},
    {"precision": "float32", "grid_n": 200, "hidden": [16] * 6, "neuron_grid": 64},
    {
        "hidden": [16] * 6,
        "features": ["x", "y", "x2", "y2", "xy", "sinx", "siny"],
        "batch_size": 1000,
        "n_samples": 2000,
        "fps": 60,
        "steps_per_frame": 30,
    },
]


@pytest.mark.parametrize("params", OVER_BUDGET)
def test_validate_over_budget_allocates_nothing(params: dict, monkeypatch) -> None:
    built = []
    monkeypatch.setattr(two_moons, "Classifier", lambda config: built.append(config))
    with pytest.raises(LabError) as caught:
        TwoMoons.validate(params)
    assert caught.value.code == "over_budget"
    assert "budget" in caught.value.message
    assert {"steps_per_s", "macs_per_s", "frame_bytes"} <= set(caught.value.detail)
    worker = Worker()
    with pytest.raises(LabError) as caught:
        worker.build("r", "two-moons", {**TwoMoonsParams().model_dump(), **params})
    assert caught.value.code == "over_budget"
    assert built == []
    assert worker.runs == {}


def test_configure_over_budget_keeps_run(monkeypatch) -> None:
    worker = Worker()
    worker.build("r", "two-moons", TwoMoonsParams().model_dump())
    worker.advance("r", 3)
    lab = worker.runs["r"]
    model = lab.run.model
    built = []
    monkeypatch.setattr(two_moons, "Classifier", lambda config: built.append(config))
    with pytest.raises(LabError):
        worker.configure("r", {**lab.params.model_dump(), "fps": 60, "steps_per_frame": 200})
    assert built == []
    assert lab.run.model is model
    assert lab.step_count == 3


def test_budget_default_params_allowed() -> None:
    TwoMoons.budget(TwoMoonsParams())
    TwoMoons.budget(TwoMoonsParams(precision="float32"))


def test_configure_live_param_keeps_model() -> None:
    lab = _lab(**EXACT)
    lab.step(5)
    model = lab.run.model
    before = lab.snapshot()
    rebuilt = lab.configure(TwoMoons.validate({"learning_rate": 0.5, "batch_size": 4}, lab.params))
    assert rebuilt is False
    assert lab.step_count == 5
    assert lab.run.model is model
    assert all(group["lr"] == 0.5 for group in lab.run.optimizer.param_groups)
    for name, value in lab.snapshot().items():
        np.testing.assert_array_equal(value, before[name])
    lab.step(1)
    assert lab.step_count == 6


def test_configure_optimizer_switch_live() -> None:
    lab = _lab(optimizer="sgd", learning_rate=0.1)
    lab.step(2)
    lab.configure(TwoMoons.validate({"optimizer": "momentum", "momentum": 0.5}, lab.params))
    assert lab.step_count == 2
    assert isinstance(lab.run.optimizer, torch.optim.SGD)
    assert lab.run.optimizer.param_groups[0]["momentum"] == 0.5


def test_configure_rebuild_param_steps_back_to_zero() -> None:
    lab = _lab(**EXACT)
    lab.step(5)
    rebuilt = lab.configure(TwoMoons.validate({"hidden": [2]}, lab.params))
    assert rebuilt is True
    assert lab.step_count == 0
    assert lab.frame().step == 0
    assert lab.snapshot()["hidden.0.weight"].shape == (2, 4)


def test_step_same_seed_same_run() -> None:
    a, b = _lab(**EXACT, seed=7), _lab(**EXACT, seed=7)
    a.step(30)
    b.step(10)
    b.step(20)
    for name, value in a.snapshot().items():
        np.testing.assert_array_equal(value, b.snapshot()[name])
    np.testing.assert_array_equal(a.frame().arrays["boundary"], b.frame().arrays["boundary"])
    assert a.frame().metrics == b.frame().metrics
    c = _lab(**EXACT, seed=8)
    c.step(30)
    assert not np.array_equal(a.snapshot()["out.weight"], c.snapshot()["out.weight"])


def test_rebuild_restarts_identically() -> None:
    lab = _lab(**EXACT, seed=3)
    lab.step(10)
    first = lab.snapshot()
    lab.step(5)
    lab.rebuild()
    assert lab.step_count == 0
    lab.step(10)
    for name, value in lab.snapshot().items():
        np.testing.assert_array_equal(value, first[name])


def test_probe_predict_equals_numpy() -> None:
    lab = _lab(**EXACT, output="softmax")
    lab.step(10)
    points = [[0.0, 0.0], [1.5, -0.25], [-2.0, 2.0], [0.3, 0.9]]
    out = lab.probe("predict", {"points": points})
    p = out.arrays["p"]
    assert p.shape == (4,)
    assert p.dtype == np.float32
    assert out.step == 10
    expected = ref.predict(lab.snapshot(), np.array(points), EXACT["features"], "tanh")
    np.testing.assert_allclose(p, expected, atol=2e-6)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"points": None},
        {"points": []},
        {"points": [1.0, 2.0]},
        {"points": [[1.0, 2.0, 3.0]]},
        {"points": [[1.0], [2.0, 3.0]]},
        {"points": "abc"},
        {"points": {"x": 1}},
        {"points": [["a", "b"]]},
        {"points": [[0.0, 0.0]] * 4097},
        {"points": [[float("nan"), 0.0]]},
        {"points": [[float("inf"), 0.0]]},
    ],
)
def test_probe_predict_bad_args(args: dict) -> None:
    lab = _lab()
    with pytest.raises(LabError) as caught:
        lab.probe("predict", args)
    assert caught.value.code == "bad_probe"


def test_probe_unknown_name() -> None:
    with pytest.raises(LabError) as caught:
        _lab().probe("saliency", {})
    assert caught.value.code == "unknown_probe"


@pytest.mark.parametrize("precision", ["uint8", "float32"])
def test_advance_diverged_run_still_streams(precision: str) -> None:
    """A learning rate within bounds can blow the model up; frames must still go out."""
    params = {
        "optimizer": "sgd",
        "learning_rate": 10.0,
        "hidden": [16, 16, 16, 16],
        "activation": "linear",
        "init": "he",
        "output": "softmax",
        "precision": precision,
    }
    worker = Worker()
    worker.build("r", "two-moons", TwoMoons.validate(params).model_dump())
    for _ in range(4):
        ((kind, message),) = worker.advance("r", 5)
    frame = decode(message)
    assert kind == "frame"
    assert frame.step == 20
    assert frame.metrics["loss"] is None  # NaN travels as null
    assert frame.metrics["test_loss"] is None
    assert frame.arrays["boundary"].data.shape == (100, 100)
    assert not np.isfinite(worker.runs["r"].snapshot()["out.weight"]).all()
    # A reset brings the run back.
    worker.reset("r", TwoMoons.validate({**params, "learning_rate": 0.01}).model_dump())
    ((_, message),) = worker.advance("r", 5)
    assert np.isfinite(decode(message).metrics["loss"])


def test_epoch_counts_samples_across_batch_size_change() -> None:
    lab = _lab(batch_size=10, n_samples=200, train_fraction=0.5)  # 100 train points
    lab.step(5)  # 50 samples
    lab.configure(TwoMoons.validate({"batch_size": 25}, base=lab.params))
    lab.step(2)  # 50 more: one epoch in all
    assert lab.frame().metrics["epoch"] == pytest.approx(1.0)


def test_check_steps_refuses_a_long_request() -> None:
    small = TwoMoons.validate({})
    TwoMoons.check_steps(small, 1000)  # about 0.5 s of work: fine
    big = TwoMoons.validate({"hidden": [16] * 6, "batch_size": 1000, "n_samples": 2000})
    TwoMoons.check_steps(big, 10)
    with pytest.raises(LabError) as refused:
        TwoMoons.check_steps(big, 1000)
    assert refused.value.code == "over_budget"
    assert refused.value.detail["max_n"] < 1000
    assert "batch_size" in refused.value.detail["params"]
