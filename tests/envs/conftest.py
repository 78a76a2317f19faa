"""Fixtures for the env / rollout tests: real contexts from the sample dataset, one Ray per module."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def sample_contexts(tmp_path_factory):
    """contexts.jsonl from the real ASI stage run on the sample dataset (4 identities x 3 scarce
    emotions); built once per test session (shared with tests/experiments via the base temp)."""
    from argen_rl.train.sample_contexts import ensure_sample_contexts

    return ensure_sample_contexts(tmp_path_factory.getbasetemp() / "asi_sample_contexts")


@pytest.fixture(scope="module")
def ray_local():
    import ray

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
