import numpy as np
import pytest

from argen_rl.asi.compliance import ComplianceFilter
from argen_rl.asi.cues import identity_cues
from argen_rl.asi.writers import FixedWriter, TemplateWriter, make_writer
from argen_rl.face.landmarks import FaceMesh


@pytest.fixture(scope="module")
def mesh():
    return FaceMesh()


def test_fixed_writer(grace_hopper):
    assert FixedWriter().write(grace_hopper, "surprise", []) == "a person with a surprised expression"
    assert FixedWriter().write(grace_hopper, "angry", []) == "a person with an angry expression"


def test_cues_from_a_real_face(grace_hopper, mesh):
    lm = mesh.landmarks(grace_hopper)
    cues = identity_cues(grace_hopper, lm)
    assert cues.face_shape in {"oval", "round", "long", "square"}
    assert cues.pose == "facing the camera" and cues.colour == "colour"
    gray = np.repeat(grace_hopper.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    assert identity_cues(gray, lm).colour == "black-and-white"
    dark = (grace_hopper * 0.2).astype(np.uint8)
    assert identity_cues(dark, lm).lighting == "dim"
    side = grace_hopper.copy()
    x0, x1 = int(lm[:, 0].min()), int(lm[:, 0].max())
    side[:, (x0 + x1) // 2:] //= 3
    assert identity_cues(side, lm).lighting == "side lighting from the left"
    assert identity_cues(grace_hopper, None).face_shape is None


def test_template_writer_is_deterministic_and_compliant(grace_hopper, mesh, retriever, kb):
    w = TemplateWriter(mesh.landmarks)
    cands = retriever.retrieve("fear", np.random.default_rng(1), n=2)
    p1, p2 = w.write(grace_hopper, "fear", cands), w.write(grace_hopper, "fear", cands)
    assert p1 == p2
    assert p1.startswith("A ") and "face" in p1 and "to fear:" in p1
    for c in cands:
        assert c.description in p1
    clean, rep = ComplianceFilter(kb).filter(p1, "fear")
    assert rep.rate_before == 0.0 and not rep.dropped and "(AU" not in clean
    targets = set().union(*(c.aus for c in cands))
    assert set(rep.asserted_after) <= targets and len(set(rep.asserted_after)) >= len(targets) - 2


def test_make_writer_errors():
    with pytest.raises(ValueError, match="unknown prompt writer 'gpt'"):
        make_writer("gpt")
    with pytest.raises(ValueError, match="needs writer.qwen_dir"):
        make_writer("qwen-vl")


def test_template_writer_skips_descriptions_adding_no_new_au(grace_hopper, kb):
    recs = [kb.record("disgust-prototype"), kb.record("disgust-nose")]     # 9+15+16, then 9 alone
    inten = kb.sample_intensities(recs, np.random.default_rng(0))
    a, b = (kb.candidate(r, inten) for r in recs)
    p = TemplateWriter().write(grace_hopper, "disgust", [a, b])
    assert a.description in p and b.description not in p
    assert b.description in TemplateWriter().write(grace_hopper, "disgust", [b, a])
