"""The upsampling lab: the streamed reconstruction recomputed from the snapshot by a functional
forward pass written here, training, params and their refusals, budget, live configure."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.data import digits
from app.labs.base import LabError
from app.labs.upsampling import UpsamplingLab
from app.labs.upsampling_params import UpsamplingParams


@pytest.fixture(autouse=True)
def one_thread():
    """The server's workers run one thread each; so do these timings-sensitive tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _lab(**params) -> UpsamplingLab:
    return UpsamplingLab(UpsamplingLab.validate(params))


def _image(example: int) -> torch.Tensor:
    """Test image ``example`` as (1, 1, 16, 16), resized here with half-pixel centres."""
    _, _, x_test, _ = digits.split(1000)
    x = torch.from_numpy(np.array(x_test[example], dtype=np.float32))[None, None]
    return F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False)


def _forward(w: dict[str, torch.Tensor], p: UpsamplingParams, x: torch.Tensor) -> torch.Tensor:
    """The autoencoder written out with torch.nn.functional, from state_dict weights."""
    h = F.relu(F.conv2d(x, w["encoder.0.weight"], w["encoder.0.bias"], stride=2, padding=1))
    code = F.conv2d(h, w["encoder.2.weight"], w["encoder.2.bias"], stride=2, padding=1)

    def up(z: torch.Tensor, name: str) -> torch.Tensor:
        if p.upsample == "transposed":
            pad = (p.kernel - 1) // 2
            extra = 2 * z.shape[-1] - ((z.shape[-1] - 1) * 2 - 2 * pad + p.kernel)
            weight, bias = w[f"{name}.weight"], w[f"{name}.bias"]
            return F.conv_transpose2d(z, weight, bias, 2, pad, output_padding=extra)
        big = F.interpolate(
            z,
            scale_factor=2,
            mode=p.resize_mode,
            align_corners=False if p.resize_mode == "bilinear" else None,
        )
        return F.conv2d(big, w[f"{name}.1.weight"], w[f"{name}.1.bias"], padding=1)

    return torch.sigmoid(up(F.relu(up(code, "decoder.0")), "decoder.2"))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kernel": 4, "channels": 5, "bottleneck": 2},
        {"kernel": 5},
        {"kernel": 2},
        {"upsample": "resize_conv"},
        {"upsample": "resize_conv", "resize_mode": "bilinear", "bottleneck": 7},
    ],
)
def test_frame_output_is_the_snapshot_weights_forward(params: dict) -> None:
    lab = _lab(n_train=100, example=17, **params)
    lab.step(3)
    frame = lab.frame()
    weights = {k: torch.from_numpy(v) for k, v in lab.snapshot().items()}
    x = _image(17)
    np.testing.assert_allclose(frame.arrays["input"], x[0, 0].numpy(), atol=1e-6)
    expected = _forward(weights, lab.params, x)[0, 0].detach().numpy()
    assert frame.arrays["output"].shape == (16, 16)
    np.testing.assert_allclose(frame.arrays["output"], expected, atol=1e-5)
    assert frame.arrays["output"].dtype == np.float32
    assert frame.arrays["overlap"].dtype == np.float32


def test_loss_decreases_over_300_steps() -> None:
    lab = _lab(n_train=500)
    before = lab.frame().metrics
    lab.step(300)
    after = lab.frame().metrics
    assert after["loss"] < 0.5 * before["loss"]
    assert after["test_loss"] < 0.5 * before["test_loss"]
    assert before["batch_loss"] is None and after["batch_loss"] > 0
    assert after["epoch"] == pytest.approx(300 * 32 / 500)


def test_checkerboard_is_normalised_and_shows_the_uneven_overlap() -> None:
    lab = _lab()
    board = lab.frame().arrays["checkerboard"]
    assert board.shape == (16, 16)
    assert float(np.abs(board).max()) == pytest.approx(1.0)
    assert abs(float(board.mean())) < 1e-5
    # k=3, s=2: the overlap alternates 1, 2, 4 — the overlap map says so, and it is not flat
    assert len(np.unique(lab.frame().arrays["overlap"])) == 3
    flat = _lab(upsample="resize_conv").frame().arrays["overlap"]
    assert np.unique(flat).tolist() == [9.0]


def test_metrics_are_mean_squared_errors() -> None:
    lab = _lab(n_train=200)
    _, _, x_test, _ = digits.split(200)
    x = F.interpolate(torch.from_numpy(np.array(x_test))[:, None], size=(16, 16), mode="bilinear")
    weights = {k: torch.from_numpy(v) for k, v in lab.snapshot().items()}
    with torch.no_grad():
        mse = float(((_forward(weights, lab.params, x) - x) ** 2).mean())
    assert lab.frame().metrics["test_loss"] == pytest.approx(mse, rel=1e-4)


@pytest.mark.parametrize(
    "bad",
    [
        {"upsample": "deconv"},
        {"kernel": 1},
        {"kernel": 6},
        {"channels": 1},
        {"channels": 33},
        {"bottleneck": 0},
        {"bottleneck": 17},
        {"n_train": 49},
        {"n_train": 1438},
        {"example": 360},
        {"resize_mode": "bicubic"},
        {"kernel": "3"},
        {"extra": 1},
    ],
)
def test_bad_params_are_refused(bad: dict) -> None:
    with pytest.raises(LabError) as err:
        UpsamplingLab.validate(bad)
    assert err.value.code == "invalid_params"
    assert err.value.detail[0]["param"] == next(iter(bad))


def test_budget_refuses_too_many_steps_and_names_the_params() -> None:
    with pytest.raises(LabError) as err:
        UpsamplingLab.validate({"fps": 60, "steps_per_frame": 200})
    assert err.value.code == "over_budget"
    assert "fps" in err.value.detail["params"]
    # a big network at a high rate costs too many multiply-adds per second
    with pytest.raises(LabError) as err:
        UpsamplingLab.validate(
            {"channels": 32, "bottleneck": 16, "kernel": 5, "batch_size": 1000, "fps": 30}
        )
    assert "batch_size" in err.value.detail["params"]
    UpsamplingLab.validate({})  # the defaults fit


def test_check_steps_bounds_one_request() -> None:
    p = UpsamplingLab.validate({})
    UpsamplingLab.check_steps(p, 10)
    with pytest.raises(LabError) as err:
        UpsamplingLab.check_steps(p, 100_000)
    assert err.value.code == "over_budget" and err.value.detail["max_n"] < 100_000


def test_live_params_keep_the_run_and_model_params_rebuild_it() -> None:
    lab = _lab(n_train=100)
    lab.step(4)
    kept = UpsamplingLab.validate({"example": 5, "learning_rate": 0.001}, lab.params)
    assert lab.configure(kept) is False
    assert lab.step_count == 4
    assert lab.optimizer.param_groups[0]["lr"] == 0.001
    assert lab.frame().metrics["label"] == int(digits.split(100)[3][5])
    for change in ({"upsample": "resize_conv"}, {"kernel": 4}, {"channels": 4}):
        new = UpsamplingLab.validate(change, lab.params)
        assert lab.configure(new) is True
        assert lab.step_count == 0
        lab.step(1)


def test_meta_lists_the_decoder_layers() -> None:
    meta = UpsamplingLab.meta(UpsamplingLab.validate({}))
    assert [row["out_shape"] for row in meta["decoder"]] == [[8, 8, 8], [1, 16, 16]]
    assert [row["params"] for row in meta["decoder"]] == [4 * 8 * 9 + 8, 8 * 9 + 1]
    assert meta["code"] == [4, 4, 4]
    assert meta["last_layer"] == {"kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}
    assert len(meta["weights"]) == len(_lab().frame().arrays["weight_norm"])
