"""The one generator interface: ``generate(requests) -> videos``.

Every generator (``warp`` on CPU, ``ti2v`` on GPU) implements this protocol and is registered
by name in ``argen_rl.generation.registry``; envs, Serve and the augmentation writer only ever
see this interface.
"""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from argen_rl.types import GenRequest, Video


@runtime_checkable
class Generator(Protocol):
    generator_id: str
    """Stable id of generator + weights (name and a hash of the weights/config); keys the reward
    cache and goes into every provenance sidecar."""

    def generate(self, requests: Sequence[GenRequest]) -> list[Video]:
        """One video per request, same order. Each Video's meta holds at least the params used."""
        ...
