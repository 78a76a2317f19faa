"""Fixtures for the env / rollout tests: real contexts from the sample dataset, one Ray per module."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def sample_contexts(tmp_path_factory):
    """contexts.jsonl for 4 sample-dataset identities x 3 scarce emotions (real photos, MiniLM
    text embeddings, FER+geometry image embeddings) written by ASI's write_contexts."""
    from envs.sample_contexts import build_sample_contexts

    return build_sample_contexts(tmp_path_factory.mktemp("contexts"))


@pytest.fixture(scope="module")
def ray_local():
    import ray

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
