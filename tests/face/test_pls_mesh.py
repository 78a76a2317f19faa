"""py-feat's shipped PLS AU -> mesh model: loaded by path, linear, with per-AU regions."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.face.pls_mesh import GENERATOR_PLS_AUS, load_pls_mesh


@pytest.fixture(scope="module")
def pls():
    return load_pls_mesh()


def test_shapes_inputs_and_regions(pls):
    assert pls.aus == (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 17, 20, 23, 24, 25, 26, 28, 43)
    assert pls.coef.shape == (23, 478, 3) and pls.intercept.shape == (478, 3)
    assert {1, 2, 4, 9, 12, 26} <= set(pls.regions) and pls.region(43) is None
    assert not pls.coef.flags.writeable
    assert GENERATOR_PLS_AUS <= set(pls.aus)


def test_mesh_is_linear_in_the_aus_and_has_a_face_scale(pls):
    rest = pls.mesh({})
    iris_l, iris_r = rest[468], rest[473]
    assert 70 < np.linalg.norm(iris_l - iris_r) < 95          # ~81 units between the irises
    np.testing.assert_allclose(pls.mesh({26: 1.0}) - rest, pls.displacement(26), atol=1e-9)
    np.testing.assert_allclose(pls.mesh({26: 0.5, 12: 0.5}) - rest,
                               0.5 * pls.displacement(26) + 0.5 * pls.displacement(12), atol=1e-9)


def test_jaw_drop_lowers_the_lower_lip(pls):
    d = pls.displacement(26)
    assert d[17, 1] < 0 and abs(d[17, 1]) > abs(d[0, 1])       # y up: lower lip (17) goes down more than upper (0)


def test_unknown_au_fails_clearly(pls):
    with pytest.raises(KeyError, match="AU99"):
        pls.displacement(99)
