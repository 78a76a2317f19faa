"""Shared fixtures: real face photos that ship inside installed packages, pinned threads."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GLOG_minloglevel", "3")
# One BLAS/OpenMP thread in every process the tests start (benchmark subprocesses, Ray workers,
# DataLoader workers): on a 2-core machine running several processes, spin-waiting thread pools
# made ti2v_bench --quick take 291 s instead of 7 s (measured at load ~12).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)
torch.manual_seed(0)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, public domain): a smiling frontal face, 512x512 RGB."""
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def grace_hopper() -> np.ndarray:
    """matplotlib's grace_hopper.jpg: a neutral, closed-mouth frontal face, 600x512 RGB."""
    import matplotlib
    from argen_rl.video_io import read_image

    return read_image(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def sample_contexts(tmp_path_factory):
    """contexts.jsonl from the real ASI stage run on the sample dataset (4 identities x 3 scarce
    emotions), built once per test session and shared by the env, rollout and training tests."""
    from argen_rl.asi.sample_contexts import ensure_sample_contexts

    return ensure_sample_contexts(tmp_path_factory.getbasetemp() / "asi_sample_contexts")


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray on loopback per test module (RAY_NOTES: address="local", 2 CPUs)."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
