import numpy as np
import pytest

from argen_rl.generation.params import (
    curve_shape, frame_positions, guidance_for, guidance_weights, intensity_curve,
)
from argen_rl.types import GenParams


def test_weights_span_the_whole_range_over_generated_frames():
    w = guidance_weights(16, a=2.0, b=5.0, w_min=7.5, w_max=10.5)
    assert w.shape == (16,)
    gen = w[1:]                                  # frame 0 is the reference, not generated
    assert gen.max() == pytest.approx(10.5) and gen.min() == pytest.approx(7.5)
    assert w[0] == 7.5
    # Beta(2, 5) peaks at tau = (a-1)/(a+b-2) = 0.2 -> generated frame 3 of 1..15
    assert int(np.argmax(w)) in (3, 4)


@pytest.mark.parametrize("a,b", [(1.0, 4.0), (4.0, 1.0), (2.0, 2.0), (1.0, 2.0)])
def test_peak_frame_gets_w_max_and_lowest_gets_w_min(a, b):
    """The defect this fixes: normalising over all F frames and then dropping frame 0 left no
    generated frame at w_max for (a=1, b=4), and w_min was never reached."""
    w = guidance_weights(16, a, b, 7.5, 10.5)[1:]
    assert w.max() == pytest.approx(10.5) and w.min() == pytest.approx(7.5)


def test_uniform_curve_is_constant_w_max():
    w = guidance_weights(16, 1.0, 1.0, 7.5, 10.5)
    np.testing.assert_allclose(w[1:], 10.5)


def test_swapping_a_b_reverses_generated_frames():
    w = guidance_weights(16, 0.5, 3.0, 6.0, 12.0)[1:]
    w_rev = guidance_weights(16, 3.0, 0.5, 6.0, 12.0)[1:]
    np.testing.assert_allclose(w, w_rev[::-1])


@pytest.mark.parametrize("a,b", [(0.3, 0.3), (0.5, 4.0), (50.0, 50.0), (200.0, 1.0)])
def test_edge_shapes_are_finite(a, b):
    w = guidance_weights(16, a, b, 7.5, 10.5)
    assert np.all(np.isfinite(w)) and w.max() == pytest.approx(10.5)


def test_u_shaped_curve_for_a_b_below_one():
    w = guidance_weights(16, 0.5, 0.5, 0.0, 1.0)
    assert w[1] > w[8] and w[-1] > w[8]


def test_positions_are_midpoints_of_the_generated_frames():
    np.testing.assert_allclose(frame_positions(5), [0.125, 0.375, 0.625, 0.875])
    with pytest.raises(ValueError, match="frames must be >= 2"):
        frame_positions(1)


def test_one_curve_for_both_generators():
    """warp intensity == ti2v guidance with w_min=0, w_max=1, frame for frame."""
    for a, b in [(1, 1), (2, 5), (4, 1), (1, 4), (0.5, 0.5)]:
        np.testing.assert_allclose(intensity_curve(16, a, b), guidance_weights(16, a, b, 0.0, 1.0))
        np.testing.assert_allclose(curve_shape(16, a, b), intensity_curve(16, a, b))
        assert intensity_curve(16, a, b)[0] == 0.0


def test_genparams_validation_and_curve():
    with pytest.raises(ValueError, match="steps"):
        GenParams(steps=0)
    with pytest.raises(ValueError, match="w_max"):
        GenParams(w_min=10, w_max=5)
    p = GenParams(steps=10, a=3, b=3, frames=8)
    assert guidance_for(p).shape == (8,)
    assert intensity_curve(8, 3, 3).max() == pytest.approx(1.0)
