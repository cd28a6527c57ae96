"""The chain of Jacobians: each layer's input–output Jacobian at one input, and its spectrum.

For a stack h_l = f_l(h_{l-1}) the end-to-end Jacobian is the product
∂h_L/∂x = J_L ⋯ J_2 J_1 with J_l = ∂f_l/∂h_{l-1}; its singular values say how much the
stack stretches or squashes a small change of the input (Saxe et al., 2014; Pennington et al.,
2017). Everything is taken at one input vector, with the layers as they are (the caller puts
BatchNorm in eval mode so that each example is a function of itself alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn


def layer_jacobians(layers: Sequence[nn.Module], x: torch.Tensor) -> list[torch.Tensor]:
    """[J_1, …, J_L] at the input vector ``x`` (n_in,): J_l is (width_l, width_{l-1}).

    Row i of J_l is the gradient of output unit i: the layer runs on width_l copies of its
    input at once and each copy's backward pass starts from one unit (rows must not interact,
    so BatchNorm has to be in eval mode).
    """
    jacobians = []
    h = x.detach().reshape(1, -1)  # (1, n_in)
    for layer in layers:
        with torch.no_grad():
            n_out = layer(h).shape[1]
        copies = h.expand(n_out, -1).clone().requires_grad_(True)  # (n_out, n_in)
        out = layer(copies)  # (n_out, n_out): row i is the same output vector
        (grad,) = torch.autograd.grad(out, copies, torch.eye(n_out, device=out.device))
        jacobians.append(grad)  # grad[i] = ∂out_i/∂h
        h = out[:1].detach()
    return jacobians


@dataclass
class Spectra:
    """Singular values, largest first: of each layer's Jacobian (``layers[l]``), and of the
    product of the first l + 1 layers' Jacobians, ∂h_{l+1}/∂x (``chain[l]``)."""

    layers: list[torch.Tensor]
    chain: list[torch.Tensor]

    @property
    def product(self) -> torch.Tensor:
        """Singular values of the end-to-end Jacobian ∂h_L/∂x."""
        return self.chain[-1]


def svdvals(matrices: torch.Tensor) -> torch.Tensor:
    """Singular values of a matrix or a stack of them, largest first; NaN for a matrix with a
    non-finite entry (a diverged network), which the SVD could not take."""
    finite = torch.isfinite(matrices).flatten(-2).all(-1)  # () or (B,)
    if bool(finite.all()):
        return torch.linalg.svdvals(matrices)
    safe = torch.where(finite[..., None, None], matrices, torch.zeros_like(matrices))
    values = torch.linalg.svdvals(safe)
    return torch.where(finite[..., None], values, torch.full_like(values, float("nan")))


@torch.no_grad()
def spectra(jacobians: Sequence[torch.Tensor]) -> Spectra:
    """The singular values of every layer's Jacobian and of every partial product."""
    square = list(jacobians[1:])
    if square and all(j.shape == square[0].shape for j in square):
        stacked = svdvals(torch.stack(square))  # (L - 1, width): one batched call
        layers = [svdvals(jacobians[0]), *stacked.unbind(0)]
    else:
        layers = [svdvals(j) for j in jacobians]
    products = []
    product = None
    for j in jacobians:
        product = j if product is None else j @ product  # (width_l, n_in)
        products.append(product)
    if all(m.shape == products[0].shape for m in products):
        chain = list(svdvals(torch.stack(products)).unbind(0))  # one batched call
    else:
        chain = [svdvals(m) for m in products]
    return Spectra(layers, chain)
