"""What keeps the Serve endpoint safe to show colleagues: body limits and loopback-only listeners.

1. ``BodyLimit`` (pure ASGI middleware): a request whose ``Content-Length`` exceeds the limit gets
   413 before one byte of its body is read; a body without a length (chunked) is counted as it
   streams and cut off with 413 the moment it passes the limit, so nothing larger is buffered.
   It runs twice:
   - on the FastAPI ingress (``serve/app.py``: always, whatever starts the app);
   - in Ray Serve's HTTP proxy, which otherwise reads the whole client body into its own queue
     before the replica decides anything. Ray 2.60 loads proxy middlewares from the import path in
     ``RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH``; ``argen serve`` sets it to
     ``serve.hardening:proxy_middlewares`` with the limit in ``ARGEN_SERVE_MAX_BODY_BYTES``.
2. ``bind_replica_grpc_to(host)``: every Serve replica of Ray 2.60 starts an inter-deployment gRPC
   server on ``[::]:0`` (all interfaces). Ray offers no setting for its host (replica.py
   hard-codes the address; ray-project/ray#64544 asks for one; #64623 adds only a port range).
   Called in a deployment's ``__init__`` -- which runs in the replica process before Ray binds that
   server -- it rewrites the ``[::]`` host to ``host`` (default 127.0.0.1). The server only carries
   traffic when ``RAY_SERVE_USE_GRPC_BY_DEFAULT=1``; on a multi-node cluster that uses it, set
   ``replica_grpc_host: null`` in serve/config.yaml and firewall the replicas' ephemeral ports
   (32768-60999 on Linux) to the cluster's own nodes instead.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable

logger = logging.getLogger(__name__)

ENV_MAX_BODY = "ARGEN_SERVE_MAX_BODY_BYTES"
PROXY_CALLBACK = "serve.hardening:proxy_middlewares"
FORM_OVERHEAD = 64 * 1024   # multipart boundaries, part headers and the small form fields


class _TooLarge(Exception):
    pass


async def _send_413(send, limit: int) -> None:
    body = json.dumps({"detail": f"the request body is larger than the {limit} byte limit"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Reject request bodies larger than ``max_bytes`` (an int, or a callable read per request)."""

    def __init__(self, app, max_bytes: int | Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes() if callable(self.max_bytes) else self.max_bytes
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared > limit:
                await _send_413(send, limit)
                return
            if declared < 0:
                await _send_400(send)
                return
        state = {"seen": 0, "started": False, "answered": False}

        async def counted_receive():
            msg = await receive()
            if msg["type"] == "http.request":
                state["seen"] += len(msg.get("body", b""))
                if state["seen"] > limit:
                    if not state["started"]:
                        state["answered"] = True
                        await _send_413(send, limit)
                    raise _TooLarge()
            return msg

        async def tracked_send(msg):
            if state["answered"]:
                return              # our 413 went out; whatever the app says after it is dropped
            if msg["type"] == "http.response.start":
                state["started"] = True
            await send(msg)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            pass


async def _send_400(send) -> None:
    body = b'{"detail": "the Content-Length header is not a number"}'
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def max_body_bytes(max_upload_bytes: int) -> int:
    """The body limit of an /v1/augment request whose image may be ``max_upload_bytes``."""
    return max_upload_bytes + FORM_OVERHEAD


def proxy_middlewares() -> list[Any]:
    """``RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH`` target: the body limit inside Serve's proxy."""
    from starlette.middleware import Middleware

    limit = int(os.environ.get(ENV_MAX_BODY, "0") or 0)
    return [Middleware(BodyLimit, max_bytes=limit)] if limit > 0 else []


def proxy_env(max_upload_bytes: int) -> dict[str, str]:
    """Environment for ``serve run`` so its proxy applies the body limit (see module doc)."""
    return {"RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH": PROXY_CALLBACK,
            ENV_MAX_BODY: str(max_body_bytes(max_upload_bytes))}


def bind_replica_grpc_to(host: str | None) -> bool:
    """Make this replica's inter-deployment gRPC server bind ``host`` instead of ``[::]``.

    Call from a Serve deployment's ``__init__``. ``None`` keeps Ray's default. Returns whether
    the rebinding is in place (False, with a warning, if this Ray version's internals differ:
    the loopback test in tests/security catches that).
    """
    if host is None:
        return False
    try:
        from ray.serve._private import replica
    except ImportError:
        return False
    original = getattr(replica, "add_port_to_grpc_server", None)
    if original is None:
        logger.warning("ray.serve replica has no add_port_to_grpc_server: the inter-deployment gRPC "
                       "server keeps Ray's bind address; firewall it (see serve/hardening.py)")
        return False
    if getattr(original, "_argen_host", None) == host:
        return True
    base = getattr(original, "_argen_original", original)
    bracketed = f"[{host}]" if ":" in host else host

    def add_port(server, address: str):
        if isinstance(address, str) and address.startswith("[::]:"):
            address = f"{bracketed}:{address.rsplit(':', 1)[1]}"
        return base(server, address)

    add_port._argen_host = host            # type: ignore[attr-defined]
    add_port._argen_original = base        # type: ignore[attr-defined]
    replica.add_port_to_grpc_server = add_port
    return True
