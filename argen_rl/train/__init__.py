"""ARD policy training on RLlib (PPO on one-step episodes): config, callbacks, loop, evaluation."""
