import numpy as np
import pytest

from argen_rl.types import Emotion


@pytest.mark.parametrize("emotion", [Emotion.SURPRISE, Emotion.DISGUST, Emotion.FEAR, Emotion.SAD])
def test_retrieval_returns_aus_of_the_right_emotion(retriever, kb, emotion):
    ranked = retriever.rank(emotion, "a close-up of a person with an oval face, in even lighting")
    assert len(ranked) == len(kb.records_for(emotion))
    assert all(kb.records[i].emotion is emotion for i, _ in ranked)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    cands = retriever.retrieve(emotion, np.random.default_rng(0), n=3, top_m=5)
    assert len(cands) == 3 and len({c.record_id for c in cands}) == 3
    allowed = kb.allowed_aus(emotion)
    for c in cands:
        assert c.emotion is emotion
        assert set(c.aus) <= allowed
        assert set(c.intensities) == set(c.aus)
        assert all(f"(AU{a})" in c.description for a in c.aus)


def test_query_about_an_au_ranks_records_with_it_first(retriever, kb):
    best, _ = retriever.rank("disgust", "the nose is wrinkled")[0]
    assert 9 in kb.records[best].aus
    best, _ = retriever.rank("surprise", "the mouth falls open")[0]
    assert {26, 27} & set(kb.records[best].aus)
    best, _ = retriever.rank("angry", "the lips are pressed together")[0]
    assert 24 in kb.records[best].aus


def test_sampling_is_seeded(retriever):
    a = retriever.retrieve("fear", np.random.default_rng(7), n=2)
    b = retriever.retrieve("fear", np.random.default_rng(7), n=2)
    assert [(c.record_id, c.intensities, c.description) for c in a] == \
        [(c.record_id, c.intensities, c.description) for c in b]
    many = {tuple(c.record_id for c in retriever.retrieve("fear", np.random.default_rng(s), n=2)) for s in range(12)}
    assert len(many) > 1


def test_emotion_without_records_fails_clearly(retriever):
    with pytest.raises(ValueError, match="no records for emotion 'neutral'"):
        retriever.retrieve("neutral", np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown emotion"):
        retriever.retrieve("boredom", np.random.default_rng(0))
