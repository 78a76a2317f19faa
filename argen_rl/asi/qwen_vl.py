"""Qwen2.5-VL prompt writer (ARGen §3.2 and §4.2: Qwen2.5-VL-7B, max 256 new tokens,
temperature 0.8, top-p 0.9, English).

Loads ``Qwen2_5_VLForConditionalGeneration`` plus the tokenizer and the Qwen2-VL image processor
from a local directory (no hub). The inputs are composed here as Qwen's processor does it (chat
template, then each ``<|image_pad|>`` expanded to the image's merged patch count) because
transformers' ``Qwen2_5_VLProcessor`` insists on its video processor, which needs torchvision —
not installable next to CPU torch here. The result is identical for a single image.

``write_batch(jobs)`` generates a whole batch of prompts in one ``generate`` call (left-padded
prompts, the images' patches concatenated): on a GPU this is what makes thousands of contexts
affordable. Sampling is seeded per batch from the jobs' seeds, so a rerun with the same batches
writes the same prompts; a different batch size samples differently.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from argen_rl.asi.kb import Candidate
from argen_rl.types import Emotion

SYSTEM_PROMPT = (
    "You write short English prompts for a text-to-video model that animates a neutral face photo into a "
    "facial expression. Describe the person visible in the image only by appearance (face shape, lighting, "
    "framing), then describe how the face moves into the target emotion using ONLY the facial movements "
    "listed by the user, keeping their intensity words. Do not add other facial movements. Two or three "
    "sentences, no lists, no AU codes."
)
IMAGE_PAD = "<|image_pad|>"
REQUIRED_FILES = ("config.json", "tokenizer_config.json", "preprocessor_config.json")


def user_message(emotion: Emotion, retrieved: Sequence[Candidate]) -> str:
    head = f"Target emotion: {Emotion.parse(emotion).value}.\n"
    if not retrieved:   # no RAG (VLM-only ablation): the model chooses the facial movements itself
        return head + "Describe the facial movements of this emotion yourself.\nWrite the prompt."
    lines = "\n".join(f"- {c.description}" for c in retrieved)
    return head + f"Facial movements retrieved from the FACS knowledge base:\n{lines}\nWrite the prompt."


def check_model_dir(model_dir: str | Path) -> Path:
    """The folder, or a FileNotFoundError naming it, what is missing and where to get it."""
    d = Path(model_dir)
    missing = [f for f in REQUIRED_FILES if not (d / f).is_file()]
    if not d.is_dir() or missing:
        raise FileNotFoundError(
            f"qwen-vl writer: {d} is not a Qwen2.5-VL model directory"
            + (f" (missing {', '.join(missing)})" if d.is_dir() else " (not found)")
            + ". Download Qwen/Qwen2.5-VL-7B-Instruct (Apache-2.0) on a machine with hub access, "
            "e.g. `huggingface-cli download Qwen/Qwen2.5-VL-7B-Instruct --local-dir <dir>`, "
            "and set writer.qwen_dir to <dir>.")
    return d


def _processor_chat_template(d: Path) -> str:
    """The chat template a Qwen2.5-VL checkpoint keeps next to the processor (hub downloads have
    ``chat_template.json``; transformers 5 saves ``chat_template.jinja``)."""
    import json

    if (d / "chat_template.jinja").is_file():
        return (d / "chat_template.jinja").read_text()
    if (d / "chat_template.json").is_file():
        return json.loads((d / "chat_template.json").read_text())["chat_template"]
    raise FileNotFoundError(f"qwen-vl writer: no chat template in {d} (tokenizer_config.json, chat_template.json "
                            "or chat_template.jinja)")


class QwenVLWriter:
    name = "qwen-vl"

    def __init__(self, model_dir: str | Path, max_new_tokens: int = 256, temperature: float = 0.8,
                 top_p: float = 0.9, max_pixels: int = 448 * 448, seed: int = 0, device: str | None = None,
                 landmarks_fn=None):
        import torch
        from transformers import AutoTokenizer, Qwen2_5_VLForConditionalGeneration

        try:    # the PIL backend: the default one needs torchvision (absent next to CPU torch)
            from transformers import Qwen2VLImageProcessorPil as Qwen2VLImageProcessor
        except ImportError:
            from transformers import Qwen2VLImageProcessor

        d = check_model_dir(model_dir)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.model = Qwen2_5_VLForConditionalGeneration.from_pretrained(d, dtype=dtype).to(self.device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(d)
        self.image_processor = Qwen2VLImageProcessor.from_pretrained(d, max_pixels=max_pixels)
        if not getattr(self.tokenizer, "chat_template", None):
            self.tokenizer.chat_template = _processor_chat_template(d)
        if IMAGE_PAD not in self.tokenizer.get_vocab():
            raise ValueError(f"qwen-vl writer: tokenizer in {d} has no {IMAGE_PAD} token; not a Qwen2.5-VL tokenizer")
        self.max_new_tokens, self.temperature, self.top_p, self.seed = max_new_tokens, temperature, top_p, seed
        self.landmarks_fn = landmarks_fn      # unused: the model sees the image itself
        self.last_new_tokens = 0

    def inputs(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> dict:
        """Tokenised chat (system, user: image + request) with the image patches, as model inputs."""
        from PIL import Image

        messages = [
            {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": user_message(emotion, retrieved)}]},
        ]
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        vis = self.image_processor(images=[Image.fromarray(identity_image)], return_tensors="pt")
        merge = int(getattr(self.image_processor, "merge_size", 2))
        n_tokens = int(vis["image_grid_thw"][0].prod()) // (merge * merge)
        if text.count(IMAGE_PAD) != 1:
            raise ValueError(f"qwen-vl writer: chat template produced {text.count(IMAGE_PAD)} image slots, expected 1")
        text = text.replace(IMAGE_PAD, IMAGE_PAD * n_tokens)
        enc = self.tokenizer([text], return_tensors="pt")
        return {**enc, **vis}

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str:
        from argen_rl.asi.writers import WriteJob

        return self.write_batch([WriteJob(identity_image, Emotion.parse(emotion), retrieved, "", self.seed)])[0]

    def write_batch(self, jobs: Sequence) -> list[str]:
        """One prompt per ``WriteJob``, all generated in one call (left padding)."""
        import torch

        if not jobs:
            return []
        encs = [self.inputs(j.image, j.emotion, j.retrieved) for j in jobs]
        width = max(int(e["input_ids"].shape[1]) for e in encs)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(encs), width), pad, dtype=encs[0]["input_ids"].dtype)
        mask = torch.zeros((len(encs), width), dtype=encs[0]["attention_mask"].dtype)
        for i, e in enumerate(encs):          # left padding: every prompt ends where generation starts
            n = int(e["input_ids"].shape[1])
            ids[i, width - n:] = e["input_ids"][0]
            mask[i, width - n:] = e["attention_mask"][0]
        batch = {"input_ids": ids, "attention_mask": mask,
                 "pixel_values": torch.cat([e["pixel_values"] for e in encs]),
                 "image_grid_thw": torch.cat([e["image_grid_thw"] for e in encs])}
        batch = {k: v.to(self.device) for k, v in batch.items()}
        # seeded by the batch's jobs: a rerun with the same batches samples the same tokens
        seed = int(np.random.SeedSequence([int(j.seed) % 2**32 for j in jobs]).generate_state(1)[0])
        torch.manual_seed(seed)
        with torch.no_grad():
            out = self.model.generate(**batch, max_new_tokens=self.max_new_tokens, do_sample=True,
                                      temperature=self.temperature, top_p=self.top_p, pad_token_id=pad)
        new = out[:, width:]
        self.last_new_tokens = int(new.shape[1])
        return [self.tokenizer.decode(row, skip_special_tokens=True).strip() for row in new]
