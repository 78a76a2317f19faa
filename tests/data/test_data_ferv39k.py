"""FERV39k reader on a fixture in the official layout (space-separated CSVs, no header)."""
from __future__ import annotations

from argen_rl.data import load_clip_frames, read_dataset
from argen_rl.types import Emotion


def test_ferv39k_layout(tmp_path, write_frames):
    root = tmp_path / "FERV39k"
    crops = root / "2_ClipsforFaceCrop"
    write_frames(crops / "Daily_life" / "Happy" / "0001", 20)
    write_frames(crops / "Interview" / "Surprise" / "0002", 7)          # short clip
    write_frames(crops / "Interview" / "Fear" / "0003", 16)             # integer label 2 = Fear
    write_frames(crops / "Interview" / "Bored" / "0004", 16)            # unknown emotion name
    write_frames(crops / "Interview" / "Sad" / "0006", 16)              # integer label out of range
    setup = root / "4_setups" / "All_scenes"
    setup.mkdir(parents=True)
    (setup / "train_All.csv").write_text(
        "Daily_life/Happy/0001 Happy\n"
        "Interview/Fear/0003 2\n"
        "Interview/Bored/0004 Bored\n"
        "Interview/Angry/0005 Angry\n"          # folder missing
        "Interview/Sad/0006 9\n"
        "just_one_token\n\n")
    (setup / "test_All.csv").write_text("Interview/Surprise/0002 Surprise\n")

    index = read_dataset(root)
    assert index.name == "ferv39k"
    clips = {c.clip_id: c for c in index.clips}
    assert set(clips) == {"Daily_life_Happy_0001", "Interview_Fear_0003", "Interview_Surprise_0002"}
    assert clips["Interview_Fear_0003"].emotion is Emotion.FEAR
    assert clips["Interview_Surprise_0002"].split == "test"
    assert clips["Daily_life_Happy_0001"].split == "train"
    reasons = {s.clip_id: s.reason for s in index.skipped}
    assert "unknown emotion 'Bored'" in reasons["Interview_Bored_0004"]
    assert "not found" in reasons["Interview_Angry_0005"]
    assert "outside 0..6" in reasons["Interview_Sad_0006"]
    assert "malformed line" in reasons["just_one_token"]
    frames = load_clip_frames(clips["Interview_Surprise_0002"])
    assert frames.shape == (16, 64, 64, 3)
    assert (frames[6:] == frames[6]).all()
