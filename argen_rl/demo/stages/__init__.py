"""The demo's stages in pipeline order; each calls its stage's own API and writes files."""
from argen_rl.demo.runner import Stage
from argen_rl.demo.stages import asi, augment, data, metrics, recognition, train

STAGES: list[Stage] = [
    Stage("data", "data summary", data.run, ("data",)),
    Stage("asi", "ASI contexts", asi.run, ("asi",)),
    Stage("train", "policy training (Ray, warp)", train.run, ("train",)),
    Stage("augment", "augmentation + calibration", augment.run, ("augment",)),
    Stage("recognition", "recognition original vs augmented", recognition.run, ("recognition",)),
    Stage("metrics", "generation metrics", metrics.run, ("metrics",)),
]
