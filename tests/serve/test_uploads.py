"""Upload / field validation of the Serve ingress, without Ray: every bad input maps to its 4xx."""
from __future__ import annotations

import pytest

from argen_rl.face.landmarks import FaceMesh
from argen_rl.types import Emotion
from serve.settings import ServeConfig
from serve.uploads import InputError, check_count, check_seed, decode_upload, parse_emotion, require_face
from tests.serve.serve_inputs import TEST_LIMITS, bad_uploads, encode


def _validate(data: bytes):
    img = decode_upload(data, TEST_LIMITS["max_upload_bytes"], TEST_LIMITS["max_image_pixels"],
                        TEST_LIMITS["min_image_side"])
    require_face(img, FaceMesh())
    return img


def test_real_photo_passes(grace_hopper):
    img = _validate(encode(grace_hopper))
    assert img.shape == grace_hopper.shape


@pytest.mark.parametrize("name", ["empty", "not_an_image", "truncated_jpeg", "too_many_pixels", "too_many_bytes",
                                  "no_face", "too_small"])
def test_bad_upload_gets_its_status(grace_hopper, name):
    data, status = bad_uploads(encode(grace_hopper))[name]
    with pytest.raises(InputError) as err:
        _validate(data)
    assert err.value.status == status, err.value.detail
    assert err.value.detail  # a message a person can act on


def test_emotion_and_count_checks():
    assert parse_emotion("Surprised") is Emotion.SURPRISE
    with pytest.raises(InputError) as err:
        parse_emotion("bored")
    assert err.value.status == 422 and "surprise" in err.value.detail and len(err.value.extra["valid"]) == 7
    with pytest.raises(InputError, match="valid emotions"):
        parse_emotion("contempt")          # CK+ only, not one of the 7 served classes
    assert check_count(4, 4) == 4
    for bad in (0, 5, -1):
        with pytest.raises(InputError, match="between 1 and 4"):
            check_count(bad, 4)
    assert check_seed(0) == 0
    with pytest.raises(InputError, match="seed must be between 0"):
        check_seed(-1)


def test_serve_config_rejects_batches_smaller_than_a_request():
    with pytest.raises(ValueError, match="max_batch_size"):
        ServeConfig(max_count=8, max_batch_size=4)
