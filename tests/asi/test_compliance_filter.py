import numpy as np
import pytest

from argen_rl.asi.compliance import ComplianceFilter, hallucination_rates


@pytest.fixture(scope="module")
def filt(kb):
    return ComplianceFilter(kb)


@pytest.mark.parametrize("text, aus", [
    ("The raised inner brows show worry.", {1}),
    ("Her lip corner puller is active.", {12}),
    ("a sudden jaw drop", {26}),
    ("a nose wrinkle appears", {9}),
    ("He is smiling warmly.", {12}),
    ("the eyebrows are furrowed", {4}),
    ("the upper lip is slightly raised and the chin pushed up", {10, 17}),
    ("the eyes widen in shock", {5}),
    ("AU12 and AU 6 are present, au-25 too", {6, 12, 25}),
    ("the inner brows are raised", {1}),            # inner only: not AU2
    ("an oval face in even lighting, facing the camera", set()),
    ("she does not smile", set()),                    # negated
    ("without a frown or a smile", set()),
])
def test_parses_aus_written_as_numbers_or_words(filt, text, aus):
    assert filt.asserted(text) == aus


def test_every_kb_description_asserts_exactly_its_aus(filt, kb):
    rng = np.random.default_rng(0)
    for r in kb.records:
        inten = kb.sample_intensities([r], rng)
        assert filt.asserted(kb.render(r, inten, rng)) == set(r.aus), r.record_id


def test_filter_drops_hallucinated_statements_and_strips_tags(filt):
    prompt = ("A woman with an oval face looks surprised. Her inner brows are raised (AU1), she gives a slight "
              "smile (AU12); her eyes widen (AU5). Her nose wrinkles. The jaw drops open (AU26) without a frown.")
    clean, rep = filt.filter(prompt, "surprise")
    assert clean == ("A woman with an oval face looks surprised. Her inner brows are raised; her eyes widen. "
                     "The jaw drops open without a frown.")
    assert "AU" not in clean
    assert sorted(rep.asserted_before) == [1, 5, 9, 12, 26]
    assert sorted(rep.disallowed_before) == [9, 12]
    assert rep.rate_before == pytest.approx(2 / 5)
    assert sorted(rep.asserted_after) == [1, 5, 26] and rep.rate_after == 0.0
    assert rep.dropped == ["she gives a slight smile (AU12)", "Her nose wrinkles."]


def test_same_text_is_compliant_for_another_emotion(filt):
    clean, rep = filt.filter("The lip corners are pulled up (AU12) and the cheeks raised (AU6).", "happy")
    assert clean == "The lip corners are pulled up and the cheeks raised."
    assert rep.rate_before == 0.0 and not rep.dropped
    clean, rep = filt.filter("The lip corners are pulled up (AU12) and the cheeks raised (AU6).", "fear")
    assert clean == "" and rep.rate_before == 1.0


def test_pooled_rates(filt):
    reps = [filt.filter(t, "disgust")[1] for t in
            ("The nose is wrinkled (AU9).", "A big smile. The upper lip is raised.", "A calm face.")]
    r = hallucination_rates(reps)
    assert (r["asserted_before"], r["disallowed_before"]) == (3, 1)
    assert r["rate_before"] == pytest.approx(1 / 3, abs=1e-4) and r["rate_after"] == 0.0
    assert r["statements_dropped"] == 1
