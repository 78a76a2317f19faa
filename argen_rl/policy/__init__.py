"""The ARD policy (ARGen Eq. 13): action space, the three-headed RLModule, greedy inference."""
