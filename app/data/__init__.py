"""Tiny datasets made locally, never downloaded."""
