"""Maps whose axes you choose: two directions u, v of latent space, and the test set drawn on them.

An axis is named by what it is:
  "z3"            latent dimension 3 (the unit vector e₃);
  "lda1"          the first linear discriminant of the digit classes (scikit-learn's LDA of the test
                  codes μ with their labels, joined from the data at run time), as a unit vector;
  "attr:Smiling"  a CelebA attribute direction (vae.artifacts.attributes: mean μ with − mean μ
                  without, on the train split), as a unit vector.

The map is a plane of latent space: the point (x, y) is the code base + x·u + y·v, with base the test
codes' mean less its part in the plane, so a test code c sits at (x, y) = pinv([u v])·c, its own
coordinates along u and v (on two latent dimensions: (z_i, z_j) themselves). Decoding a spot is that
code plus `offset`, the page's slider along a third direction: the rest of latent space is otherwise
held at the data's mean. Coordinates are in latent units along each unit direction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vae.artifacts.attributes import AttributeDirections

AXIS_PATTERN = re.compile(r"^(z(?P<dim>\d+)|lda(?P<lda>\d+)|attr:(?P<attr>[A-Za-z_]+))$")
PREFIX = "axes:"  # the map's projection name: axes:<x axis>|<y axis>


class AxisError(ValueError):
    """An axis that this model cannot have, with the reason in words."""


@dataclass(frozen=True)
class PlaneMap:
    """The test codes on the plane of two chosen directions."""

    axes: tuple[str, str]
    base: np.ndarray  # (D,) the code at (0, 0)
    directions: np.ndarray  # (2, D) unit vectors u, v
    coords: np.ndarray  # (N, 2) float32, each test code's (x, y)

    @property
    def projection(self) -> str:
        return projection_name(*self.axes)

    method = "axes_plane"  # how code_at names its decode

    def code(self, xy: Sequence[float], offset: np.ndarray | None = None) -> np.ndarray:
        """(D,) float32 code at map position (x, y): base + x·u + y·v (+ offset)."""
        point = np.asarray(xy, np.float64).reshape(2)
        code = self.base + point @ self.directions
        return (code if offset is None else code + offset).astype(np.float32)

    def affine(self, offset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(mean, components): code = mean + xy · components, as the browser decodes it."""
        return (self.base if offset is None else self.base + offset), self.directions


def projection_name(x_axis: str, y_axis: str) -> str:
    return f"{PREFIX}{x_axis}|{y_axis}"


def parse_projection(projection: str) -> tuple[str, str]:
    """'axes:<x>|<y>' → (x, y); AxisError when it is not one."""
    if not projection.startswith(PREFIX) or projection.count("|") != 1:
        raise AxisError(f"{projection!r} is not a chosen-axes map (axes:<x>|<y>)")
    x_axis, y_axis = projection[len(PREFIX) :].split("|")
    return x_axis, y_axis


def axis_options(latent_dim: int, lda_axes: int = 0, attributes: Sequence[str] = ()) -> list[str]:
    """Every axis a model offers: its attribute directions, its LDA axes, then its latent dimensions."""
    return [f"attr:{a}" for a in attributes] + [f"lda{i + 1}" for i in range(lda_axes)] + [f"z{d}" for d in range(latent_dim)]


def lda_directions(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(k, D) unit vectors: the linear discriminants of the classes (k = min(classes − 1, D)), most
    discriminating first (scikit-learn's LinearDiscriminantAnalysis, eigen solver)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    codes = np.asarray(codes, np.float64)
    labels = np.asarray(labels)
    if len(codes) != len(labels):
        raise AxisError(f"{len(codes)} codes but {len(labels)} labels")
    if len(np.unique(labels)) < 2:
        raise AxisError("LDA needs at least two classes")
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=None).fit(codes, labels)
    k = min(len(lda.classes_) - 1, codes.shape[1])
    scalings = lda.scalings_[:, :k].T  # (k, D), by decreasing discriminant ratio
    scalings = scalings / np.linalg.norm(scalings, axis=1, keepdims=True)
    signs = np.sign(scalings[np.arange(k), np.abs(scalings).argmax(1)])  # fixed signs: a refit gives the same map
    return scalings * np.where(signs == 0, 1, signs)[:, None]


def direction(axis: str, latent_dim: int, *, lda: np.ndarray | None = None, attributes: AttributeDirections | None = None) -> np.ndarray:
    """(D,) unit vector of an axis name; AxisError, with the reason, when this model has no such axis."""
    match = AXIS_PATTERN.match(axis)
    if match is None:
        raise AxisError(f"{axis!r} is not an axis: z<dimension>, lda<n> or attr:<attribute>")
    if match["dim"] is not None:
        d = int(match["dim"])
        if d >= latent_dim:
            raise AxisError(f"{axis!r}: this model has latent dimensions z0 … z{latent_dim - 1}")
        out = np.zeros(latent_dim)
        out[d] = 1.0
        return out
    if match["lda"] is not None:
        n = int(match["lda"])
        if lda is None:
            raise AxisError("LDA axes need the test labels (the data directory) and a labelled dataset")
        if not 1 <= n <= len(lda):
            raise AxisError(f"{axis!r}: this model has LDA axes lda1 … lda{len(lda)}")
        return np.asarray(lda[n - 1], np.float64)
    if attributes is None:
        raise AxisError("attribute axes need a CelebA model with its attribute directions")
    try:
        d = attributes.directions[attributes.index(match["attr"])].astype(np.float64)
    except KeyError as err:
        raise AxisError(str(err.args[0])) from None
    norm = float(np.linalg.norm(d))
    if norm == 0:
        raise AxisError(f"{axis!r}: the attribute's direction is zero")
    return d / norm


def plane_map(codes: np.ndarray, axes: tuple[str, str], u: np.ndarray, v: np.ndarray) -> PlaneMap:
    """The test codes (N, D) on the plane of u and v; AxisError when the two directions are (nearly) parallel."""
    directions = np.stack([np.asarray(u, np.float64), np.asarray(v, np.float64)])
    cosine = abs(float(directions[0] @ directions[1]))
    if cosine > 0.98:
        raise AxisError(f"{axes[0]} and {axes[1]} point the same way (|cos| = {cosine:.2f}): they span no plane")
    pinv = np.linalg.pinv(directions.T)  # (2, D): least-squares coordinates on the two directions
    codes = np.asarray(codes, np.float64)
    mean = codes.mean(0)
    base = mean - (pinv @ mean) @ directions  # the mean, less its part in the plane
    coords = (codes @ pinv.T).astype(np.float32)
    return PlaneMap(tuple(axes), base, directions, coords)  # type: ignore[arg-type]


def sweep(
    plane: PlaneMap, axis: int, centre: Sequence[float], half_width: float, steps: int, offset: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Codes (steps, D) along one axis of the plane through `centre`, and their positions along it."""
    along = np.linspace(centre[axis] - half_width, centre[axis] + half_width, steps)
    points = np.repeat(np.asarray(centre, np.float64)[None], steps, 0)
    points[:, axis] = along
    return np.stack([plane.code(p, offset) for p in points]), along
