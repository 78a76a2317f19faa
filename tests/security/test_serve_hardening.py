"""Serve with hostile uploads, as a colleague's script (or worse) would send them.

Without Ray: only JPEG / PNG / WebP reach a decoder, and only after their header's size passed the
pixel limit (a Radiance HDR, which Pillow cannot size but OpenCV decodes, is 415 unseen); long
form values are never echoed. With `argen serve` running (ray, slow): a body whose Content-Length
is over the limit is answered 413 before it is sent; a chunked body is cut off at the limit; every
TCP listener of the serve process tree is on loopback (``ss -ltnp``).
"""
from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from serve.uploads import InputError, decode_upload, parse_emotion
from tests.security.listeners import exposed, have_ss, listeners, process_tree

ROOT = Path(__file__).resolve().parents[2]
LIMITS = dict(max_bytes=8_000_000, max_pixels=16_000_000, min_side=64)


def _enc(img: np.ndarray, ext: str, *params) -> bytes:
    ok, buf = cv2.imencode(ext, img, list(params))
    assert ok
    return buf.tobytes()


@pytest.fixture
def decodes(monkeypatch):
    """Counts OpenCV image decodes (the real cv2.imdecode still runs)."""
    calls = []
    real = cv2.imdecode

    def counting(buf, flags):
        calls.append(len(buf))
        return real(buf, flags)

    monkeypatch.setattr(cv2, "imdecode", counting)
    return calls


def test_radiance_hdr_is_refused_without_being_decoded(decodes):
    hdr = _enc(np.full((2100, 2000, 3), 0.5, np.float32), ".hdr")
    with pytest.raises(InputError) as err:
        decode_upload(hdr, **LIMITS)
    assert err.value.status == 415 and "Radiance HDR" in err.value.detail
    assert decodes == [], "OpenCV decoded an upload whose format is not on the allow-list"


@pytest.mark.parametrize("ext,name", [(".bmp", "BMP"), (".tiff", "TIFF"), (".pfm", "PFM")])
def test_formats_off_the_allow_list_are_415(ext, name, decodes, face64):
    img = face64.astype(np.float32) / 255 if ext == ".pfm" else face64
    with pytest.raises(InputError) as err:
        decode_upload(_enc(img, ext), **LIMITS)
    assert err.value.status == 415 and name in err.value.detail and decodes == []


def test_header_claiming_too_many_pixels_is_413_before_decoding(decodes, face64):
    jpeg = bytearray(_enc(face64, ".jpg"))
    i = jpeg.index(b"\xff\xc0")                      # baseline SOF0: patch height and width to 30000
    jpeg[i + 5:i + 9] = struct.pack(">HH", 30000, 30000)
    with pytest.raises(InputError) as err:
        decode_upload(bytes(jpeg), **LIMITS)
    assert err.value.status == 413 and "30000x30000" in err.value.detail and decodes == []


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_allowed_formats_decode(ext, grace_hopper):
    img = decode_upload(_enc(cv2.cvtColor(grace_hopper, cv2.COLOR_RGB2BGR), ext), **LIMITS)
    assert img.shape == grace_hopper.shape


def test_long_user_input_is_not_echoed():
    with pytest.raises(InputError) as err:
        parse_emotion("x" * 10_000)
    assert err.value.status == 422 and len(err.value.detail) < 200


# ---------------------------------------------------------------- `argen serve` on loopback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    """`argen serve` in a subprocess, as a user starts it; its listeners recorded once it answers."""
    if not have_ss():
        pytest.skip("needs `ss` (iproute2) to list listening sockets")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "argen_rl.cli", "serve", "--port", str(port), "--address", "local"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "argen serve exited"
            time.sleep(2)
        else:
            pytest.fail("argen serve did not answer /healthz in 240 s")
        tree = process_tree(proc.pid)
        yield {"url": url, "port": port, "listeners": listeners(tree), "tree": tree}
    finally:
        tree = process_tree(proc.pid)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            for pid in tree:                           # only what this fixture started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _raw(port: int, request: bytes, body_chunks=(), timeout=20) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        try:
            for c in body_chunks:
                s.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            pass                                       # the server closed on us: it said 413 already
        data = b""
        while b"\r\n\r\n" not in data:
            got = s.recv(65536)
            if not got:
                break
            data += got
        return data


@pytest.mark.ray
@pytest.mark.slow
def test_every_serve_listener_is_on_loopback(served):
    found = served["listeners"]
    print("\n".join(f"  {a}  {p}" for a, p in sorted(found)))
    assert any(a.endswith(f":{served['port']}") for a, _ in found)       # the HTTP proxy is among them
    assert any("ServeRepli" in p for _, p in found)                      # ... and the replicas' gRPC servers
    assert exposed(found) == [], f"listening beyond loopback: {exposed(found)}"


@pytest.mark.ray
@pytest.mark.slow
def test_oversized_bodies_are_413_before_buffering(served):
    head = (b"POST /v1/augment HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n")
    t0 = time.perf_counter()
    reply = _raw(served["port"], head + b"Content-Length: 1000000000\r\n\r\n")     # and no body at all
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    # a well-formed multipart upload whose file part never ends: only the limit can stop it
    part = b'--b\r\nContent-Disposition: form-data; name="image"; filename="f.jpg"\r\n\r\n'
    first = b"%x\r\n%s\r\n" % (len(part), part)
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b"a" * (1 << 20))
    reply = _raw(served["port"], head + b"Transfer-Encoding: chunked\r\n\r\n", [first] + [chunk] * 40)  # 40 MB
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert httpx.get(f"{served['url']}/healthz", timeout=30).status_code == 200
    print(f"413s answered in {time.perf_counter() - t0:.2f} s")


@pytest.mark.ray
@pytest.mark.slow
def test_hostile_form_values_get_short_4xx(served, grace_hopper):
    jpg = _enc(cv2.cvtColor(grace_hopper, cv2.COLOR_RGB2BGR), ".jpg")
    url = f"{served['url']}/v1/augment"
    r = httpx.post(url, files={"image": ("f.jpg", jpg)}, data={"emotion": "x" * 10_000}, timeout=60)
    assert r.status_code == 422 and len(r.text) < 400 and "x" * 100 not in r.text
    r = httpx.post(url, files={"image": ("f.jpg", jpg)}, data={"emotion": "happy", "count": "9" * 5000}, timeout=60)
    assert r.status_code == 422 and "9" * 100 not in r.text
    hdr = _enc(np.full((2100, 2000, 3), 0.5, np.float32), ".hdr")
    r = httpx.post(url, files={"image": ("face.jpg", hdr, "image/jpeg")}, data={"emotion": "happy"}, timeout=60)
    assert r.status_code == 415, r.text
