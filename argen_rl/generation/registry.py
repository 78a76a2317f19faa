"""Generators by name: ``make_generator("warp")``, ``make_generator("ti2v", {"model_dir": ...})``.

Factories import their generator lazily, so asking for the CPU ``warp`` generator never imports
torch/diffusers, and a missing optional dependency fails only for the generator that needs it.
"""
from __future__ import annotations

from typing import Any, Callable

from argen_rl.generation.base import Generator


def _make_warp(config: dict[str, Any] | None) -> Generator:
    from argen_rl.generation.warp import WarpGenerator

    return WarpGenerator(config)


def _make_ti2v(config: dict[str, Any] | None) -> Generator:
    from argen_rl.generation.ti2v import TI2VGenerator

    if not config or "model_dir" not in config:
        raise ValueError("the ti2v generator needs a config with model_dir (a local ModelScope "
                         "text-to-video folder in diffusers layout; see docs/ti2v.md)")
    return TI2VGenerator(config)


GENERATORS: dict[str, Callable[[dict[str, Any] | None], Generator]] = {
    "warp": _make_warp,
    "ti2v": _make_ti2v,
}


def make_generator(name: str, config: dict[str, Any] | None = None) -> Generator:
    """Build the generator registered as ``name`` from its config dict (None = defaults)."""
    try:
        factory = GENERATORS[name]
    except KeyError:
        raise ValueError(f"unknown generator {name!r}; registered: {', '.join(sorted(GENERATORS))}") from None
    return factory(config)
