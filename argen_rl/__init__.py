"""ARGen-RL: AU-guided, policy-controlled expression video generation for long-tailed FER data."""
from argen_rl.types import EMOTIONS7, Clip, Context, Emotion, GenParams, GenRequest, Video

__version__ = "0.1.0"
__all__ = ["EMOTIONS7", "Clip", "Context", "Emotion", "GenParams", "GenRequest", "Video"]
