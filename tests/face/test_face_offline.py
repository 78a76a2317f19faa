"""The whole face toolkit runs with networking blocked and the HF hub switched off."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import socket

    def _blocked(*args, **kwargs):
        raise OSError("network access attempted during an offline run")

    socket.socket.connect = _blocked
    socket.socket.connect_ex = _blocked
    socket.create_connection = _blocked
    socket.getaddrinfo = _blocked
    try:                                   # the block is in force
        socket.socket().connect(("127.0.0.1", 9))
        raise SystemExit("network block not active")
    except OSError as err:
        assert "offline run" in str(err)

    import numpy as np, skimage.data
    from argen_rl.face.detect import haar_face_present, make_detector
    from argen_rl.face.landmarks import FaceMesh
    from argen_rl.face.fer import ExpressionClassifier
    from argen_rl.face.au import AU_SET, make_au_estimator
    from argen_rl.face.quality import frame_quality, quality_reasons
    from argen_rl.types import Emotion

    img = skimage.data.astronaut()
    video = np.stack([img, img[:, ::-1].copy()])
    assert haar_face_present(video).all()
    assert make_detector("mediapipe").detect(img)
    assert FaceMesh().landmarks_video(video).shape == (2, 478, 2)
    clf = ExpressionClassifier()
    assert clf.predict([img]) == [Emotion.HAPPY]
    assert clf.penultimate_features(video).shape == (2, 128)
    assert make_au_estimator("geometric").estimate(video).shape == (2, len(AU_SET))
    assert quality_reasons(frame_quality(img)) == []
    print("OFFLINE-OK")
""")


def test_toolkit_runs_with_network_blocked():
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1",
               GLOG_minloglevel="3", TF_CPP_MIN_LOG_LEVEL="3")
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = f"{root}{os.pathsep}{env.get('PYTHONPATH', '')}"
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=root, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OFFLINE-OK" in proc.stdout
