r"""Gradient descent with learning rate :math:`\eta` for ``k`` steps: :math:`E(1-\eta K_S)^k`.

``THEORY.md`` 3b with :math:`h(s) = 1 - (1 - \eta s)^k`. The contour rule is the
pulled-back parabola of :mod:`.contour` (time :math:`k\eta`) where the images of the
support under :math:`w \mapsto w + 2\pi i n/\eta` are far from it, and a circle around the
support otherwise (small ``k``). Both need the support of the equivalent measure in
:math:`[0, 1/\eta)`, i.e. :math:`\eta < 1/s_+` (monotone steps); :math:`1/s_+ \le \eta <
2/s_+` is refused (the pull-back is not defined on the support; steps overshoot but
converge), and :math:`\eta \ge 2/s_+` diverges. The infinite student is exact for any
:math:`\eta < 2/\lambda_{max}`. No derivatives (``k`` is an integer).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import InvalidArgument
from .contour import MP, NUMPY, NodeMap, trapezoid_weights
from .finite_evolution import (_MP_EXP, FiniteEvolution, NodeFamily, _dot, _fixed_mp,
                               _window_vectors)
from .resolvent import _f

__all__ = ["DescentEvolution", "DescentFamily", "check_lr"]


def check_lr(kernel, lr):
    """Refuse learning rates this method cannot handle (module docstring)."""
    p = kernel.precision
    with p.context():
        edge = kernel.top_edge
        x = lr * edge
    if _f(x) >= 2:
        raise InvalidArgument("lr", f"gradient descent diverges: lr must be below 2/s_+ = "
                              f"{_f(2 / edge):.6g} (s_+ = {_f(edge):.6g}, the top of the "
                              f"student kernel's spectrum), got {lr}")
    if not kernel.is_infinite and _f(x) >= 1:
        raise InvalidArgument("lr", f"this method supports lr < 1/s_+ = {_f(1 / edge):.6g} "
                              f"(s_+ = {_f(edge):.6g}): the pull-back z = (1 - exp(-lr w))/lr "
                              "needs every step to shrink the error monotonically, "
                              f"got {lr}")


class DescentFamily(NodeFamily):
    """The pulled-back parabolas of gradient descent at one learning rate (windows in
    ``x = k lr``), and the circle for the step counts whose windows it cannot serve."""

    kind = "descent"

    def __init__(self, kernel, lr):
        super().__init__(kernel, lr)
        self._usable = {}
        self._circle = None

    def image_error(self, w):
        r"""Trapezoidal contribution of the images ``n = +-1, +-2, ...`` in window ``w``.

        In the parabola's variable the image ``n`` of the support sits at height
        :math:`\mathrm{Im}\sqrt{(L + 2\pi i n)/s} - 1`, :math:`s = \eta a_w`,
        :math:`L = -\log(1 - \eta s_+)`; a pole at height ``y`` contributes about
        :math:`2 e^{-2\pi y/h}` (its residue is at most 1 in modulus); summed over
        ``+-n``.
        """
        plan = self.plan
        s = _f(self.lr) * plan.c * 2.0 ** (-w)
        L = -math.log1p(-_f(self.lr * self.kernel.top_edge))
        total = 0.0
        for n in range(1, 50):
            y = (complex(L, 2 * math.pi * n) / s) ** 0.5
            term = 4 * math.exp(-2 * math.pi * (y.imag - 1) / plan.step)
            total += term
            if term < 1e-30 * max(total, 1e-300):
                break
        return total

    def usable(self, w):
        if w not in self._usable:
            self._usable[w] = self.image_error(w) <= self.plan.target / 10
        return self._usable[w]

    def _s(self, la):
        p = self.p
        return np.array([p.scalar(self.lr) * p.exp(v) for v in la],
                        dtype=float if p.is_float else object)

    def nodemap(self, la):
        return NodeMap("descent", s=self._s(la))

    def coefficients(self, us, Z, la):
        lib = NUMPY if self.p.is_float else MP
        zeta = (us + 1j) ** 2
        J = lib.exp(-self._s(la)[:, None] * zeta[None, :])
        return (-1j * self.hp / self.pi) * self.om * 2 * (us + 1j) * J / (-Z)

    def weight_float(self, us, Z, K, la):
        zeta = (us + 1j) ** 2
        J = np.exp(-self._s(la)[:, None] * zeta[None, :])
        return (-1j * self.hp / self.pi) * self.om * 2 * (us + 1j) * J * K / (-Z)

    def dL_scale(self, la):
        return super().dL_scale(la) * self.p.scalar(self.lr)

    def circle(self):
        """The circle's single window (solved once)."""
        if self._circle is None:
            self._circle = _CircleNodes(self.kernel, self.lr).window()
        return self._circle


class _CircleNodes(NodeFamily):
    """A circle around :math:`[0, s_+]` (centre :math:`s_+/2`, radius :math:`s_+`),
    ``n`` nodes; for step counts below every usable window."""

    kind = "circle"

    def __init__(self, kernel, lr):
        super().__init__(kernel, lr)
        p = self.p
        digits = 16 if p.is_float else p.working_digits + self.plan.extra_digits
        n = 2 * int(math.ceil((digits * math.log2(10) + 4) / 2))
        self.n = n
        self.bound = 2.0 ** (-n) / (1 - 2.0 ** (-n))
        with p.context(self.plan.extra_digits):
            self.us = [m * 2 * self.pi / n for m in range(n // 2 + 1)]
            om = trapezoid_weights(n // 2, p)
            om[-1] = om[0]
            self.om = om
            self.half, self.one = p.scalar(0.5), p.scalar(1)
            self.x = p.scalar(lr) * kernel.top_edge

    def nodemap(self, la):
        return NodeMap("circle", centre=self.half, radius=self.one)

    def coefficients(self, us, Z, la):
        return -(2 * self.one / self.n) * self.om * (Z - self.half) / (-Z)

    def weight_float(self, us, Z, K, la):
        return -(2 * self.one / self.n) * self.om * (Z - self.half) * K / (-Z)

    def dL(self, us, la):
        p = self.p
        return np.full((len(la), len(us)), p.scalar(0) * 1j if p.is_float else
                       mpmath.mpc(0), dtype=complex if p.is_float else object)

    def window(self):
        p = self.p
        [win] = self._solve([None], self.us, self.om, la=[self.kernel.log_top_edge])
        win.w = "circle"
        win.quad = (self.bound,) * 3
        with p.context(self.plan.extra_digits):
            us = np.asarray(self.us, dtype=float if p.is_float else object)
            lib = NUMPY if p.is_float else MP
            Z = self.nodemap(None).Z(us, lib)
            win.L = _log(1 - self.x * Z, p)
        win.Lre = np.asarray([complex(v) for v in win.L]).real
        return win


class DescentEvolution(FiniteEvolution):
    """Finite-width gradient descent (see the module docstring)."""

    max_derivative = 0

    def _circle_E(self, idx, m):
        p = self.p
        win = self.family.circle()
        ks = [self.times[i] * m for i in idx]
        if p.is_float:
            return win, np.exp(np.asarray(ks, dtype=float)[:, None] * win.L[None, :])
        E = _MP_EXP(np.array(ks, dtype=object)[:, None] * win.L[None, :])
        return win, _fixed_mp(E, self.family.bits)

    def _circle_sum(self, idx, m, r, column, cache):
        win, E = self._circle_E(idx, m)
        V = self._vector(win, m, r, column, cache)
        return _dot(E, V, self.p)

    def _circle_bounds(self, idx, m, r, eps):
        win = self.family.circle()
        kap, rnd, tv = _window_vectors(win, r, eps, self.kernel.table.Q,
                                       self.eq.has_tail)
        ks = np.array([_f(self.times[i] * m) for i in idx])
        with np.errstate(over="ignore"):
            aE = np.exp(ks[:, None] * win.Lre[None, :])
        err = (win.quad[r] + aE @ kap + aE @ rnd) * m ** r
        terr = (aE @ tv) * m ** r if tv is not None else 0.0
        return err, terr


def _log(x, p):
    if p.is_float:
        return np.log(np.asarray(x, dtype=complex))
    return np.frompyfunc(mpmath.log, 1, 1)(x)
