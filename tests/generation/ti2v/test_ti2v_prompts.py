"""Prompt length: the text encoder sees 77 CLIP tokens. ASI's generator prompt fits and keeps
the AU phrase; a prompt that does not fit is cut with a warning."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from argen_rl.asi.cues import identity_cues
from argen_rl.asi.kb import load_kb, strip_au_tags
from argen_rl.asi.writers import TemplateWriter, clip_token_counter, estimate_clip_tokens, fit_prompt
from argen_rl.generation.ti2v.pipeline import PromptTruncatedWarning

TOKENIZER_DIR = Path(__file__).parent / "fixtures" / "tiny_clip_tokenizer"


@pytest.fixture(scope="module")
def long_prompt(grace_hopper):
    """A real template prompt: identity cues of a real face + the movements of two fear records
    from the KB (one per face region)."""
    kb = load_kb()
    recs = kb.records_for("fear")[:2]
    inten = kb.sample_intensities(recs, np.random.default_rng(0))
    cands = [kb.candidate(r, inten) for r in recs]
    prompt = strip_au_tags(TemplateWriter().write(grace_hopper, "fear", cands))   # as the compliance filter does
    return prompt, identity_cues(grace_hopper, None).text(), [m.text for m in kb.movements(inten)]


def _encoder_ids(pipe, prompt: str) -> list[int]:
    """The token ids the text encoder actually receives for ``prompt``."""
    seen = []
    hook = pipe.components.text_encoder.register_forward_hook(lambda m, args, out: seen.append(args[0][0].tolist()))
    try:
        pipe.encode_prompt([prompt])
    finally:
        hook.remove()
    return seen[0]


def _contains(seq: list[int], sub: list[int]) -> bool:
    return any(seq[i:i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def test_generator_prompt_fits_and_its_au_phrase_reaches_the_encoder(tiny_pipe, long_prompt):
    prompt, cues, descriptions = long_prompt
    count = clip_token_counter(str(TOKENIZER_DIR))
    assert count(prompt) > 75                                    # the full description does not fit
    au_phrase = re.split(r"[,;]", descriptions[0])[0].strip()   # e.g. "the eyebrows are ... raised"
    second = re.split(r"[,;]", descriptions[1])[0].strip()      # e.g. "the upper eyelids are ... raised"
    phrase_ids = tiny_pipe.components.tokenizer(second, add_special_tokens=False).input_ids
    # the full prompt: the encoder gets its first 77 tokens (identity cues first) and a warning
    with pytest.warns(PromptTruncatedWarning, match="cut"):
        full_ids = _encoder_ids(tiny_pipe, prompt)
    assert not _contains(full_ids, phrase_ids)
    # the generator prompt: fits, expression + AU phrase first, the cues moved behind them
    gen = fit_prompt(prompt, count, last=cues)
    assert count(gen) <= 75 and gen.endswith(".")
    assert gen.startswith("The face slowly changes from neutral to fear: " + au_phrase)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PromptTruncatedWarning)
        ids = _encoder_ids(tiny_pipe, gen)
    assert _contains(ids, phrase_ids)
    assert tiny_pipe.prompt_tokens([gen])[0] <= tiny_pipe.max_prompt_tokens == 77


def test_fit_prompt_keeps_short_prompts_and_cuts_at_clauses():
    count = estimate_clip_tokens
    short = "A close-up of a person. The face slowly changes from neutral to fear: the brows rise."
    assert fit_prompt(short, count) == short
    long = "A photo of a person, facing the camera. The face changes to fear: " + "; ".join(
        f"clause number {i} of the description" for i in range(30)) + "."
    out = fit_prompt(long, count, max_tokens=30, last="a photo of a person")
    assert count(out) <= 30 and out.startswith("The face changes to fear: clause number 0")
    assert "photo" not in out                                    # no room left for the cues
    words = fit_prompt("word " * 100, count, max_tokens=10)
    assert count(words) <= 10 and words.startswith("word")


def test_estimate_is_conservative_on_the_tiny_vocabulary_words():
    """Words of the tiny tokenizer's corpus are single tokens there; the estimate never counts fewer."""
    count = clip_token_counter(str(TOKENIZER_DIR))
    for text in ["the woman raises her eyebrows and opens her mouth wide in surprise",
                 "a happy person smiling with cheeks raised and lip corners pulled up"]:
        assert estimate_clip_tokens(text) >= count(text)


def test_generator_prompt_round_trips_through_contexts_and_reaches_the_request(tmp_path, grace_hopper):
    from argen_rl.asi.contexts import load_contexts, write_contexts
    from argen_rl.generation.config import GenerationConfig
    from argen_rl.types import Context, Emotion

    ctx = Context("c1", tmp_path / "id.png", Emotion.FEAR, "the full long description", [1, 2], {1: 2.0, 2: 2.0},
                  text_emb=np.zeros(4, np.float32), image_emb=np.zeros(3, np.float32),
                  generator_prompt="the short one")
    write_contexts(tmp_path, [ctx])
    back = load_contexts(tmp_path)[0]
    assert back.prompt == "the full long description" and back.generator_prompt == "the short one"
    req = GenerationConfig().request(back, grace_hopper, steps=2, a=1.0, b=1.0, seed=0)
    assert req.prompt == "the short one"
