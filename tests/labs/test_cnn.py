"""The cnn lab: streamed numbers recomputed from the snapshot by a functional forward pass
written here, params and their refusals, budget, live configure, probes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.data import digits
from app.labs import cnn as cnn_module
from app.labs.base import LabError
from app.labs.cnn import CnnLab
from app.labs.cnn_params import CnnParams
from app.live.worker import Worker
from app.protocol.codec import decode

MIXED = {
    "precision": "float32",
    "batchnorm": True,
    "head": "flatten",
    "n_train": 200,
    "layers": [
        {"kind": "separable", "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, "channels": 6},
        {"kind": "avgpool", "kernel": 2, "stride": 2, "padding": 0, "dilation": 1, "channels": 1},
        {
            "kind": "bottleneck",
            "kernel": 3,
            "stride": 1,
            "padding": 1,
            "dilation": 2,
            "channels": 16,
        },
        {"kind": "maxpool", "kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "channels": 1},
    ],
}


def _lab(**params) -> CnnLab:
    return CnnLab(CnnLab.validate(params))


def reference_maps(state: dict, params: dict, x: torch.Tensor) -> tuple[list, torch.Tensor]:
    """Every layer's output and the logits, by F.conv2d / batch_norm / relu / pools (float64)."""
    p = CnnParams.model_validate(params)
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()}

    def unit(prefix: str, h: torch.Tensor, geometry=(1, 0, 1), groups: int = 1) -> torch.Tensor:
        stride, padding, dilation = geometry
        h = F.conv2d(
            h, t[f"{prefix}.weight"], t.get(f"{prefix}.bias"), stride, padding, dilation, groups
        )
        if p.batchnorm:
            bn = f"{prefix}_bn"
            h = F.batch_norm(
                h, t[f"{bn}.running_mean"], t[f"{bn}.running_var"], t[f"{bn}.weight"],
                t[f"{bn}.bias"], training=False, eps=1e-5,
            )  # fmt: skip
        return F.relu(h)

    maps, h = [], x.double()
    for i, s in enumerate(p.layers):
        geometry = (s.stride, s.padding, s.dilation)
        if s.kind == "conv":
            h = unit(f"blocks.{i}.conv", h, geometry)
        elif s.kind == "separable":
            h = unit(f"blocks.{i}.depthwise", h, geometry, groups=h.shape[1])
            h = unit(f"blocks.{i}.pointwise", h)
        elif s.kind == "bottleneck":
            h = unit(
                f"blocks.{i}.expand",
                unit(f"blocks.{i}.conv", unit(f"blocks.{i}.reduce", h), geometry),
            )
        elif s.kind == "maxpool":
            h = F.max_pool2d(h, s.kernel, s.stride, s.padding, s.dilation)
        else:
            h = F.avg_pool2d(h, s.kernel, s.stride, s.padding)
        maps.append(h)
    flat = h.mean(dim=(2, 3)) if p.head == "global_avg" else h.flatten(1)
    return maps, flat @ t["head.weight"].T + t["head.bias"]


def images(indices: slice | list, size: int) -> torch.Tensor:
    """Test images, upsampled the way the protocol says (bilinear, half-pixel centres)."""
    x = torch.from_numpy(digits.split(50)[2][indices])[:, None].double()
    return x if size == 8 else F.interpolate(x, size=(size, size), mode="bilinear")


def test_frame_float32_matches_functional_forward() -> None:
    lab = _lab(**MIXED, example=17)
    lab.step(6)
    out = lab.frame()
    state = lab.snapshot()
    assert out.step == 6
    assert out.quantize == set()
    x = images([17], 16)
    np.testing.assert_allclose(out.arrays["input"], x[0, 0].numpy(), atol=1e-6)
    maps, logits = reference_maps(state, MIXED, x)
    meta = CnnLab.meta(lab.params)
    for i, (h, row) in enumerate(zip(maps, meta["layers"])):
        got = out.arrays[f"feature_maps/{i}"]
        assert list(got.shape) == row["out_shape"]
        np.testing.assert_allclose(got, h[0].numpy(), rtol=1e-4, atol=1e-5)
    probs = torch.softmax(logits, dim=1)[0].numpy()
    np.testing.assert_allclose(out.arrays["probs"], probs, atol=1e-5)
    assert out.metrics["predicted"] == int(np.argmax(probs))
    assert out.metrics["label"] == int(digits.split(50)[3][17])
    # the first layer's spatial kernels are the separable block's depthwise ones
    np.testing.assert_array_equal(out.arrays["kernels"], state["blocks.0.depthwise.weight"])
    assert out.arrays["kernels"].shape == (1, 1, 3, 3)


def test_frame_confusion_and_test_metrics_match_recomputation() -> None:
    lab = _lab(**MIXED)
    lab.step(10)
    out = lab.frame()
    _, logits = reference_maps(lab.snapshot(), MIXED, images(slice(None), 16))
    labels = torch.from_numpy(digits.split(50)[3])
    predicted = logits.argmax(1).numpy()
    expected = np.zeros((10, 10), dtype=np.int64)
    for true, guess in zip(labels.numpy(), predicted):
        expected[true, guess] += 1
    np.testing.assert_array_equal(out.arrays["confusion"], expected)
    assert out.arrays["confusion"].dtype == np.int32
    assert out.metrics["test_acc"] == pytest.approx(np.trace(expected) / 360, abs=1e-6)
    assert out.metrics["test_loss"] == pytest.approx(
        float(F.cross_entropy(logits, labels)), rel=1e-4
    )


def test_frame_uint8_feature_maps_within_quantization_step() -> None:
    worker = Worker()
    params = CnnLab.validate({"example": 5}).model_dump()
    kinds = [kind for kind, _ in worker.build("r", "cnn", params)]
    assert kinds == ["dataset", "frame"]
    ((_, message),) = worker.advance("r", 4)
    frame = decode(message)
    ((_, snap),) = worker.snapshot("r")
    state = {k: a.data for k, a in decode(snap).arrays.items()}
    maps, _ = reference_maps(state, params, images([5], 16))
    for i, h in enumerate(maps):
        array = frame.arrays[f"feature_maps/{i}"]
        assert array.data.dtype == np.uint8
        lo, hi = array.scale
        assert np.abs(array.values() - h[0].numpy()).max() <= (hi - lo) / 510 + 1e-5
    assert frame.arrays["input"].data.dtype == np.float32
    assert frame.arrays["kernels"].data.shape == (8, 1, 3, 3)
    assert frame.arrays["confusion"].data.dtype == np.int32
    assert len(message) < 40_000


def test_frame_norms_follow_meta_weights() -> None:
    lab = _lab(**MIXED)
    assert not lab.frame().arrays["grad_norm"].any()
    lab.step(3)
    out = lab.frame()
    state = lab.snapshot()
    names = CnnLab.meta(lab.params)["weights"]
    assert names == [
        "blocks.0.depthwise.weight",
        "blocks.0.pointwise.weight",
        "blocks.2.reduce.weight",
        "blocks.2.conv.weight",
        "blocks.2.expand.weight",
        "head.weight",
    ]
    expected = [np.linalg.norm(state[n].astype(np.float64)) for n in names]
    np.testing.assert_allclose(out.arrays["weight_norm"], expected, rtol=1e-5)
    assert (out.arrays["grad_norm"] > 0).all()


def test_snapshot_has_batchnorm_buffers_as_float32() -> None:
    lab = _lab(batchnorm=True)
    lab.step(2)
    state = lab.snapshot()
    assert state["blocks.0.conv_bn.num_batches_tracked"].tolist() == 2.0
    assert state["blocks.0.conv_bn.running_var"].shape == (8,)
    assert all(v.dtype == np.float32 for v in state.values())
    loaded = torch.load(__import__("io").BytesIO(lab.export_weights()), weights_only=True)
    assert set(loaded) == set(state)
    np.testing.assert_array_equal(loaded["head.weight"].numpy(), state["head.weight"])


def test_dataset_test_set_fixed_across_seeds() -> None:
    a, b = _lab(seed=1).dataset(), _lab(seed=2, n_train=60).dataset()
    np.testing.assert_array_equal(a.arrays["test/images"], b.arrays["test/images"])
    np.testing.assert_array_equal(a.arrays["test/labels"], digits.split(50)[3])
    assert a.arrays["test/images"].shape == (360, 8, 8)
    assert a.arrays["test/labels"].dtype == np.int32
    assert a.quantize == {"test/images"}
    assert a.metrics == {"n_train": 1000, "n_test": 360}
    assert b.metrics == {"n_train": 60, "n_test": 360}


def test_meta_default_stack() -> None:
    meta = CnnLab.meta(CnnParams())
    assert meta["input"] == [1, 16, 16]
    assert meta["classes"] == [str(d) for d in range(10)]
    assert [r["name"] for r in meta["layers"]] == [
        "conv 3×3 ×8", "maxpool 2×2 /2", "conv 3×3 ×16", "maxpool 2×2 /2",
    ]  # fmt: skip
    assert [r["out_shape"] for r in meta["layers"]] == [
        [8, 16, 16],
        [8, 8, 8],
        [16, 8, 8],
        [16, 4, 4],
    ]
    # BatchNorm: no conv bias, a scale and a shift per channel
    assert [r["params"] for r in meta["layers"]] == [72 + 16, 0, 8 * 16 * 9 + 32, 0]
    assert [r["macs"] for r in meta["layers"]] == [8 * 256 * 9, 0, 16 * 64 * 72, 0]
    assert [r["rf"]["size"] for r in meta["layers"]] == [3, 4, 8, 10]
    assert meta["head"] == {"params": 170, "macs": 160}
    assert meta["total_params"] == 88 + 1184 + 170
    assert meta["compare"][0] == {"name": "as configured", "rf": [3, 4, 8, 10]}
    assert meta["compare"][2] == {"name": "dilation 2", "rf": [5, 6, 14, 16]}


def test_meta_dense_comparison() -> None:
    meta = CnnLab.meta(CnnParams())
    assert meta["dense"]["card"]["dense"] == 307_200
    assert meta["dense"]["card"]["conv"] == 1_728
    assert meta["dense"]["card"]["ratio"] == pytest.approx(307_200 / 1_728)
    # 16 × 16 inputs to 8 × 16 × 16 values, against 8 kernels of 3 × 3
    assert meta["dense"]["input"] == {"dense": 256 * 2048, "conv": 72, "ratio": 256 * 2048 / 72}


def _layer(**fields) -> dict:
    base = {"kind": "conv", "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, "channels": 4}
    return {**base, **fields}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"layers": [_layer(), _layer(padding=2)]}, "layers.1.padding"),
        ({"layers": [_layer(kind="avgpool", dilation=2)]}, "layers.0.dilation"),
        ({"layers": [_layer(kernel=8)]}, "layers.0.kernel"),
        ({"layers": [_layer(channels=33)]}, "layers.0.channels"),
        ({"layers": [_layer(colour=1)]}, "layers.0.colour"),
        ({"layers": [_layer(kind="dense")]}, "layers.0.kind"),
        ({"layers": []}, "layers"),
        ({"layers": [_layer()] * 9}, "layers"),
        # 16 → 8 → 4 → 2 → 0: the fourth layer shrinks the map below 1 × 1
        (
            {"layers": [_layer(kernel=3, stride=2, padding=1)] * 3 + [_layer(kernel=5, padding=1)]},
            "layers.3",
        ),
        ({"image_size": 8, "layers": [_layer(kernel=7, dilation=2, padding=0)]}, "layers.0"),
        ({"image_size": 12}, "image_size"),
        ({"example": 360}, "example"),
        ({"drawing": [0.5] * 63}, "drawing"),
        ({"drawing": [1.5] + [0.0] * 63}, "drawing.list[constrained-float].0"),
        ({"batchnorm": "yes"}, "batchnorm"),
        ({"n_train": 1438}, "n_train"),
        ({"head": "attention"}, "head"),
    ],
)
def test_validate_params_invalid(params: dict, param: str) -> None:
    with pytest.raises(LabError) as caught:
        CnnLab.validate(params)
    exc = caught.value
    assert exc.code == "invalid_params"
    got = [d["param"] for d in exc.detail]
    assert param in got or (
        param.startswith("drawing") and any(g.startswith("drawing") for g in got)
    )
    assert param.split(".")[0] in exc.message


OVER_BUDGET = [
    {"fps": 60, "steps_per_frame": 200},
    {"layers": [_layer(kernel=7, padding=3, channels=32)] * 8, "fps": 30},
    {"layers": [_layer(channels=32)] * 4, "batch_size": 1000, "steps_per_frame": 20},
]


@pytest.mark.parametrize("params", OVER_BUDGET)
def test_validate_over_budget_allocates_nothing(params: dict, monkeypatch) -> None:
    built = []
    monkeypatch.setattr(cnn_module, "CNN", lambda config: built.append(config))
    with pytest.raises(LabError) as caught:
        CnnLab.validate(params)
    assert caught.value.code == "over_budget"
    assert {"params", "steps_per_s", "macs_per_s", "frame_bytes"} <= set(caught.value.detail)
    named = caught.value.detail["params"]  # the params to lower, by name
    assert named and set(named) <= set(CnnParams.model_fields)
    assert caught.value.detail["n_params"] > 0
    worker = Worker()
    with pytest.raises(LabError):
        worker.build("r", "cnn", {**CnnParams().model_dump(), **params})
    assert built == []
    assert worker.runs == {}


def test_budget_defaults_allowed_and_step_requests_bounded() -> None:
    CnnLab.budget(CnnParams())
    CnnLab.budget(CnnParams(precision="float32", drawing=[0.0] * 64))
    CnnLab.check_steps(CnnParams(), 100)
    with pytest.raises(LabError) as caught:
        CnnLab.check_steps(CnnParams(), 10_000)
    assert caught.value.code == "over_budget"
    assert "batch_size" in caught.value.detail["params"]


def test_configure_live_params_keep_model() -> None:
    lab = _lab(**MIXED)
    lab.step(4)
    model, before = lab.model, lab.snapshot()
    live = {"learning_rate": 0.5, "weight_decay": 0.1, "batch_size": 4, "example": 9}
    assert lab.configure(CnnLab.validate({**live, "drawing": [0.25] * 64}, lab.params)) is False
    assert lab.model is model
    assert lab.step_count == 4
    assert all(g["lr"] == 0.5 and g["weight_decay"] == 0.1 for g in lab.optimizer.param_groups)
    for name, value in lab.snapshot().items():
        np.testing.assert_array_equal(value, before[name])
    out = lab.frame()
    np.testing.assert_allclose(out.arrays["input"], 0.25, atol=1e-6)
    assert out.metrics["label"] is None
    lab.configure(CnnLab.validate({"optimizer": "momentum", "momentum": 0.5}, lab.params))
    assert lab.optimizer.param_groups[0]["momentum"] == 0.5


@pytest.mark.parametrize(
    "change", [{"batchnorm": False}, {"image_size": 8}, {"n_train": 100}, {"seed": 3}]
)
def test_configure_rebuild_param_steps_back_to_zero(change: dict) -> None:
    lab = _lab()
    lab.step(3)
    assert lab.configure(CnnLab.validate(change, lab.params)) is True
    assert lab.step_count == 0
    assert lab.frame().step == 0


def test_step_same_seed_same_run() -> None:
    a, b = _lab(seed=7, n_train=100), _lab(seed=7, n_train=100)
    a.step(12)
    b.step(5)
    b.step(7)
    for name, value in a.snapshot().items():
        np.testing.assert_array_equal(value, b.snapshot()[name])
    c = _lab(seed=8, n_train=100)
    c.step(12)
    assert not np.array_equal(a.snapshot()["head.weight"], c.snapshot()["head.weight"])


def test_probe_receptive_field_matches_autograd_and_box() -> None:
    lab = _lab(**MIXED)
    lab.step(60)  # BatchNorm's running statistics settle (eval mode uses them)
    x = images(slice(0, 32), 16).requires_grad_(True)
    maps, _ = reference_maps(lab.snapshot(), MIXED, x)
    # the unit that the images switch on the most (a dead unit's field is all zeros)
    channel, y, x_ = np.unravel_index(int(maps[2].sum(0).argmax()), maps[2].shape[1:])
    channel, y, x_ = int(channel), int(y), int(x_)
    grads = {n: p.grad.clone() for n, p in lab.model.named_parameters()}
    out = lab.probe("receptive_field", {"layer": 2, "channel": channel, "y": y, "x": x_})
    for n, p in lab.model.named_parameters():
        assert torch.equal(p.grad, grads[n])
    erf = out.arrays["erf"]
    assert erf.shape == (16, 16)
    total = torch.zeros(16, 16, dtype=torch.float64)
    for i in range(32):
        (g,) = torch.autograd.grad(maps[2][i, channel, y, x_], x, retain_graph=True)
        total += g[i, 0].abs()
    np.testing.assert_allclose(erf, (total / 32).numpy(), rtol=1e-4, atol=1e-8)
    rf = CnnLab.meta(lab.params)["layers"]
    assert out.extra["rf"] == [r["rf"] for r in rf[:3]]
    # separable 3 p1: size 3, start 0; avgpool 2/2: size 4, jump 2, start 0.5;
    # bottleneck 3×3 d2 p1 (k_eff 5): size 4 + 4·2 = 12, start 0.5 + (2 − 1)·2 = 2.5
    assert out.extra["rf"][-1] == {"size": 12, "jump": 2, "start": 2.5}
    y0, x0, y1, x1 = out.extra["box"]
    # unit i's centre is 2.5 + 2i; it sees ± 5.5 around it, clipped to 0 … 15
    assert [y0, x0, y1, x1] == [
        max(0, 2 * y - 3),
        max(0, 2 * x_ - 3),
        min(15, 2 * y + 8),
        min(15, 2 * x_ + 8),
    ]
    outside = erf.copy()
    outside[y0 : y1 + 1, x0 : x1 + 1] = 0
    assert outside.max() == 0
    assert erf.max() > 0


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"layer": 4, "channel": 0, "y": 0, "x": 0},
        {"layer": 0, "channel": 6, "y": 0, "x": 0},
        {"layer": 0, "channel": 0, "y": 16, "x": 0},
        {"layer": 0, "channel": 0, "y": 0, "x": -1},
        {"layer": 0.0, "channel": 0, "y": 0, "x": 0},
        {"layer": True, "channel": 0, "y": 0, "x": 0},
        {"layer": "0", "channel": 0, "y": 0, "x": 0},
    ],
)
def test_probe_receptive_field_bad_args(args: dict) -> None:
    with pytest.raises(LabError) as caught:
        _lab(**MIXED).probe("receptive_field", args)
    assert caught.value.code == "bad_probe"


def test_probe_predict_matches_functional_forward() -> None:
    lab = _lab(**MIXED)
    lab.step(3)
    drawing = np.random.default_rng(0).uniform(0, 1, 64)
    out = lab.probe("predict", {"image": drawing.tolist()})
    x = F.interpolate(torch.tensor(drawing).reshape(1, 1, 8, 8), size=(16, 16), mode="bilinear")
    _, logits = reference_maps(lab.snapshot(), MIXED, x)
    probs = torch.softmax(logits, 1)[0].numpy()
    np.testing.assert_allclose(out.arrays["probs"], probs, atol=1e-5)
    assert out.metrics["predicted"] == int(np.argmax(probs))


@pytest.mark.parametrize(
    "args",
    [{}, {"image": None}, {"image": [0.5] * 63}, {"image": [2.0] * 64}, {"image": ["a"] * 64},
     {"image": [float("nan")] * 64}, {"image": [[0.5] * 8] * 8}, {"image": [True] * 64}],
)  # fmt: skip
def test_probe_predict_bad_args(args: dict) -> None:
    with pytest.raises(LabError) as caught:
        _lab().probe("predict", args)
    assert caught.value.code == "bad_probe"


def test_probe_unknown_name_and_no_script() -> None:
    with pytest.raises(LabError) as caught:
        _lab().probe("saliency", {})
    assert caught.value.code == "unknown_probe"
    with pytest.raises(LabError) as caught:
        CnnLab.export_script(CnnParams())
    assert caught.value.code == "not_supported"


def test_default_reaches_90_percent_within_1000_steps() -> None:
    lab = _lab()
    lab.step(1000)
    assert lab.frame().metrics["test_acc"] >= 0.9
