"""Every lab by id."""

from __future__ import annotations

from app.labs.attention import AttentionLab
from app.labs.base import Lab
from app.labs.cnn import CnnLab
from app.labs.deep import DeepLab
from app.labs.optimizers import OptimizersLab
from app.labs.regularization import RegularizationLab
from app.labs.rnn import RnnLab
from app.labs.transfer import TransferLab
from app.labs.two_moons import TwoMoons
from app.labs.upsampling import UpsamplingLab

LABS: dict[str, type[Lab]] = {
    lab.id: lab
    for lab in (
        TwoMoons,
        DeepLab,
        OptimizersLab,
        RegularizationLab,
        CnnLab,
        UpsamplingLab,
        TransferLab,
        RnnLab,
        AttentionLab,
    )
}


def describe(lab: type[Lab]) -> dict:
    """The lab as `GET /api/labs` lists it: id, title, summary and its params' JSON Schema."""
    return {
        "id": lab.id,
        "title": lab.title,
        "summary": lab.summary,
        "params": lab.Params.model_json_schema(),
        "defaults": lab.Params().model_dump(),
        "curves": list(lab.curves),
    }
