"""TI2V diffusion sampler: ModelScope T2V driven as image-to-video (ARGen §3.1, Eq. 4-5, 11-12),
with optional SynFER semantic guidance. See docs/ti2v.md."""
from argen_rl.generation.ti2v.components import TI2VComponents, check_model_dir, load_components
from argen_rl.generation.ti2v.generator import TI2VConfig, TI2VGenerator
from argen_rl.generation.ti2v.guidance import SemanticGuidance
from argen_rl.generation.ti2v.pipeline import StepState, TI2VOutput, TI2VPipeline

__all__ = ["TI2VComponents", "TI2VConfig", "TI2VGenerator", "TI2VOutput", "TI2VPipeline",
           "SemanticGuidance", "StepState", "check_model_dir", "load_components"]
