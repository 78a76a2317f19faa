"""A recognizer checkpoint from elsewhere is loaded as data: a pickle that runs code is refused."""
from __future__ import annotations

import os
import pickle

import pytest
import torch

from argen_rl.calibration.recognizer import load_recognizer


class _Payload:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_pickled_code_in_a_recognizer_checkpoint_is_not_run(tmp_path):
    marker = str(tmp_path / "code_ran")
    ckpt = tmp_path / "evil.pt"
    torch.save({"format": "argen-recognizer-v1", "model": _Payload(marker)}, ckpt, pickle_protocol=2)
    with pytest.raises(ValueError, match="refused to load") as err:
        load_recognizer(ckpt)
    assert "\n" not in str(err.value)
    assert not os.path.exists(marker)
