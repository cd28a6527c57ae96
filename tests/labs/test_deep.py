"""The deep lab: bounds and budget before allocation, frame metrics against plain autograd on
its own weights, compare mode on the same batches, and the depth × width sweep."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.labs import deep_params, deep_sweep
from app.labs.base import LabError
from app.labs.deep import DeepLab
from app.labs.deep_params import PROBE_BATCH, SWEEP_DEPTHS, SWEEP_WIDTHS
from app.nets.deep_mlp import count

METRICS = (
    "loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "act_std_first",
    "act_std_last",
    "act_std_ratio",
    "grad_norm_first",
    "grad_norm_last",
    "grad_ratio",
)
SMALL = {"depth": 3, "width": 8}


@pytest.fixture(autouse=True)
def one_thread():
    """The server's workers run one thread each; so do these tests (and on a busy machine a
    second thread only waits for the first)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def lab(**params: object) -> DeepLab:
    return DeepLab(DeepLab.validate({**SMALL, **params}))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"depth": 65}, "depth"),
        ({"depth": 0}, "depth"),
        ({"width": 3}, "width"),
        ({"width": 257}, "width"),
        ({"init": "lecun"}, "init"),
        ({"norm": "weight"}, "norm"),
        ({"dataset": "moons"}, "dataset"),
        ({"b": {"depth": 100}}, "b.depth"),
        ({"b": {"dropout": 0.5}}, "b.dropout"),
        ({"init_std": 0.0}, "init_std"),
    ],
)
def test_validate_refuses_out_of_bounds_params_by_name(params: dict, name: str) -> None:
    with pytest.raises(LabError) as info:
        DeepLab.validate(params)
    assert info.value.code == "invalid_params"
    assert name in [d["param"] for d in info.value.detail]


def test_budget_refuses_before_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_allocation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was built for a refused request")

    monkeypatch.setattr("app.labs.deep_run.DeepMLP", no_allocation)
    with pytest.raises(LabError) as info:
        DeepLab.validate({"depth": 64, "width": 256, "fps": 30, "steps_per_frame": 50})
    assert info.value.code == "over_budget"
    assert {"fps", "steps_per_frame", "depth", "width"} <= set(info.value.detail["params"])
    # the largest network is allowed at a gentle pace
    DeepLab.validate({"depth": 64, "width": 256, "fps": 2, "steps_per_frame": 1, "batch_size": 32})


def test_check_steps_refuses_a_long_request() -> None:
    p = DeepLab.validate({"depth": 64, "width": 256, "fps": 2, "steps_per_frame": 1})
    DeepLab.check_steps(p, 1)
    with pytest.raises(LabError) as info:
        DeepLab.check_steps(p, 1000)
    assert info.value.code == "over_budget" and info.value.detail["max_n"] < 1000


def test_frame_carries_every_metric_and_per_layer_array() -> None:
    run = lab(depth=4, width=8)
    run.step(3)
    frame = run.frame()
    for name in METRICS:
        assert isinstance(frame.metrics[name], float), name
    assert frame.metrics["sweep_done"] is None and "b_loss" not in frame.metrics
    assert set(frame.metrics) == {m for m in DeepLab.metrics if not m.startswith("b_")}
    shapes = {k: v.shape for k, v in frame.arrays.items()}
    assert shapes["act_std"] == (4,) and shapes["act_hist"] == (4, 24)
    assert shapes["grad_norm"] == (5,) and shapes["update_ratio"] == (5,)
    assert shapes["jacobian/layers"] == (4, 8) and shapes["jacobian/chain"] == (4, 2)
    # the first layer maps 2 inputs: two singular values, the rest of its row is NaN
    assert np.isnan(frame.arrays["jacobian/layers"][0, 2:]).all()
    assert frame.metrics["probe_step"] == 3


def test_signal_metrics_match_autograd_on_the_snapshot() -> None:
    run = lab(depth=3, width=8, norm="layer")
    run.step(5)
    frame = run.frame()
    model = copy.deepcopy(run.trainees["a"].model)
    x, y = run.data.x_train[:PROBE_BATCH], run.data.y_train[:PROBE_BATCH]
    hidden = []
    h = x
    for block in model.blocks:
        h = block(h)
        hidden.append(h)
    loss = F.cross_entropy(model.head(h), y)
    loss.backward()
    stds = [float(t.detach().std()) for t in hidden]
    grads = [float(torch.linalg.vector_norm(b.linear.weight.grad)) for b in model.blocks]
    m = frame.metrics
    assert m["act_std_first"] == pytest.approx(stds[0], rel=1e-5)
    assert m["act_std_last"] == pytest.approx(stds[-1], rel=1e-5)
    assert m["act_std_ratio"] == pytest.approx(stds[-1] / stds[0], rel=1e-5)
    assert m["grad_norm_first"] == pytest.approx(grads[0], rel=1e-4)
    assert m["grad_norm_last"] == pytest.approx(grads[-1], rel=1e-4)
    assert m["grad_ratio"] == pytest.approx(grads[0] / grads[-1], rel=1e-4)
    with torch.no_grad():
        test = model.eval()(run.data.x_test)
    assert m["test_acc"] == pytest.approx(float((test.argmax(1) == run.data.y_test).float().mean()))


def test_probes_are_measured_every_probe_every_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deep_params, "probe_every", lambda p: 3)
    run = lab()
    seen = []
    for _ in range(7):
        seen.append(run.frame().metrics["probe_step"])
        run.step(1)
    # measured at frames 0, 3 and 6 (steps 0, 3 and 6); the frames between repeat it
    assert seen == [0, 0, 0, 3, 3, 3, 6]


def test_update_ratio_is_the_last_steps_relative_change() -> None:
    run = lab()
    weights = [lin.weight.detach().clone() for lin in run.trainees["a"].model.linears()]
    run.step(1)
    after = [lin.weight.detach() for lin in run.trainees["a"].model.linears()]
    expected = [float((a - w).norm() / w.norm()) for w, a in zip(weights, after)]
    np.testing.assert_allclose(run.frame().arrays["update_ratio"], expected, rtol=1e-5)


def test_compare_with_no_overrides_trains_b_exactly_as_a() -> None:
    run = lab(compare=True, b={})
    run.step(4)
    frame = run.frame()
    for name in METRICS:
        assert frame.metrics["b_" + name] == frame.metrics[name], name
    np.testing.assert_array_equal(frame.arrays["b/act_std"], frame.arrays["act_std"])
    assert set(frame.metrics) == set(DeepLab.metrics)
    assert "b/blocks.0.linear.weight" in run.snapshot()


def test_compare_b_takes_its_overrides() -> None:
    run = lab(compare=True, b={"depth": 5, "residual": True, "norm": "rms"})
    frame = run.frame()
    assert frame.arrays["b/act_std"].shape == (5,) and frame.arrays["act_std"].shape == (3,)
    b = run.meta(run.params)["configs"]["b"]
    assert (b["depth"], b["width"], b["residual"], b["norm"]) == (5, 8, True, "rms")
    assert b["n_params"] == count(run.trainees["b"].config)[0]


def test_digits_have_64_inputs_and_10_classes() -> None:
    run = lab(dataset="digits")
    frame = run.frame()
    assert run.data.x_train.shape == (1000, 64)
    assert frame.arrays["jacobian/chain"].shape == (3, 8)  # min(width 8, 64 inputs)
    assert run.trainees["a"].model.head.out_features == 10


def test_sweep_trains_every_config_and_reports_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deep_sweep, "SWEEP_STEPS", 10)
    run = lab()
    run.configure(DeepLab.validate({"sweep": True}, base=run.params))  # live: no rebuild
    first = run.frame()
    assert (first.metrics["sweep_done"], first.metrics["sweep_total"]) == (0, 12)
    for _ in range(60):
        run.step(1)
        if run.sweep.finished:
            break
    frame = run.frame()
    assert frame.metrics["sweep_done"] == 12 and frame.metrics["sweep_progress"] == 1.0
    results = frame.arrays["sweep/results"]
    assert results.shape == (12, 6)
    grid = [(d, w) for d in SWEEP_DEPTHS for w in SWEEP_WIDTHS]
    assert [tuple(r) for r in results[:, :2].astype(int)] == grid
    for row, config in zip(results, run.sweep.configs):
        assert tuple(row[2:4]) == count(config)
    assert ((results[:, 4] >= 0) & (results[:, 4] <= 1)).all()


def test_a_diverged_run_still_frames_with_null_metrics() -> None:
    run = lab(depth=8, width=16, optimizer="sgd", learning_rate=10.0, init="normal", init_std=2.0)
    run.step(10)
    frame = run.frame()
    assert frame.metrics["loss"] is None and frame.metrics["batch_loss"] is None
    assert np.isnan(frame.arrays["jacobian/product"]).all()


def test_jacobian_arrays_match_autograd_on_the_snapshot() -> None:
    from torch.autograd.functional import jacobian

    from app.nets.norms import group_count
    from tests.nets import deep_reference

    run = lab(depth=4, width=8, norm="group", residual=True, compare=True, b={"norm": "batch"})
    run.step(6)
    frame = run.frame()
    snapshot = {k: torch.from_numpy(v) for k, v in run.snapshot().items()}
    x = run.data.x_train[0].double()  # the documented probe input
    for which, prefix in (("a", ""), ("b", "b/")):
        config = run.trainees[which].config
        state = {k[len(prefix) :]: v for k, v in snapshot.items() if k.startswith(prefix)}
        if which == "a":
            state = {k: v for k, v in state.items() if not k.startswith("b/")}

        def stack(v: torch.Tensor, config=config, state=state) -> torch.Tensor:
            outs = deep_reference.forward(config, state, v[None], group_count(config.width))
            return outs[-2][0]

        end_to_end = jacobian(stack, x)  # (width, 2)
        np.testing.assert_allclose(
            frame.arrays[prefix + "jacobian/product"],
            torch.linalg.svdvals(end_to_end).numpy(),
            rtol=1e-4,
            atol=1e-6,
        )
        h = x
        for index in range(config.depth):

            def layer(v: torch.Tensor, index=index, config=config, state=state) -> torch.Tensor:
                groups = group_count(config.width)
                return deep_reference.block(config, state, index, v[None], groups)[0]

            expected = torch.linalg.svdvals(jacobian(layer, h)).numpy()
            got = frame.arrays[prefix + "jacobian/layers"][index, : len(expected)]
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
            h = layer(h)
