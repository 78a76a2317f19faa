"""RAG over the AU knowledge base (ARGen §3.2 "AU retrieval and prompt generation").

Every record's description (adverb slots and AU tags removed) is embedded once and stored in a
faiss ``IndexFlatIP`` over L2-normalised vectors (= cosine similarity). A query for
(emotion, identity cues) ranks the records, keeps only those of the target emotion, takes the
``top_m`` best and samples ``n`` of them with a seeded generator; each sampled record gets
per-AU intensities and an intensity-aware description (Eq. 8-9).
"""
from __future__ import annotations

import faiss
import numpy as np

from argen_rl.asi.kb import AUKnowledgeBase, Candidate
from argen_rl.asi.text_embed import DEFAULT_TEXT_MODEL, embed_texts
from argen_rl.types import Emotion


class AURetriever:
    def __init__(self, kb: AUKnowledgeBase, text_model: str = DEFAULT_TEXT_MODEL):
        self.kb = kb
        self.text_model = text_model
        texts = [f"{r.emotion.value}: {r.neutral_text()}" for r in kb.records]
        emb = embed_texts(texts, text_model)
        self.index = faiss.IndexFlatIP(emb.shape[1])
        self.index.add(emb)
        self._query_cache: dict[str, np.ndarray] = {}

    def query_text(self, emotion: Emotion, identity_cues: str = "") -> str:
        e = Emotion.parse(emotion)
        return f"{e.value} facial expression. {identity_cues}".strip()

    def _embed_query(self, text: str) -> np.ndarray:
        if text not in self._query_cache:
            self._query_cache[text] = embed_texts([text], self.text_model)
        return self._query_cache[text]

    def rank(self, emotion: Emotion | str, identity_cues: str = "") -> list[tuple[int, float]]:
        """(record index, cosine score) of the emotion's records, best first."""
        e = Emotion.parse(emotion)
        q = self._embed_query(self.query_text(e, identity_cues))
        scores, idx = self.index.search(q, self.index.ntotal)
        return [(int(i), float(s)) for i, s in zip(idx[0], scores[0])
                if i >= 0 and self.kb.records[int(i)].emotion is e]

    def retrieve(self, emotion: Emotion | str, rng: np.random.Generator, n: int = 3, top_m: int = 6,
                 identity_cues: str = "", low: float = 1.0, high: float = 3.5) -> list[Candidate]:
        """Sample ``n`` candidates among the ``top_m`` records of ``emotion`` (fewer if it has fewer)."""
        e = Emotion.parse(emotion)
        ranked = self.rank(e, identity_cues)[:max(top_m, 1)]
        if not ranked:
            raise ValueError(f"the knowledge base has no records for emotion {e.value!r}")
        k = min(n, len(ranked))
        pick = sorted(rng.choice(len(ranked), size=k, replace=False).tolist())
        chosen = [(self.kb.records[ranked[j][0]], ranked[j][1]) for j in pick]
        inten = self.kb.sample_intensities([r for r, _ in chosen], rng, low=low, high=high)
        return [self.kb.candidate(r, inten, rng, score=round(s, 4)) for r, s in chosen]
