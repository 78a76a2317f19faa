"""Randomly initialised components of the true architectures, built from config (no weights).

Two presets, as diffusers' own tests and benchmarks do it:

- ``"ms-1.7b"``: ModelScope T2V 1.7B's configuration (UNet3D 1.41 B params, SD-style 4-channel
  VAE, OpenCLIP ViT-H/14 text tower truncated to 23 layers, hidden 1024). For benchmarks: the
  compute is exactly that of the real model, only the weights are random.
- ``"tiny"``: the same classes with a few channels, for CPU tests and CI smoke runs.

Both use a CLIP tokenizer loaded from a local folder (the tests ship a tiny BPE one).
``save_components`` writes them in the diffusers folder layout that ``load_components`` reads.
"""
from __future__ import annotations

from pathlib import Path

import torch

from argen_rl.generation.ti2v.components import TI2VComponents

# DDIM over the scaled-linear schedule ModelScope T2V was trained with (Stable Diffusion's).
SCHEDULER_CONFIG = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                        beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False,
                        steps_offset=1, prediction_type="epsilon")

MS17B_UNET = dict(
    sample_size=32, in_channels=4, out_channels=4,
    down_block_types=("CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"),
    up_block_types=("UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, cross_attention_dim=1024,
    attention_head_dim=64, norm_num_groups=32, act_fn="silu",
)
MS17B_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, sample_size=256, layers_per_block=2,
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512), norm_num_groups=32, scaling_factor=0.18215,
)
MS17B_TEXT = dict(vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                  num_attention_heads=16, max_position_embeddings=77, hidden_act="gelu",
                  projection_dim=1024, bos_token_id=49406, eos_token_id=49407, pad_token_id=1)

TINY_UNET = dict(
    sample_size=8, in_channels=4, out_channels=4,
    down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"), up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
    block_out_channels=(16, 32), layers_per_block=1, cross_attention_dim=32, attention_head_dim=8,
    norm_num_groups=8,
)
TINY_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, sample_size=32, layers_per_block=1,
    down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
    block_out_channels=(8, 16, 16), norm_num_groups=8, scaling_factor=0.18215,
)
TINY_TEXT = dict(vocab_size=1000, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                 num_attention_heads=4, max_position_embeddings=77, hidden_act="gelu",
                 projection_dim=32, bos_token_id=717, eos_token_id=718, pad_token_id=718)

PRESETS = {"tiny": (TINY_UNET, TINY_VAE, TINY_TEXT), "ms-1.7b": (MS17B_UNET, MS17B_VAE, MS17B_TEXT)}


def random_components(preset: str, tokenizer_dir: str | Path, seed: int = 0) -> TI2VComponents:
    """Random-weight components of ``preset`` on CPU in fp32 (move them with prepare_components)."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet3DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    unet_cfg, vae_cfg, text_cfg = PRESETS[preset]
    torch.manual_seed(seed)
    unet = UNet3DConditionModel(**unet_cfg)
    vae = AutoencoderKL(**vae_cfg)
    text_encoder = CLIPTextModel(CLIPTextConfig(**text_cfg))
    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir)
    scheduler = DDIMScheduler(**SCHEDULER_CONFIG)
    return TI2VComponents(unet.eval(), vae.eval(), text_encoder.eval(), tokenizer, scheduler)


def save_components(c: TI2VComponents, model_dir: str | Path) -> Path:
    """Write components in the diffusers folder layout (what ``load_components`` expects)."""
    model_dir = Path(model_dir)
    c.unet.save_pretrained(model_dir / "unet")
    c.vae.save_pretrained(model_dir / "vae")
    c.text_encoder.save_pretrained(model_dir / "text_encoder")
    c.tokenizer.save_pretrained(model_dir / "tokenizer")
    c.scheduler.save_pretrained(model_dir / "scheduler")
    return model_dir
