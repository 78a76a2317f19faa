"""r_E (ARGen Eq. 17): the amplitude tent and AU agreement, pure and on real warped face videos."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.rewards.expression import agreement_score, amplitude_score, target_vector


def test_amplitude_tent_known_values():
    A_max = 4.0
    # per-frame AU vectors with L2 norms 0, 2, 4, 6, 8, 12  ->  u = 0, .5, 1, 1.5, 2, 3
    norms = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 12.0])
    aus = np.zeros((6, 14))
    aus[:, 0] = norms * 0.6
    aus[:, 3] = norms * 0.8
    per_frame = [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    for f, expected in enumerate(per_frame):
        score, n = amplitude_score(aus[f:f + 1], A_max)
        assert score == pytest.approx(expected)
        assert n[0] == pytest.approx(norms[f])
    score, _ = amplitude_score(aus, A_max)
    assert score == pytest.approx(np.mean(per_frame))


def test_amplitude_unmeasurable_frames_score_zero():
    aus = np.full((4, 14), 0.0)
    aus[:, 2] = 4.0
    aus[1] = np.nan
    score, _ = amplitude_score(aus, A_max=4.0)
    assert score == pytest.approx(0.75)


def test_agreement_cosine_on_au_set_order():
    au_set = (1, 2, 4, 5, 12, 25, 26)
    t = target_vector({1: 2.0, 2: 2.0, 5: 1.0, 26: 3.0, 43: 5.0}, au_set)   # AU43 is not measured
    np.testing.assert_array_equal(t, [2, 2, 0, 1, 0, 0, 3])
    same = np.tile(t, (3, 1)) * 0.5
    assert agreement_score(same, t) == pytest.approx(1.0)
    orthogonal = np.zeros((3, 7))
    orthogonal[:, 4] = 3.0                                # AU12 only: smile vs surprise target
    assert agreement_score(orthogonal, t) == 0.0
    negative = -same                                      # AUs below the reference are not "agreement"
    assert agreement_score(negative, t) == 0.0
    assert agreement_score(same, np.zeros(7)) == 0.0
