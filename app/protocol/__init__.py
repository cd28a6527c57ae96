"""Wire protocol v1: JSON control messages and the binary `LWF1` frame codec (no torch)."""

from app.protocol.codec import Array, Frame, decode, encode

PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "Array", "Frame", "decode", "encode"]
