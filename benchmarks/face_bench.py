"""Face toolkit throughput on this CPU: frames/s per component, on real face frames.

Input: a 16-frame 256x256 "video" of the astronaut's face (the size the warp generator writes,
small shifts between frames) and, for detection, the full 512x512 photo. Every component is
warmed up once (model loading excluded), then timed in ``--repeats`` rounds that each run every
component once (so a load spike on a shared machine hits all components alike); the best round
per component is kept. Ratios are against the Haar cascade on the same frames (the paper's face
detector, r_F).

    python benchmarks/face_bench.py            # 16-frame video x 5 repeats
    python benchmarks/face_bench.py --quick    # CI smoke: a few seconds
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Callable

os.environ.setdefault("GLOG_minloglevel", "3")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2
import numpy as np
import torch


def make_video(n: int, size: int = 256) -> np.ndarray:
    import skimage.data

    face = skimage.data.astronaut()[20:250, 110:340]
    base = cv2.resize(face, (size + 16, size + 16), interpolation=cv2.INTER_AREA)
    return np.stack([base[(i % 8):(i % 8) + size, (i % 5):(i % 5) + size] for i in range(n)])


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4 frames, 1 repeat (CI smoke)")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (tests pin 1)")
    args = ap.parse_args()
    if args.quick:
        args.frames, args.repeats = 4, 1
    torch.set_num_threads(args.threads)

    import skimage.data

    from argen_rl.face.au import make_au_estimator
    from argen_rl.face.detect import haar_face_present, make_detector
    from argen_rl.face.fer import ExpressionClassifier
    from argen_rl.face.landmarks import FaceMesh
    from argen_rl.face.quality import frame_quality_batch

    video = make_video(args.frames)
    photos = np.stack([skimage.data.astronaut()] * args.frames)
    T = len(video)
    mesh = FaceMesh()
    clf = ExpressionClassifier()
    au = make_au_estimator("geometric")
    crops = clf.crops(video)
    lms = mesh.landmarks_video(video)
    x_rgb = torch.from_numpy(video).permute(0, 3, 1, 2).float() / 127.5 - 1.0

    jobs: list[tuple[str, int, Callable[[], object]]] = []

    def bench(name: str, n: int, fn: Callable[[], object]) -> None:
        jobs.append((name, n, fn))

    bench("haar detect (256^2)", T, lambda: haar_face_present(video))
    bench("haar detect (512^2)", T, lambda: haar_face_present(photos))
    bench("mediapipe detect (256^2)", T, lambda: make_detector("mediapipe").detect_batch(video))
    bench("mediapipe detect (512^2)", T, lambda: make_detector("mediapipe").detect_batch(photos))
    bench("face mesh 478, per-frame detection", T, lambda: mesh.landmarks_video(video))
    bench("face mesh 478, tracking (video)", T, lambda: mesh.landmarks_video(video, tracking=True))
    bench("FER predict_proba (detect+crop+net)", T, lambda: clf.predict_proba(video))
    bench("FER net only (64^2 crops, batched)", T, lambda: clf.logits_fer2013_from_crops(crops))
    bench("FER logits_from_rgb fwd+bwd (256^2)", T,
          lambda: clf.logits_from_rgb(x_rgb.clone().requires_grad_(True)).sum().backward())
    bench("AU geometric (mesh + formulas)", T, lambda: au.estimate(video))
    bench("AU geometric from landmarks only", T, lambda: au.estimate_from_landmarks(lms, lms[0]))
    bench("frame quality (256^2)", T, lambda: frame_quality_batch(video))
    try:
        from ai_edge_litert.interpreter import Interpreter

        from argen_rl.face.fer import default_weights_path, to_model_input

        it = Interpreter(model_path=str(default_weights_path().with_name("emotion_model_quantized.tflite")))
        it.allocate_tensors()
        inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        xs = to_model_input(crops).permute(0, 2, 3, 1).numpy()

        def lite() -> None:
            for x in xs:
                it.set_tensor(inp, x[None])
                it.invoke()
                it.get_tensor(out)

        bench("(reference) FER tflite int8, per crop", T, lite)
    except ImportError:
        pass

    for _, _, fn in jobs:
        fn()                                  # warm-up: loads models, fills caches
    best = [float("inf")] * len(jobs)
    for _ in range(args.repeats):             # rounds: every component once per round
        for i, (_, _, fn) in enumerate(jobs):
            best[i] = min(best[i], timed(fn))
    rows = [(name, n, t) for (name, n, _), t in zip(jobs, best)]
    base = next(t / n for name, n, t in rows if name == "haar detect (256^2)")
    print(f"face toolkit benchmark: {T} frames x {args.repeats} repeats (best), torch threads={args.threads}")
    print(f"{'component':42s} {'ms/frame':>9s} {'frames/s':>9s} {'vs haar256':>11s}")
    for name, n, t in rows:
        per = t / n
        print(f"{name:42s} {per * 1e3:9.2f} {1.0 / per:9.1f} {base / per:10.2f}x")


if __name__ == "__main__":
    main()
