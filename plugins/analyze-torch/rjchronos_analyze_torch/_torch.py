"""Lazy access to torch: nothing in the plugin imports it before a model runs."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any


@cache
def torch() -> Any:
    """The torch module, imported on first use.

    The plugin's models are tiny: one CPU thread per operation is many times faster than
    several threads that wait for each other (and on a busy machine, than contended ones).
    """
    module = importlib.import_module("torch")
    module.set_num_threads(1)
    return module


def device(wanted: str = "auto") -> str:
    """``cuda`` when asked for, or when ``auto`` and a GPU is present; ``cpu`` otherwise."""
    if wanted == "auto":
        return "cuda" if torch().cuda.is_available() else "cpu"
    return wanted


def generator(seed: int, on: str) -> Any:
    """A random generator of its own, so a model's draws depend on its seed alone."""
    return torch().Generator(device=on).manual_seed(seed)
