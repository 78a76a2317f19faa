"""serve/hardening.py without Ray: the body limit on a real ASGI app, the replica gRPC rebinding on a
real gRPC server, and the proxy callback Serve 2.60 imports."""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import httpx
import pytest
from fastapi import FastAPI, File, UploadFile
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from serve.hardening import BodyLimit, bind_replica_grpc_to, proxy_env, proxy_middlewares


def _app(limit: int, seen: list):
    async def echo(request):
        body = await request.body()
        seen.append(len(body))
        return JSONResponse({"got": len(body)})

    return BodyLimit(Starlette(routes=[Route("/", echo, methods=["POST"])]), max_bytes=limit)


def _post(app, **kw) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.post("/", **kw)
    return asyncio.run(go())


def test_body_limit_by_length_and_by_count():
    seen: list[int] = []
    app = _app(1000, seen)
    assert _post(app, content=b"a" * 1000).json() == {"got": 1000}
    r = _post(app, content=b"a" * 1001)
    assert r.status_code == 413 and "1000 byte limit" in r.json()["detail"]
    assert seen == [1000]                                   # the app never saw the oversized body

    async def chunks():                                     # no Content-Length: counted as it streams
        for _ in range(50):
            yield b"b" * 100
    r = _post(app, content=chunks())
    assert r.status_code == 413 and seen == [1000]
    r = _post(app, content=b"x", headers={"content-length": "nope"})
    assert r.status_code == 400


def test_proxy_callback_reads_its_limit_from_the_environment(monkeypatch):
    env = proxy_env(8_000_000)
    assert env["RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH"] == "serve.hardening:proxy_middlewares"
    monkeypatch.setenv("ARGEN_SERVE_MAX_BODY_BYTES", env["ARGEN_SERVE_MAX_BODY_BYTES"])
    (mw,) = proxy_middlewares()
    assert mw.cls is BodyLimit and mw.kwargs["max_bytes"] == 8_000_000 + 64 * 1024
    monkeypatch.delenv("ARGEN_SERVE_MAX_BODY_BYTES")
    assert proxy_middlewares() == []


def test_replica_grpc_server_binds_loopback(monkeypatch):
    if shutil.which("ss") is None:
        pytest.skip("needs `ss` (iproute2)")
    from concurrent import futures

    import grpc
    from ray.serve._private import replica

    monkeypatch.setattr(replica, "add_port_to_grpc_server", replica.add_port_to_grpc_server)  # restored after
    assert bind_replica_grpc_to("127.0.0.1") and bind_replica_grpc_to("127.0.0.1")     # idempotent
    server = grpc.server(futures.ThreadPoolExecutor(1))
    port = replica.add_port_to_grpc_server(server, "[::]:0")      # the call replica.py makes
    server.start()
    try:
        lines = [ln for ln in subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout.splitlines()
                 if re.search(rf":{port}\s", ln)]
        assert lines and all("127.0.0.1" in ln for ln in lines), lines
    finally:
        server.stop(0)


def test_body_limit_inside_fastapi_form_parsing():
    """The ingress case: FastAPI turns an error raised while it parses a form into its own 400; the
    limit's 413 must still be what the client gets, and the route must never run."""
    ran = []
    api = FastAPI()
    api.add_middleware(BodyLimit, max_bytes=10_000)

    @api.post("/up")
    async def up(image: UploadFile = File(...)):
        ran.append(1)
        return {"n": len(await image.read())}

    async def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="image"; filename="f.jpg"\r\n\r\n'
        for _ in range(40):
            yield b"z" * 1000
        yield b"\r\n--b--\r\n"

    async def go(content):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as c:
            return await c.post("/up", content=content, headers={"content-type": "multipart/form-data; boundary=b"})

    r = asyncio.run(go(chunks()))
    assert r.status_code == 413 and ran == []
    small = b'--b\r\nContent-Disposition: form-data; name="image"; filename="f.jpg"\r\n\r\nabc\r\n--b--\r\n'
    assert asyncio.run(go(small)).json() == {"n": 3}
