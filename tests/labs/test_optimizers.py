"""The optimizers lab: paths reproduced by a loop calling torch.optim directly and by hand
formulas, schedules by hand, Adam's effective steps against the actual parameter change, the
networks' losses from the snapshot, params and their refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from app.labs.base import LabError
from app.labs.optimizers import PATH_POINTS, OptimizersLab, Trace
from app.labs.optimizers_params import OptimizersParams

ALL = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]


def _lab(**params) -> OptimizersLab:
    return OptimizersLab(OptimizersLab.validate(params))


def f_bowl(x, y):
    return (x**2 + 16 * y**2) / 2


def f_rosenbrock(x, y):
    return ((1 - x) ** 2 + 100 * (y - x**2) ** 2) / 100


def reference_path(kind: str, f, start, steps: int, factor, **h) -> np.ndarray:
    """The path of torch.optim's ``kind`` on f, the learning rate set by hand every step."""
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    lr = h["lr"]
    if kind == "sgd":
        opt = torch.optim.SGD([point], lr=lr)
    elif kind == "momentum":
        opt = torch.optim.SGD([point], lr=lr, momentum=h["momentum"])
    elif kind == "nesterov":
        opt = torch.optim.SGD([point], lr=lr, momentum=h["momentum"], nesterov=True)
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop([point], lr=lr, alpha=h["alpha"], eps=h["eps"])
    elif kind == "adam":
        opt = torch.optim.Adam([point], lr=lr, betas=h["betas"], eps=h["eps"])
    else:
        opt = torch.optim.AdamW(
            [point], lr=lr, betas=h["betas"], eps=h["eps"], weight_decay=h["decay"]
        )
    path = [list(start)]
    for t in range(steps):
        opt.param_groups[0]["lr"] = lr * factor(t)
        opt.zero_grad()
        f(point[0], point[1]).backward()
        opt.step()
        path.append(point.detach().tolist())
    return np.array(path)


@pytest.mark.parametrize(
    ("surface", "f", "schedule", "factor"),
    [
        ("bowl", f_bowl, "constant", lambda t: 1.0),
        ("rosenbrock", f_rosenbrock, "cosine", lambda t: 0.5 * (1 + math.cos(math.pi * t / 80))),
        ("rosenbrock", f_rosenbrock, "warmup", lambda t: min(1.0, (t + 1) / 30)),
        ("bowl", f_bowl, "step", lambda t: 0.5 ** (t // 20)),
    ],
)
def test_paths_match_a_plain_torch_optim_loop(surface, f, schedule, factor) -> None:
    params = {
        "surface": surface,
        "optimizers": ALL,
        "schedule": schedule,
        "schedule_steps": {"cosine": 80, "warmup": 30, "step": 20}.get(schedule, 200),
        "start_x": -1.2,
        "start_y": 1.0,
        "momentum": 0.8,
        "beta1": 0.85,
        "beta2": 0.99,
        "eps": 1e-6,
        "rms_alpha": 0.9,
        "adamw_decay": 0.1,
        "lr_sgd": 0.03,
        "lr_momentum": 0.01,
        "lr_nesterov": 0.01,
        "lr_rmsprop": 0.005,
        "lr_adam": 0.02,
        "lr_adamw": 0.02,
        "network": False,
    }
    lab = _lab(**params)
    lab.step(70)
    paths = lab.paths
    h = {"momentum": 0.8, "betas": (0.85, 0.99), "eps": 1e-6, "alpha": 0.9, "decay": 0.1}
    for kind in ALL:
        expected = reference_path(kind, f, (-1.2, 1.0), 70, factor, lr=params[f"lr_{kind}"], **h)
        assert paths[kind].shape == (71, 2)
        np.testing.assert_allclose(paths[kind], expected, rtol=1e-12, atol=1e-14, err_msg=kind)
    out = lab.frame()
    for kind in ALL:
        np.testing.assert_allclose(out.arrays[f"path/{kind}"], paths[kind], rtol=1e-6)
        assert out.metrics[f"lr_{kind}"] == pytest.approx(params[f"lr_{kind}"] * factor(70))


def grad_bowl(x: float, y: float) -> np.ndarray:
    return np.array([x, 16 * y])


def test_momentum_and_nesterov_first_steps_by_hand() -> None:
    lr, beta, start = 0.01, 0.9, np.array([1.5, -0.5])
    lab = _lab(
        surface="bowl", optimizers=["momentum", "nesterov"], start_x=1.5, start_y=-0.5,
        lr_momentum=lr, lr_nesterov=lr, momentum=beta, network=False,
    )  # fmt: skip
    lab.step(3)
    # heavy ball: v ← βv + g, x ← x − lr·v (v starts as the first gradient)
    x, v = start.copy(), None
    momentum = [x.copy()]
    for _ in range(3):
        g = grad_bowl(*x)
        v = g if v is None else beta * v + g
        x = x - lr * v
        momentum.append(x.copy())
    # Nesterov (Sutskever et al. 2013, as torch writes it): x ← x − lr·(g + βv)
    x, v = start.copy(), None
    nesterov = [x.copy()]
    for _ in range(3):
        g = grad_bowl(*x)
        v = g if v is None else beta * v + g
        x = x - lr * (g + beta * v)
        nesterov.append(x.copy())
    np.testing.assert_allclose(lab.paths["momentum"], momentum, rtol=1e-12)
    np.testing.assert_allclose(lab.paths["nesterov"], nesterov, rtol=1e-12)
    # the first momentum step is plain SGD: 1.5 − 0.01·1.5, −0.5 − 0.01·(−8)
    assert lab.paths["momentum"][1] == pytest.approx([1.485, -0.42])


def test_adam_first_steps_by_hand() -> None:
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    lab = _lab(
        surface="bowl", optimizers=["adam"], start_x=1.0, start_y=0.5, lr_adam=lr,
        beta1=b1, beta2=b2, eps=eps, network=False,
    )  # fmt: skip
    lab.step(2)
    x, m, v = np.array([1.0, 0.5]), np.zeros(2), np.zeros(2)
    expected = [x.copy()]
    for t in (1, 2):
        g = grad_bowl(*x)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(x.copy())
    np.testing.assert_allclose(lab.paths["adam"], expected, rtol=1e-12)
    # Adam's first step is lr·sign(g) in every coordinate, whatever the gradient's size
    assert lab.paths["adam"][1] == pytest.approx([0.9, 0.4], abs=1e-8)


def test_schedule_factors_by_hand() -> None:
    lab = _lab(schedule="step", schedule_steps=10, step_gamma=0.1, optimizers=["sgd"],
               lr_sgd=0.2, network=False)  # fmt: skip
    seen = []
    for _ in range(3):
        seen.append(lab.frame().metrics["lr_sgd"])
        lab.step(10)
    assert seen == pytest.approx([0.2, 0.02, 0.002])
    lab = _lab(schedule="cosine", schedule_steps=100, optimizers=["adam"], lr_adam=0.1,
               network=False)  # fmt: skip
    lab.step(50)
    assert lab.frame().metrics["lr_adam"] == pytest.approx(0.05)
    lab.step(60)
    assert lab.frame().metrics["lr_adam"] == pytest.approx(0.0, abs=1e-15)
    lab = _lab(schedule="warmup", schedule_steps=4, optimizers=["sgd"], lr_sgd=0.4,
               network=False)  # fmt: skip
    assert lab.frame().metrics["lr_sgd"] == pytest.approx(0.1)
    lab.step(5)
    assert lab.frame().metrics["lr_sgd"] == pytest.approx(0.4)


def _flat(state: dict, prefix: str) -> np.ndarray:
    names = [k for k in state if k.startswith(prefix) and not k.endswith("/point")]
    return np.concatenate([state[k].ravel() for k in names]).astype(np.float64)


def test_effective_step_is_the_parameter_change() -> None:
    lab = _lab(optimizers=["adam", "adamw"], lr_adam=0.01, lr_adamw=0.01, adamw_decay=0.5)
    lab.step(4)
    before = lab.snapshot()
    lab.step(1)
    after = lab.snapshot()
    out = lab.frame()
    adam = out.arrays["effective_step/adam"]
    assert adam.shape == (lab.meta(lab.params)["net_params"],)
    change = _flat(after, "adam/") - _flat(before, "adam/")
    np.testing.assert_allclose(change, -adam, atol=2e-7)
    # AdamW also shrinks every weight by lr·λ·θ, apart from the effective step
    old = _flat(before, "adamw/")
    change = _flat(after, "adamw/") - old
    np.testing.assert_allclose(change, -out.arrays["effective_step/adamw"] - 0.01 * 0.5 * old,
                               atol=2e-7)  # fmt: skip
    assert "effective_step/sgd" not in out.arrays


def test_networks_share_init_and_losses_match_the_snapshot() -> None:
    lab = _lab(optimizers=["sgd", "rmsprop"], batch_size=16, seed=3)
    start = lab.snapshot()
    np.testing.assert_array_equal(_flat(start, "sgd/"), _flat(start, "rmsprop/"))
    lab.step(30)
    out = lab.frame()
    state = lab.snapshot()
    x = lab.x_train.double()
    y = lab.y_train.double()
    for kind in ("sgd", "rmsprop"):
        w = {k.split("/", 1)[1]: torch.tensor(v, dtype=torch.float64) for k, v in state.items()
             if k.startswith(kind + "/") and not k.endswith("point")}  # fmt: skip
        h = x
        for i in range(2):
            h = torch.tanh(h @ w[f"hidden.{i}.weight"].T + w[f"hidden.{i}.bias"])
        z = (h @ w["out.weight"].T + w["out.bias"])[:, 0]
        p = 1 / (1 + torch.exp(-z))
        bce = float(-(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean())
        assert out.metrics[f"net_loss_{kind}"] == pytest.approx(bce, rel=1e-4)
        assert 0.0 <= out.metrics[f"net_acc_{kind}"] <= 1.0
    assert out.metrics["net_loss_sgd"] != out.metrics["net_loss_rmsprop"]


def test_metrics_name_distance_value_and_min_dist() -> None:
    lab = _lab(surface="bowl", optimizers=["sgd", "adam"], start_x=1.0, start_y=1.0)
    lab.step(5)
    m = lab.frame().metrics
    for kind in ("sgd", "adam"):
        x, y = m[f"x_{kind}"], m[f"y_{kind}"]
        assert m[f"dist_{kind}"] == pytest.approx(math.hypot(x, y))
        assert m[f"value_{kind}"] == pytest.approx((x * x + 16 * y * y) / 2)
        assert isinstance(m[f"net_loss_{kind}"], float)
    assert m["min_dist"] == pytest.approx(min(m["dist_sgd"], m["dist_adam"]))
    assert "loss" not in m and "dist_momentum" not in m


def test_saddle_has_no_distance_and_escaped_points_stop() -> None:
    lab = _lab(surface="saddle", optimizers=["sgd"], lr_sgd=0.5, start_x=1.0, start_y=0.5,
               network=False)  # fmt: skip
    lab.step(5)
    m = lab.frame().metrics
    assert m["dist_sgd"] is None and m["min_dist"] is None
    # SGD on (x² − y²)/2: x ← x(1 − lr), y ← y(1 + lr)
    assert (m["x_sgd"], m["y_sgd"]) == pytest.approx((0.5**5, 0.5 * 1.5**5))
    assert m["value_sgd"] == pytest.approx((m["x_sgd"] ** 2 - m["y_sgd"] ** 2) / 2)
    assert m["escaped_sgd"] is False
    lab.step(20)  # 0.5·1.5^t passes 100 at t = 14
    m = lab.frame().metrics
    assert m["escaped_sgd"] is True
    assert m["y_sgd"] == pytest.approx(0.5 * 1.5**13)
    assert lab.paths["sgd"].shape == (26, 2)


def test_trace_thins_to_every_other_point() -> None:
    trace = Trace((0.0, 0.0))
    for t in range(1, 2 * PATH_POINTS + 1):
        trace.add(t, (float(t), 0.0))
    xs = [p[0] for p in trace.points]
    assert len(xs) <= PATH_POINTS + 1
    step = trace.every
    assert step >= 2
    assert xs == [float(t) for t in range(0, 2 * PATH_POINTS + 1, step)][: len(xs)]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"optimizers": ["adam", "adam"]}, "optimizers"),
        ({"optimizers": ["lion"]}, "optimizers.0"),
        ({"optimizers": []}, "optimizers"),
        ({"lr_adam": 0.0}, "lr_adam"),
        ({"lr_sgd": 2.0}, "lr_sgd"),
        ({"surface": "himmelblau"}, "surface"),
        ({"start_x": 5.0}, "start_x"),
        ({"schedule": "cyclic"}, "schedule"),
        ({"momentum": 0.0}, "momentum"),
        ({"batch_size": 1000}, "batch_size"),
    ],
)
def test_bad_params_are_refused_by_name(params: dict, param: str) -> None:
    with pytest.raises(LabError) as info:
        OptimizersLab.validate(params)
    assert info.value.code == "invalid_params"
    assert param in [d["param"] for d in info.value.detail]


def test_over_budget_is_refused_before_building() -> None:
    with pytest.raises(LabError) as info:
        OptimizersLab.validate({"optimizers": ALL, "fps": 60, "steps_per_frame": 50})
    assert info.value.code == "over_budget"
    assert "steps_per_frame" in info.value.detail["params"]
    p = OptimizersParams(optimizers=ALL)
    OptimizersLab.check_steps(p, 100)
    with pytest.raises(LabError) as info:
        OptimizersLab.check_steps(p, 100_000)
    assert info.value.code == "over_budget"


def test_dataset_carries_the_surface_grid() -> None:
    lab = _lab(surface="rosenbrock", grid_n=21)
    data = lab.dataset()
    xs, ys = data.arrays["surface/x"], data.arrays["surface/y"]
    assert data.arrays["surface"].shape == (21, 21)
    i, j = 7, 15
    expected = f_rosenbrock(float(xs[j]), float(ys[i]))
    assert data.arrays["surface"][i, j] == pytest.approx(expected, rel=1e-5)
    meta = OptimizersLab.meta(lab.params)
    assert meta["minimum"] == [1.0, 1.0] and meta["x_range"] == [-2.0, 2.0]
