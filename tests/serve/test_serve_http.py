"""The Serve endpoint through real HTTP on loopback: a real photo in, a 16-frame mp4 out; every bad input a 4xx.

One Ray instance and one Serve app for the whole module (start ~10 s, shutdown ~3 s).
"""
from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import zipfile

import httpx
import numpy as np
import pytest

from argen_rl.video_io import read_video
from tests.serve.serve_inputs import TEST_LIMITS, bad_uploads, encode

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SIZE = 128  # small clips keep the test fast; the frame count is the real 16


@pytest.fixture(scope="module")
def base_url():
    import ray
    from ray import serve

    from serve.app import build_app
    from serve.settings import ServeConfig

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        cfg = ServeConfig(fixed_action={"steps": 4, "size": SIZE}, max_count=3, max_batch_size=6, **TEST_LIMITS)
        serve.run(build_app(cfg), name="argen-test", route_prefix="/")
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()


@pytest.fixture(scope="module")
def face_jpeg(grace_hopper) -> bytes:
    return encode(grace_hopper)


def _post(base_url, image: bytes, emotion="surprise", count=1, seed=None, filename="face.jpg") -> httpx.Response:
    data = {"emotion": emotion, "count": str(count)}
    if seed is not None:
        data["seed"] = str(seed)
    return httpx.post(f"{base_url}/v1/augment", files={"image": (filename, image, "image/jpeg")}, data=data,
                      timeout=120)


def _frames(mp4: bytes, tmp_path, name="clip.mp4") -> np.ndarray:
    p = tmp_path / name
    p.write_bytes(mp4)
    return read_video(p)[0]


def test_health_emotions_and_docs(base_url):
    h = httpx.get(f"{base_url}/healthz", timeout=30)
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["generator"] == "warp"
    emos = httpx.get(f"{base_url}/v1/emotions", timeout=30).json()
    assert [e["emotion"] for e in emos["emotions"]] == ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
    surprise = next(e for e in emos["emotions"] if e["emotion"] == "surprise")
    assert {"AU1", "AU2", "AU26"} <= set(surprise["target_aus"])
    assert httpx.get(f"{base_url}/docs", timeout=30).status_code == 200
    assert "/v1/augment" in httpx.get(f"{base_url}/openapi.json", timeout=30).json()["paths"]


def test_augment_one_clip_is_a_16_frame_mp4(base_url, face_jpeg, tmp_path):
    r = _post(base_url, face_jpeg, "surprise", count=1, seed=7)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "video/mp4"
    frames = _frames(r.content, tmp_path)
    assert frames.shape == (16, SIZE, SIZE, 3)
    prov = json.loads(r.headers["x-argen-provenance"])
    assert prov["emotion"] == "surprise" and prov["params"]["seed"] == 7 and prov["frames"] == 16
    # the face moves: later frames differ from the first (the reference)
    assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean() > 1.0
    # same seed, same clip
    again = _frames(_post(base_url, face_jpeg, "surprise", count=1, seed=7).content, tmp_path, "again.mp4")
    np.testing.assert_array_equal(again, frames)
    # the request's context is ASI's: the library's context builder on the decoded upload, same seed
    from argen_rl.asi.builder import ContextBuilder
    from serve.app import MAX_REFERENCE_SIDE
    from serve.settings import ServeConfig
    from serve.uploads import decode_upload, downscale

    cfg = ServeConfig(**TEST_LIMITS)
    img = downscale(decode_upload(face_jpeg, cfg.max_upload_bytes, cfg.max_image_pixels, cfg.min_image_side),
                    MAX_REFERENCE_SIDE)
    ctx = ContextBuilder(cfg.context).build(img, "surprise", 7)
    assert prov["prompt"] == ctx.generator_prompt and prov["description"] == ctx.prompt
    assert prov["target_aus"] == {str(k): v for k, v in ctx.intensities.items()}


def test_augment_count_gives_zip_with_provenance(base_url, face_jpeg, tmp_path):
    r = _post(base_url, face_jpeg, "fear", count=3, seed=100)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = sorted(zf.namelist())
        mp4s = [n for n in names if n.endswith(".mp4")]
        assert len(mp4s) == 3 and len(names) == 6
        seeds = []
        for n in mp4s:
            assert _frames(zf.read(n), tmp_path, n).shape[0] == 16
            prov = json.loads(zf.read(n[:-4] + ".json"))
            assert prov["emotion"] == "fear" and prov["clip"] == n
            seeds.append(prov["params"]["seed"])
    assert sorted(seeds) == [100, 101, 102]


def test_concurrent_requests_are_batched(base_url, face_jpeg):
    async def fire():
        async with httpx.AsyncClient(timeout=120) as client:
            return await asyncio.gather(*[
                client.post(f"{base_url}/v1/augment", files={"image": ("f.jpg", face_jpeg, "image/jpeg")},
                            data={"emotion": "sad", "count": "1", "seed": str(i)}) for i in range(4)])
    rs = asyncio.run(fire())
    assert [r.status_code for r in rs] == [200] * 4
    batch = [json.loads(r.headers["x-argen-provenance"])["batch_clips"] for r in rs]
    assert max(batch) > 1, batch   # at least two requests shared one generator call


def test_every_bad_input_gets_its_4xx_and_the_server_stays_up(base_url, face_jpeg):
    for name, (data, status) in bad_uploads(face_jpeg).items():
        r = _post(base_url, data)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert r.json()["detail"], name
    r = _post(base_url, face_jpeg, emotion="bored")
    assert r.status_code == 422 and "surprise" in r.json()["detail"] and len(r.json()["valid"]) == 7
    for count in (0, 4):
        r = _post(base_url, face_jpeg, count=count)
        assert r.status_code == 422 and "between 1 and 3" in r.json()["detail"]
    r = _post(base_url, face_jpeg, seed=-5)
    assert r.status_code == 422 and "seed" in r.json()["detail"]
    r = httpx.post(f"{base_url}/v1/augment", data={"emotion": "sad"}, timeout=30)   # no image at all
    assert r.status_code == 422
    assert httpx.get(f"{base_url}/healthz", timeout=30).status_code == 200
    assert _post(base_url, face_jpeg, "happy", seed=1).status_code == 200   # and still generates
