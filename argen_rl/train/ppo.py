"""The RLlib algorithm config: PPO on one-step episodes with the three-headed RLModule.

Why PPO: RLlib 2.60 ships no REINFORCE / vanilla PG algorithm. With one-step episodes, gamma = 1
and GAE lambda = 1 the advantage is A = r - V(s), so PPO's clipped surrogate is the policy
gradient of ARGen Eq. 19-20 with a learned baseline (which only lowers variance), and the
log-likelihood of the factorised policy is the sum over the three heads (Eq. 21, done by
TorchMultiCategorical). Adam is RLlib's PPO optimizer, as in the paper.
"""
from __future__ import annotations

from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from argen_rl.policy.module import ArgenPolicyModule
from argen_rl.train.callbacks import ArgenMetricsCallback
from argen_rl.train.config import TrainConfig
from envs.bandit_env import ArgenBanditEnv


def build_ppo_config(cfg: TrainConfig) -> PPOConfig:
    env_cfg = cfg.env.model_copy(update={"split": "train", "seed": cfg.seed})
    p, r = cfg.ppo, cfg.ray
    return (
        PPOConfig()
        .environment(ArgenBanditEnv, env_config=env_cfg.model_dump(mode="json"))
        .env_runners(num_env_runners=r.num_env_runners,
                     num_envs_per_env_runner=r.num_envs_per_env_runner,
                     num_cpus_per_env_runner=1 if r.num_env_runners else 0,
                     sample_timeout_s=r.sample_timeout_s)
        .learners(num_learners=0)
        .training(train_batch_size_per_learner=p.train_batch_size, minibatch_size=p.minibatch_size,
                  num_epochs=p.num_epochs, lr=p.lr, entropy_coeff=p.entropy_coeff,
                  clip_param=p.clip_param, vf_loss_coeff=p.vf_loss_coeff,
                  gamma=1.0, lambda_=1.0,   # one-step episodes: A = r - V(s)  (ARGen Eq. 20)
                  use_kl_loss=False)
        .rl_module(rl_module_spec=RLModuleSpec(
            module_class=ArgenPolicyModule,
            model_config={"text_dim": _text_dim(cfg), **cfg.model.model_dump()}))
        .callbacks(ArgenMetricsCallback)
        .debugging(seed=cfg.seed, log_level="ERROR")
        .reporting(metrics_num_episodes_for_smoothing=p.train_batch_size)
    )


def _text_dim(cfg: TrainConfig) -> int:
    """Length of the text part of the observation (the first context's text embedding)."""
    from envs.bandit_env import load_env_contexts

    return int(load_env_contexts(cfg.env.contexts)[0].text_emb.shape[0])
