r"""Contour quadrature for :math:`E\,g(K_S)` from the resolvent equivalent (``THEORY.md`` 3b).

For a probability measure :math:`\mu` on :math:`[0, \infty)` with Stieltjes transform
:math:`\bar Q(z) = \int d\mu(x)/(x - z)`, and :math:`g` analytic on a neighbourhood of the
support,

.. math:: \int g\, d\mu = \frac{1}{2\pi i}\int_\Gamma g(z)\, \bar Q(z)\, dz

over a contour :math:`\Gamma` passing left of 0 and enclosing the support. Gradient flow,
:math:`g(z) = e^{-tz}`, uses the parabola :math:`z(u) = a(u + i)^2`, :math:`u \in
\mathbb R` (Weideman and Trefethen, "Parabolic and hyperbolic contours for computing the
Bromwich integral", Math. Comp. 2007): :math:`t z(u) = \tau (u+i)^2` with
:math:`\tau = ta`, so the integrand decays like :math:`e^{-\tau u^2}` and the
trapezoidal rule :math:`u_j = jh` converges geometrically. Conjugate symmetry
(:math:`z(-u) = \overline{z(u)}`) leaves the nodes :math:`j = 0..N`:

.. math:: e(t) \approx \frac{h}{\pi} \sum_{j=0}^{N} \omega_j\,
          \mathrm{Im}\big[e^{-\tau\zeta_j}\, 2(u_j+i)\, a\bar Q(a\zeta_j)\big],
          \qquad \zeta_j = (u_j + i)^2,\ \omega_0 = 1/2,\ \omega_{j>0} = 1.

*Windows.* One contour serves all times with :math:`\tau = ta \in [c, 2c)`: the times are
grouped in windows :math:`t \in [2^w, 2^{w+1})` with :math:`a_w = c\,2^{-w}`, so the
resolvent is solved once per window and node, and :math:`2t` lies in window
:math:`w + 1` at the same :math:`\tau` (``e(t)`` and ``e(2t)`` share every solve).

*Error bound, uniform over every measure.* The rule is linear in :math:`\bar Q`, and
:math:`\bar Q = \int d\mu(x)/(x - z)`; its error is therefore
:math:`\int \varepsilon(t, x)\, d\mu(x)`, where :math:`\varepsilon(t, x)` is the error
for the point mass at :math:`x` (:math:`\bar Q = 1/(x - z)`, exact value
:math:`e^{-tx}`). That error depends only on :math:`\tau` and :math:`x/a`, so

.. math:: |\text{error}| \le B = \sup_{\tau\in[c,2c],\ \xi \ge 0}
          \Big|\frac{h}{\pi}\sum_j \omega_j\, \mathrm{Im}\frac{e^{-\tau\zeta_j}\,2(u_j+i)}
          {\xi - \zeta_j} - e^{-\tau\xi}\Big|

holds for every width, spectrum, eigenvalue and time at once (and for the atom at 0 of
a finite student). With the derivative weights :math:`(-z_j)^r` the same argument bounds
the error of :math:`d^r e/dt^r` by :math:`a^r B_r`. :func:`point_mass_error` computes
the supremum; the plans below quote it (tests re-measure it).

*Parameters.* The trapezoidal error has three parts (W&T 2007, section 3): the lower
strip, limited by the singular line :math:`\mathrm{Im}\,u = -1` (the image of
:math:`[0,\infty)`), :math:`e^{-2\pi/h}`; the upper strip, where :math:`e^{-\tau\zeta}`
grows, :math:`e^{-\pi^2/(\tau h^2) + 2\pi/h}` at the worst :math:`\tau = 2c`; and the
truncation :math:`e^{-c (Nh)^2}` at the smallest :math:`\tau = c`. Balancing them with
:math:`h = \alpha/N`, :math:`c = \beta N` gives :math:`\alpha = 4`, :math:`c = \pi N/32`
and the rate :math:`e^{-\pi N/2}`, i.e. :math:`N \approx 1.47` nodes per digit
(per-time contours, ratio 1, would allow :math:`e^{-2.2N}`; windows of ratio 2 cost 40%
more nodes but share the solves and serve ``e(2t)``). Measured (``point_mass_error`` in
60-digit arithmetic): :math:`N = 30, 44, 66` give :math:`B_0 = 10^{-20.2}, 10^{-29.7},
10^{-44.7}` against :math:`e^{-\pi N/2} = 10^{-20.5}, 10^{-30.0}, 10^{-45.0}`, and
:math:`B_r \le 10\,e^{-\pi N/2} \max(1, 2c)^r`. In float64 the terms reach
:math:`e^{2c}` times the result, so rounding decides: ``N = 26``, ``h = 0.175``,
``c = 1.7`` (found by a search over ``h`` and ``c``) give a measured
:math:`B = (2.2, 3.0, 5.3) \cdot 10^{-15}` for ``r = 0, 1, 2``; the plan quotes twice
that.

*Gradient descent* (``lr`` = :math:`\eta`, ``k`` steps): :math:`(1 - \eta z)^k` is pulled
back by :math:`z = (1 - e^{-\eta w})/\eta`, which turns it into :math:`e^{-k\eta w}`
with Jacobian :math:`e^{-\eta w}`; the same parabola in :math:`w` with "time"
:math:`T = k\eta`. This needs the support in :math:`[0, 1/\eta)`. Per point mass
(Mittag-Leffler), :math:`\eta e^{-\eta w}/(e^{-\eta w} - e^{-\eta w_x}) = \eta/2 +
\sum_n 1/(w_x - w + 2\pi i n/\eta)`: the ``n = 0`` term is gradient flow at time
:math:`k\eta` (same bound :math:`B`), the constant integrates to 0, and the images
``n != 0`` sit at :math:`\mathrm{Im}\,u \ge y_1 - 1`, :math:`y_1 = \mathrm{Im}\sqrt{(
L + 2\pi i)k/\tau}`, :math:`L = -\log(1 - \eta s_+)`; they add about
:math:`4 e^{-2\pi (y_1-1)/h}` (reported). For small ``k`` (where this is not small) a
circle around :math:`[0, s_+]` is used instead: centre :math:`s_+/2`, radius
:math:`s_+`, ``n`` nodes; its error for a point mass at :math:`x \in [0, s_+]` is exactly
:math:`(1-\eta x)^k \sum_{m\ge1} ((x - s_+/2)/s_+)^{mn}` (aliasing of a polynomial of
degree ``k < n`` times a Cauchy kernel), at most :math:`2^{-n}/(1 - 2^{-n})`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

__all__ = ["QuadraturePlan", "quadrature_plan", "point_mass_error"]


@dataclass(frozen=True)
class QuadraturePlan:
    """Trapezoidal rule on the parabola: nodes ``u_j = j h`` (``j = 0..N``), windows
    ``tau in [c, 2c)``, and the quoted bounds ``B_r`` (``r = 0, 1, 2``) of the module
    docstring; ``extra_digits`` covers the cancellation of terms up to ``e^{2c}``."""

    nodes: int
    step: float
    c: float
    bound: tuple
    extra_digits: int
    target: float            # accuracy aimed at (absolute, for e in [0, 1])

    def bound_for(self, derivative: int) -> float:
        return self.bound[derivative]


_FLOAT_PLAN = QuadraturePlan(26, 0.175, 1.7, (5e-15, 7e-15, 1.2e-14), 0, 1e-14)


def quadrature_plan(precision) -> QuadraturePlan:
    """The plan for a :class:`~w2s_theory._src.precision.Precision`.

    float64: the tuned 26-node plan. ``D`` digits: enough nodes for ``10**-D`` with ``D``
    the working digits, :math:`N = \\lceil (D + 1) \\ln 10 / (\\pi/2) \\rceil + 2`,
    :math:`h = 4/N`, :math:`c = \\pi N/32`.

    >>> from w2s_theory._src.precision import Precision
    >>> quadrature_plan(Precision()).nodes, quadrature_plan(Precision(50)).nodes
    (26, 92)
    """
    if precision.is_float:
        return _FLOAT_PLAN
    D = precision.working_digits
    N = int(math.ceil((D + 1) * math.log(10) / (math.pi / 2))) + 2
    c = math.pi * N / 32
    base = 10 * math.exp(-math.pi * N / 2)
    bound = tuple(base * max(1.0, 2 * c) ** r for r in range(3))
    extra = int(math.ceil(2 * c / math.log(10))) + 2
    return QuadraturePlan(N, 4.0 / N, c, bound, extra, 10.0 ** -D)


def point_mass_error(plan: QuadraturePlan, derivative=0, taus=None, xis=None, dps=None):
    r"""Measured :math:`\sup_{\tau,\xi}` of the point-mass error (module docstring).

    ``taus`` defaults to 9 points of :math:`[c, 2c]`, ``xis`` to 0 and 400 points from
    :math:`10^{-4}` to :math:`10^{3}` (log-spaced). ``dps=None`` computes in float64,
    otherwise in mpmath at ``dps`` digits. Returns a float.

    >>> bool(point_mass_error(quadrature_plan(__import__(
    ...     "w2s_theory._src.precision", fromlist=["FLOAT64"]).FLOAT64)) < 5e-15)
    True
    """
    N, h, c = plan.nodes, plan.step, plan.c
    r = derivative
    if taus is None:
        taus = [c * 2 ** (i / 8) for i in range(9)]
    if xis is None:
        xis = [0.0] + list(np.geomspace(1e-4, 1e3, 400))
    if dps is None:
        u = np.arange(N + 1) * h
        om = np.ones(N + 1)
        om[0] = 0.5
        zeta = (u + 1j) ** 2
        taus_a = np.asarray(taus, dtype=float)
        xis_a = np.asarray(xis, dtype=float)
        f = (np.exp(-taus_a[:, None, None] * zeta) * 2 * (u + 1j) * (-zeta) ** r
             / (xis_a[None, :, None] - zeta))
        T = h / np.pi * np.sum(om * f.imag, axis=-1)
        exact = (-xis_a[None, :]) ** r * np.exp(-taus_a[:, None] * xis_a[None, :])
        return float(np.max(np.abs(T - exact)))
    worst = mpmath.mpf(0)
    with mpmath.workdps(dps):
        hh = mpmath.mpf(h)
        us = [j * hh for j in range(N + 1)]
        zs = [(x + 1j) ** 2 for x in us]
        for tau in taus:
            tau = mpmath.mpf(tau)
            E = [mpmath.exp(-tau * z) * 2 * (x + 1j) * (-z) ** r for x, z in zip(us, zs)]
            for xi in xis:
                xi = mpmath.mpf(xi)
                s = sum((E[j] / (xi - zs[j])).imag for j in range(1, N + 1)) \
                    + (E[0] / (xi - zs[0])).imag / 2
                err = abs(hh / mpmath.pi * s - (-xi) ** r * mpmath.exp(-tau * xi))
                worst = max(worst, err)
    return float(worst)


# --------------------------------------------------------------------------------------
# node sets: where the resolvent is solved, and the weights of the rule
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeMap:
    """Scaled nodes ``Z(u) = z(u)/a`` of one family of contours, as a function of ``u``.

    ``kind``: ``"flow"`` (:math:`Z = (u+i)^2`), ``"descent"`` (:math:`Z = (1 -
    e^{-s(u+i)^2})/s`, ``s = lr a``) or ``"circle"`` (:math:`Z = C + R e^{i(\\pi - u)}`,
    ``u`` in ``[0, pi]``). ``s`` is an array over windows (``descent``), else unused.
    """

    kind: str
    s: object = None
    centre: object = None
    radius: object = None

    def Z(self, u, lib):
        """Nodes at parameters ``u`` (array over windows x nodes, or broadcastable)."""
        if self.kind == "flow":
            return (u + 1j) ** 2
        if self.kind == "descent":
            zeta = (u + 1j) ** 2
            s = _as(self.s, lib)
            s = s[:, None] if np.ndim(s) else s
            return -lib.expm1(-s * zeta) / s
        # circle, traversed from the real point left of 0 (u = 0) through the upper
        # half plane to the real point right of the support (u = pi)
        C, R = (float(self.centre), float(self.radius)) if lib is NUMPY else (
            self.centre, self.radius)
        return C + R * lib.exp(1j * (lib.pi - u))

    def start(self, lib):
        """The real node ``Z(0) < 0`` per window (scalar for flow and circle)."""
        if self.kind == "flow":
            return -1.0
        if self.kind == "descent":
            s = _as(self.s, lib)
            return -lib.expm1(s) / s
        return float(self.centre - self.radius) if lib is NUMPY else self.centre - self.radius


def _as(x, lib):
    """``x`` as float64 for the numpy library (the continuation runs in float64)."""
    if lib is NUMPY and isinstance(x, np.ndarray) and x.dtype == object:
        return np.array([float(v) for v in x])
    return x


class _NumpyLib:
    pi = np.pi
    exp = staticmethod(np.exp)

    @staticmethod
    def expm1(x):
        x = np.asarray(x)
        if np.iscomplexobj(x):
            # expm1 for complex arguments, accurate for small |x|
            small = np.abs(x) < 1e-5
            big = np.exp(x) - 1
            return np.where(small, x + x * x / 2 + x ** 3 / 6, big)
        return np.expm1(x)


class _MpLib:
    @property
    def pi(self):
        return mpmath.pi

    exp = staticmethod(np.frompyfunc(mpmath.exp, 1, 1))
    expm1 = staticmethod(np.frompyfunc(mpmath.expm1, 1, 1))


NUMPY = _NumpyLib()
MP = _MpLib()


def trapezoid_weights(N, p):
    """``omega_j``: 1/2 at ``j = 0``, else 1 (arrays in the working precision)."""
    om = np.ones(N + 1)
    om[0] = 0.5
    return om if p.is_float else np.array([mpmath.mpf(x) for x in om], dtype=object)
