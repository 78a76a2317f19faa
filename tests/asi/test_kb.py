import re

import numpy as np
import pytest
import yaml

from argen_rl.asi.kb import KB_PATH, load_kb, strip_au_tags
from argen_rl.types import Emotion


def test_prototypes_follow_facs_emfacs(kb):
    assert kb.emotion_aus("surprise") == [1, 2, 5, 26]
    assert kb.emotion_aus(Emotion.FEAR) == [1, 2, 4, 5, 7, 20, 26]
    assert kb.emotion_aus("disgust") == [9, 15, 16]
    assert kb.emotion_aus("happy") == [6, 12]
    assert kb.emotion_aus("sad") == [1, 4, 15]
    assert kb.emotion_aus("angry") == [4, 5, 7, 23]
    assert kb.emotion_aus("neutral") == []
    assert {10, 17} <= kb.allowed_aus("disgust")          # the 10+17 disgust variant
    assert 12 not in kb.allowed_aus("surprise") and 9 not in kb.allowed_aus("fear")
    assert kb.allowed_aus("neutral") == set()
    r = kb.record("surprise-prototype")
    assert r.letters == {5: "B"}                            # 5B of the prototype


def test_descriptions_and_sources(kb):
    assert kb.au_description(12, "slightly") == "the lip corners are slightly pulled up and back"
    assert "{adverb}" not in kb.au_description(1)
    for r in kb.records:
        assert r.sources, r.record_id
        assert set(map(int, re.findall(r"\(AU(\d+)\)", r.template))) == set(r.aus), r.record_id
    text = KB_PATH.read_text()
    for cite in ("Ekman", "Friesen", "Hager", "EMFACS", "Cohn"):
        assert cite in text


def test_render_injects_intensity_adverbs(kb):
    rec = kb.record("disgust-prototype")
    low = kb.render(rec, {9: 1.0, 15: 1.0, 16: 1.0})
    high = kb.render(rec, {9: 5.0, 15: 4.0, 16: 3.0})
    assert low.startswith("the nose is barely wrinkled (AU9)")
    assert "fully wrinkled" in high and "strongly pulled down" in high and "clearly depressed" in high
    assert strip_au_tags(high).count("AU") == 0
    with pytest.raises(KeyError, match="no intensity for AU16"):
        kb.render(rec, {9: 1.0, 15: 1.0})


def test_shared_intensity_vector_across_candidates(kb):
    recs = [kb.record("fear-prototype"), kb.record("fear-brows")]
    inten = kb.sample_intensities(recs, np.random.default_rng(0))
    assert set(inten) == {1, 2, 4, 5, 7, 20, 26}
    a, b = (kb.candidate(r, inten) for r in recs)
    assert a.intensities[1] == b.intensities[1] == inten[1]


def test_broken_kb_file_fails_clearly(tmp_path):
    data = yaml.safe_load(KB_PATH.read_text())
    data["records"][0]["template"] = data["records"][0]["template"].replace("{AU26}", "")
    bad = tmp_path / "kb.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="surprise-prototype: template slots"):
        load_kb(bad)
    with pytest.raises(FileNotFoundError):
        load_kb(tmp_path / "missing.yaml")


def test_load_kb_returns_independent_instances():
    a, b = load_kb(), load_kb()
    a.au_centres[Emotion.FEAR] = {1: 3.0}
    assert Emotion.FEAR not in b.au_centres
