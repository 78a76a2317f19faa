import numpy as np
import pytest

from argen_rl.asi.intensity import letter_to_value, sample_intensities, value_to_letter


def test_letters_and_values_round_trip():
    for letter, v in zip("ABCDE", range(1, 6)):
        assert letter_to_value(letter) == v
        assert value_to_letter(v) == letter
    assert value_to_letter(0.2) is None          # absent
    assert value_to_letter(1.49) == "A" and value_to_letter(1.5) == "B"
    assert value_to_letter(9.0) == "E"
    with pytest.raises(ValueError, match="unknown FACS intensity letter"):
        letter_to_value("F")


def test_sampling_is_seeded_and_honours_source_letters():
    a = sample_intensities([1, 2, 5, 26], np.random.default_rng(3), fixed_letters={5: "B"})
    b = sample_intensities([1, 2, 5, 26], np.random.default_rng(3), fixed_letters={5: "B"})
    assert a == b and set(a) == {1, 2, 5, 26}
    assert value_to_letter(a[5]) == "B"
    assert all(1.0 <= v <= 3.5 for k, v in a.items() if k != 5)
    c = sample_intensities([1, 2], np.random.default_rng(0), centres={1: 4.0}, spread=0.2)
    assert 3.8 <= c[1] <= 4.2
