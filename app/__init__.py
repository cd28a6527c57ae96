"""Layerwise: learn deep learning by watching and steering real PyTorch models as they train."""

__version__ = "0.1.0"
