"""Face analysis toolkit: detection, landmarks, expression classifier, AUs, frame quality."""
