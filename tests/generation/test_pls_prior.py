"""The data-driven prior is compared, not used: every generator field is hand-made unless its AU
is listed in GENERATOR_PLS_AUS (the AU reader drops those from its vote)."""
from __future__ import annotations

import numpy as np

from argen_rl.face.pls_mesh import GENERATOR_PLS_AUS, load_pls_mesh
from argen_rl.generation.au_motion import AU_FIELDS
from argen_rl.generation.pls_prior import comparable_aus, compare, pls_face_displacement, pls_field


def test_default_fields_take_from_pls_exactly_the_listed_aus():
    from_pls = {au for au, fn in AU_FIELDS.items() if fn.__name__.startswith("pls_")}
    assert from_pls == set(GENERATOR_PLS_AUS)


def test_masked_pls_field_stays_in_its_region_and_is_in_iod():
    m = load_pls_mesh()
    for au in (9, 12, 26):
        d = pls_face_displacement(au)
        outside = np.ones(len(d), bool)
        outside[m.region(au)] = False
        assert not d[outside].any() and np.abs(d).max() > 0
        assert np.abs(d).max() < 1.0                        # IOD units, not the model's ~cm
        np.testing.assert_array_equal(pls_field(au)(None), d)


def test_comparison_is_finite_and_measures_the_leak():
    aus = comparable_aus()
    assert {1, 4, 9, 12, 17, 26} <= set(aus)
    for au in aus:
        c = compare(au)
        assert -1.0 <= c.cosine <= 1.0 and c.pls_rms > 0 and 0.0 <= c.in_region <= 1.0
    # the measurement: most of the fit's displacement leaks outside the AU's region
    assert all(compare(au).in_region < 0.5 for au in aus)
    assert compare(17).cosine > 0.9                          # both raise the chin boss
