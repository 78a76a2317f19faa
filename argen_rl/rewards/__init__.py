"""ARD rewards (ARGen Eq. 14-18, plus our naturalness r_N), ddpo-pytorch style: ``make_<name>(...) -> fn(videos, requests) -> (scores, info)``."""
from argen_rl.rewards.composite import DEFAULT_WEIGHTS, REWARDS, CompositeReward, RewardConfig, make_reward
from argen_rl.rewards.expression import make_expression_reward
from argen_rl.rewards.face import make_face_reward
from argen_rl.rewards.naturalness import make_naturalness_reward
from argen_rl.rewards.quality import make_quality_reward
from argen_rl.rewards.steps import make_steps_reward
from argen_rl.rewards.topk import topk_rank, topk_reward

__all__ = [
    "DEFAULT_WEIGHTS", "REWARDS", "CompositeReward", "RewardConfig", "make_reward", "make_expression_reward",
    "make_face_reward", "make_naturalness_reward", "make_quality_reward", "make_steps_reward", "topk_rank", "topk_reward",
]
