"""Read-only extraction from a live model through hooks that are always removed."""
