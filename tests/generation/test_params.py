import numpy as np
import pytest

from argen_rl.generation.params import frame_positions, guidance_for, guidance_weights, intensity_curve
from argen_rl.types import GenParams


def test_weights_span_range_and_peak_gets_w_max():
    w = guidance_weights(16, a=2.0, b=5.0, w_min=7.5, w_max=10.5)
    assert w.shape == (16,)
    assert w.max() == pytest.approx(10.5)
    assert w.min() >= 7.5 - 1e-12
    # Beta(2, 5) peaks at tau = (a-1)/(a+b-2) = 0.2 -> frame 2 or 3 of 16
    assert int(np.argmax(w)) in (2, 3)


def test_uniform_curve_is_constant_w_max():
    w = guidance_weights(16, 1.0, 1.0, 7.5, 10.5)
    np.testing.assert_allclose(w, 10.5)


def test_swapping_a_b_reverses_frames():
    w = guidance_weights(16, 0.5, 3.0, 6.0, 12.0)
    w_rev = guidance_weights(16, 3.0, 0.5, 6.0, 12.0)
    np.testing.assert_allclose(w, w_rev[::-1])


@pytest.mark.parametrize("a,b", [(0.3, 0.3), (0.5, 4.0), (50.0, 50.0), (200.0, 1.0)])
def test_edge_shapes_are_finite(a, b):
    w = guidance_weights(16, a, b, 7.5, 10.5)
    assert np.all(np.isfinite(w)) and w.max() == pytest.approx(10.5)


def test_u_shaped_curve_for_a_b_below_one():
    w = guidance_weights(16, 0.5, 0.5, 0.0, 1.0)
    assert w[0] > w[8] and w[-1] > w[8]


def test_positions_are_midpoints():
    np.testing.assert_allclose(frame_positions(4), [0.125, 0.375, 0.625, 0.875])


def test_genparams_validation_and_curve():
    with pytest.raises(ValueError, match="steps"):
        GenParams(steps=0)
    with pytest.raises(ValueError, match="w_max"):
        GenParams(w_min=10, w_max=5)
    p = GenParams(steps=10, a=3, b=3, frames=8)
    assert guidance_for(p).shape == (8,)
    assert intensity_curve(8, 3, 3).max() == pytest.approx(1.0)
