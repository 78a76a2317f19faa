"""Fixtures for the reward tests: the real grace_hopper photo as a 256x256 face frame."""
from __future__ import annotations

import numpy as np
import pytest

from tests.rewards.reward_videos import square_face


@pytest.fixture(scope="session")
def face256(grace_hopper) -> np.ndarray:
    return square_face(grace_hopper)
