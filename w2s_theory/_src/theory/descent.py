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
from .contour import NodeMap, trapezoid_weights
from .evolution import FiniteEvolution, _NodeSet
from .resolvent import _f

__all__ = ["DescentEvolution", "check_lr"]


def check_lr(kernel, lr):
    """Refuse learning rates this method cannot handle (module docstring)."""
    p = kernel.precision
    with p.context():
        edge = kernel.top_edge
        x = lr * edge
    if _f(x) >= 2:
        raise InvalidArgument("lr", f"gradient descent diverges: lr must be below 2/s_+ = "
                              f"{_f(2 / edge):.6g} (s_+ = {_f(edge):.6g}, the top of the "
                              "student kernel's spectrum), got {lr}")
    if not kernel.is_infinite and _f(x) >= 1:
        raise InvalidArgument("lr", f"this method supports lr < 1/s_+ = {_f(1 / edge):.6g} "
                              f"(s_+ = {_f(edge):.6g}): the pull-back z = (1 - exp(-lr w))/lr "
                              "needs every step to shrink the error monotonically, "
                              f"got {lr}")


class DescentEvolution(FiniteEvolution):
    """Finite-width gradient descent (see the module docstring)."""

    max_derivative = 0

    def _x_of(self, T):
        return T * self.lr

    def _image_estimate(self, w):
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

    def _select_windows(self, windows):
        ok = [w for w in windows if self._image_estimate(w) <= self.plan.target / 10]
        self.circle_windows = set(windows) - set(ok)
        return ok

    def _nodemap(self, la):
        p = self.p
        s = np.array([p.scalar(self.lr) * p.exp(v) for v in la],
                     dtype=float if p.is_float else object)
        self.s = s
        return NodeMap("descent", s=s)

    def _weight(self, u, Z, K, lib):
        zeta = (u + 1j) ** 2
        J = lib.exp(-self.s[:, None] * zeta[None, :])
        return (-1j * self.hp / self.pi) * self.om * 2 * (u + 1j) * J * K / (-Z)

    def _image_error(self, ns, iw):
        return self._image_estimate(self.windows[iw])

    # -- the circle --------------------------------------------------------------------
    def _build_more(self):
        self.circle = None
        if not self.circle_windows:
            return
        p = self.p
        digits = 16 if p.is_float else p.working_digits + self.plan.extra_digits
        n = 2 * int(math.ceil((digits * math.log2(10) + 4) / 2))
        self.circle_n = n
        self.circle_bound = 2.0 ** (-n) / (1 - 2.0 ** (-n))
        pi = self.pi
        us = [m * 2 * pi / n for m in range(n // 2 + 1)]
        om = trapezoid_weights(n // 2, p)
        om[-1] = om[0]
        half = p.scalar(0.5)
        one = p.scalar(1)
        nodemap = NodeMap("circle", centre=half, radius=one)
        la = np.array([self.kernel.log_top_edge], dtype=float if p.is_float else object)
        x = p.scalar(self.lr) * self.kernel.top_edge

        def weight(u, Z, K, lib):
            return -(2 * one / n) * om * (Z - half) * K / (-Z)

        def L_fn(u, Z, lib):
            return _log(1 - x * Z, p)

        self.circle = _NodeSet(self.eq, la, nodemap, us, weight, L_fn,
                               lambda u, Z, lib: 0 * Z, p, self.plan)

    def _groups(self, m):
        p = self.p
        out = {}
        for i in np.flatnonzero(self.finite):
            k = self.times[i] * m
            w = self._window(self._x_of(self.times[i])) + (m - 1)
            key = w if w in self.index else "circle"
            out.setdefault(key, ([], []))
            out[key][0].append(i)
            out[key][1].append(self._x_of(k) * p.exp(self.log_a[self.index[w]])
                                if key != "circle" else k)
        res = {}
        for key, (idx, xs) in out.items():
            res[key] = (np.array(idx), xs, "circle" if key == "circle" else "window")
        return res


def _log(x, p):
    if p.is_float:
        return np.log(np.asarray(x, dtype=complex))
    return np.frompyfunc(mpmath.log, 1, 1)(x)
