"""Ray Serve app for on-demand augmentation: ``serve run serve/config.yaml`` or ``argen serve``."""
