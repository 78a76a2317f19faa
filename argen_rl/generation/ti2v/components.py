"""The five diffusers components of a ModelScope text-to-video model, loaded from a local folder.

The TI2V sampler drives a *text-to-video* model as image-to-video without training, so it needs
exactly the components of ModelScope T2V (damo-vilab/text-to-video-ms-1.7b, CC-BY-NC-4.0) in the
diffusers folder layout::

    <model_dir>/
      unet/          config.json + diffusion_pytorch_model[.fp16].{safetensors,bin}  UNet3DConditionModel
      vae/           config.json + diffusion_pytorch_model[.fp16].{safetensors,bin}  AutoencoderKL
      text_encoder/  config.json + model[.fp16].{safetensors,bin} / pytorch_model*.bin  CLIPTextModel
      tokenizer/     vocab.json + merges.txt (or tokenizer.json)                      CLIPTokenizer
      scheduler/     scheduler_config.json                                            DDIMScheduler

Nothing is downloaded here: a missing folder or file is an error that names it (see docs/ti2v.md
for where to get the weights and where to put them).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

DOWNLOAD_HINT = (
    "download the diffusers-format ModelScope T2V weights (e.g. `huggingface-cli download "
    "damo-vilab/text-to-video-ms-1.7b --local-dir <model_dir>`, licence CC-BY-NC-4.0) and point "
    "`model_dir` at that folder; see docs/ti2v.md"
)

# subfolder -> (what it holds, groups of alternatives: each group needs one existing file)
_REQUIRED: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    "unet": ("UNet3DConditionModel", (("config.json",), ("diffusion_pytorch_model*.safetensors", "diffusion_pytorch_model*.bin"))),
    "vae": ("AutoencoderKL", (("config.json",), ("diffusion_pytorch_model*.safetensors", "diffusion_pytorch_model*.bin"))),
    "text_encoder": ("CLIPTextModel", (("config.json",), ("model*.safetensors", "pytorch_model*.bin"))),
    "tokenizer": ("CLIPTokenizer", (("vocab.json", "tokenizer.json"), ("merges.txt", "tokenizer.json"))),
    "scheduler": ("DDIMScheduler", (("scheduler_config.json",),)),
}


@dataclass
class TI2VComponents:
    """The model pieces the sampler uses; ``unet``/``vae``/``text_encoder`` already on device."""

    unet: "torch.nn.Module"          # diffusers UNet3DConditionModel
    vae: "torch.nn.Module"           # diffusers AutoencoderKL
    text_encoder: "torch.nn.Module"  # transformers CLIPTextModel
    tokenizer: object                # transformers CLIPTokenizer
    scheduler: object                # diffusers DDIMScheduler


def resolve_device(device: str = "auto") -> torch.device:
    """"auto" -> cuda when available, else cpu."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """"auto" -> bf16 on a GPU that supports it, else fp16 on GPU; fp32 on CPU."""
    if dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    table = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in table:
        raise ValueError(f"dtype must be one of auto, {', '.join(table)}; got {dtype!r}")
    return table[dtype]


def check_model_dir(model_dir: Path) -> None:
    """Raise FileNotFoundError naming every missing subfolder/file of a diffusers T2V folder."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"TI2V model_dir {model_dir} does not exist: {DOWNLOAD_HINT}")
    missing = []
    for sub, (what, groups) in _REQUIRED.items():
        folder = model_dir / sub
        if not folder.is_dir():
            missing.append(f"{sub}/ ({what})")
            continue
        for alternatives in groups:
            if not any(any(folder.glob(pat)) for pat in alternatives):
                missing.append(f"{sub}/{' or '.join(alternatives)}")
    if missing:
        raise FileNotFoundError(f"TI2V model_dir {model_dir} is incomplete, missing: "
                                f"{'; '.join(missing)}. {DOWNLOAD_HINT}")


def _variant(folder: Path, stem: str) -> str | None:
    """Use the fp16 variant only when it is the sole weights file in ``folder``."""
    plain = any(folder.glob(f"{stem}.safetensors")) or any(folder.glob(f"{stem}.bin"))
    fp16 = any(folder.glob(f"{stem}.fp16.safetensors")) or any(folder.glob(f"{stem}.fp16.bin"))
    return "fp16" if fp16 and not plain else None


def use_sdpa(*models: torch.nn.Module) -> None:
    """Route every diffusers attention layer through torch's scaled_dot_product_attention."""
    from diffusers.models.attention_processor import AttnProcessor2_0

    for m in models:
        m.set_attn_processor(AttnProcessor2_0())


def load_components(model_dir: str | Path, device: str = "auto", dtype: str = "auto") -> TI2VComponents:
    """Load UNet/VAE/text encoder/tokenizer/scheduler from a local diffusers T2V folder."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet3DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    model_dir = Path(model_dir)
    check_model_dir(model_dir)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    unet = UNet3DConditionModel.from_pretrained(
        model_dir, subfolder="unet", torch_dtype=dt,
        variant=_variant(model_dir / "unet", "diffusion_pytorch_model"))
    vae = AutoencoderKL.from_pretrained(
        model_dir, subfolder="vae", torch_dtype=dt,
        variant=_variant(model_dir / "vae", "diffusion_pytorch_model"))
    te_dir = model_dir / "text_encoder"
    te_variant = _variant(te_dir, "model") or _variant(te_dir, "pytorch_model")
    text_encoder = CLIPTextModel.from_pretrained(model_dir, subfolder="text_encoder", dtype=dt,
                                                 variant=te_variant)
    tokenizer = CLIPTokenizer.from_pretrained(model_dir, subfolder="tokenizer")
    scheduler = DDIMScheduler.from_pretrained(model_dir, subfolder="scheduler")
    return prepare_components(TI2VComponents(unet, vae, text_encoder, tokenizer, scheduler), dev, dt)


def prepare_components(c: TI2VComponents, device: torch.device, dtype: torch.dtype) -> TI2VComponents:
    """Move to device/dtype, eval mode, no grads on weights, SDPA attention."""
    for m in (c.unet, c.vae, c.text_encoder):
        m.to(device)
        if next(m.parameters()).dtype != dtype:
            m.to(dtype)
        m.eval().requires_grad_(False)
    use_sdpa(c.unet, c.vae)
    return c


def model_fingerprint(model_dir: str | Path) -> str:
    """Short hash of a model folder: every config/tokenizer file's bytes + every weight file's
    name and size (hashing gigabytes of weights on each start would take minutes)."""
    h = hashlib.sha256()
    root = Path(model_dir)
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        h.update(rel.encode())
        if p.suffix in {".json", ".txt"}:
            h.update(p.read_bytes())
        else:
            h.update(str(p.stat().st_size).encode())
    return h.hexdigest()[:12]

