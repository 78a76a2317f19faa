"""Bounded load test of the augmentation endpoint on loopback: 1 vs 2 generator replicas.

One local Ray + Serve on 127.0.0.1 (free port); for each replica count the app is (re)deployed,
warmed up, then sent a fixed number of POST /v1/augment requests (one real face photo,
count=1) from ``--concurrency`` concurrent clients, none started after ``--time-cap`` seconds. Prints requests/s, p50/p99 latency
and the error count, and the 2-vs-1 replica throughput ratio (same run, same machine).

    python benchmarks/serve_load.py            # 48 requests, concurrency 8, replicas 1 and 2
    python benchmarks/serve_load.py --quick    # CI smoke: < 60 s
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def face_jpeg() -> bytes:
    import cv2
    import matplotlib

    from argen_rl.video_io import read_image

    img = read_image(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
    return cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))[1].tobytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def load(url: str, image: bytes, n: int, concurrency: int, time_cap: float) -> dict:
    """Send up to ``n`` requests, ``concurrency`` at a time, none started after ``time_cap`` s."""
    import httpx

    latencies, errors, sent = [], [], 0
    batch_sizes = []
    t0 = time.perf_counter()

    async def client(c: httpx.AsyncClient, worker: int) -> None:
        nonlocal sent
        while sent < n and time.perf_counter() - t0 < time_cap:
            i = sent
            sent += 1
            t = time.perf_counter()
            try:
                r = await c.post(url, files={"image": ("face.jpg", image, "image/jpeg")},
                                 data={"emotion": "surprise", "count": "1", "seed": str(i)})
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - t)
                    batch_sizes.append(json.loads(r.headers["x-argen-provenance"])["batch_clips"])
                else:
                    errors.append(f"{r.status_code}: {r.text[:100]}")
            except httpx.HTTPError as err:
                errors.append(repr(err))

    async with httpx.AsyncClient(timeout=max(60.0, time_cap)) as c:
        await asyncio.gather(*[client(c, w) for w in range(concurrency)])
    wall = time.perf_counter() - t0
    lat = np.array(latencies) if latencies else np.array([np.nan])
    return {"sent": sent, "ok": len(latencies), "errors": len(errors), "first_errors": errors[:3],
            "wall_s": round(wall, 2), "rps": round(len(latencies) / wall, 3),
            "p50_ms": round(float(np.percentile(lat, 50)) * 1000, 1),
            "p99_ms": round(float(np.percentile(lat, 99)) * 1000, 1),
            "mean_batch_clips": round(float(np.mean(batch_sizes)), 2) if batch_sizes else float("nan")}


def run_one(replicas: int, args, image: bytes, port: int) -> dict:
    """(Re)deploy the app with ``replicas`` generator replicas, warm up, then load it."""
    import httpx
    from ray import serve

    from serve.app import build_app
    from serve.settings import ServeConfig

    cfg = ServeConfig(num_replicas=replicas, fixed_action={"steps": args.steps, "size": args.size})
    t = time.perf_counter()
    serve.run(build_app(cfg), name="argen-load", route_prefix="/")
    ready_s = time.perf_counter() - t
    url = f"http://127.0.0.1:{port}/v1/augment"
    for i in range(replicas * 2):  # warm up every replica (first call loads the face mesh)
        httpx.post(url, files={"image": ("f.jpg", image, "image/jpeg")}, data={"emotion": "happy", "seed": str(i)},
                   timeout=120).raise_for_status()
    res = asyncio.run(load(url, image, args.requests, args.concurrency, args.time_cap))
    return {"replicas": replicas, "ready_s": round(ready_s, 1), **res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=48, help="requests per replica setting")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    ap.add_argument("--time-cap", type=float, default=90.0, help="no request starts after this many seconds")
    ap.add_argument("--replicas", default="1,2", help="comma-separated replica counts")
    ap.add_argument("--size", type=int, default=256, help="clip side length")
    ap.add_argument("--steps", type=int, default=8, help="keyframes per clip (the fixed action's S)")
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    ap.add_argument("--quick", action="store_true", help="CI smoke: 10 requests, 128 px, 15 s cap")
    args = ap.parse_args()
    if args.quick:
        args.requests, args.concurrency, args.time_cap, args.size = 10, 4, 15.0, 128

    import ray
    from ray import serve

    image = face_jpeg()
    port = free_port()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        rows = [run_one(int(r), args, image, port) for r in args.replicas.split(",")]
    finally:
        serve.shutdown()
        ray.shutdown()
    print(f"\nserve load: {args.requests} requests, concurrency {args.concurrency}, {args.size}px x 16 frames, "
          f"S={args.steps}, cap {args.time_cap:g}s, {os.cpu_count()} CPUs")
    print(f"{'replicas':>8} {'ok':>4} {'err':>4} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'batch':>6} {'wall s':>7}")
    for r in rows:
        print(f"{r['replicas']:>8} {r['ok']:>4} {r['errors']:>4} {r['rps']:>7.2f} {r['p50_ms']:>8.0f} "
              f"{r['p99_ms']:>8.0f} {r['mean_batch_clips']:>6} {r['wall_s']:>7}")
        for e in r["first_errors"]:
            print(f"         error: {e}")
    if len(rows) == 2 and rows[0]["rps"] > 0:
        print(f"throughput ratio {rows[1]['replicas']} vs {rows[0]['replicas']} replicas: "
              f"{rows[1]['rps'] / rows[0]['rps']:.2f}x")
    if args.out:
        from argen_rl.io_utils import atomic_write_json

        atomic_write_json(args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows})


if __name__ == "__main__":
    main()
