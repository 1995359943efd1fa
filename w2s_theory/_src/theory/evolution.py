r"""Evaluating :math:`e(t;\lambda)`, the equivalent of :math:`E[e^{-tK_S}]`, at many times.

An :class:`Evolution` is made by :meth:`.resolvent.StudentKernel.flow` (gradient flow,
:math:`g(s) = e^{-ts}`) or :meth:`~.resolvent.StudentKernel.descent` (``k`` steps of
gradient descent with learning rate :math:`\eta`, :math:`g(s) = (1 - \eta s)^k`). For
each time it evaluates, for any eigenvalues, ``multiple`` ``m`` in {1, 2} and
``derivative`` ``r`` in {0, 1, 2},

.. math:: \frac{d^r}{dt^r}\, e(mt; \lambda)
          = m^r\, \mathrm{Re}\sum_j w_j(mt)\,\frac{(-z_j)^r}{\lambda + \kappa_j}

(:meth:`Evolution.e`), the tail coefficients :math:`c_q` of :math:`e(mt;\bar\lambda y) =
\sum_q c_q y^q` (:meth:`Evolution.tail`), and weighted sums over eigenvalues and the
spectral or target tail (:meth:`Evolution.pair`, the fast path: one column per sum
instead of one per eigenvalue). ``m = 2`` is what :math:`h_t^2 = 1 - 2e^{-tK} +
e^{-2tK}` needs; for gradient descent it means ``2k`` steps. The error bounds are
absolute, per time, and uniform in :math:`\lambda \ge 0` (:mod:`.contour`).

This module holds the interface, the infinitely wide student's closed forms
(:class:`InfiniteEvolution`) and the constructors; the finite student's contour
quadrature is :mod:`.finite_evolution` (gradient descent: :mod:`.descent`).

>>> from w2s_theory._src.spectra import FiniteSpectrum
>>> from w2s_theory._src.targets import parse_target
>>> from w2s_theory._src.theory.table import build_table
>>> from w2s_theory._src.theory.resolvent import student_kernel
>>> from w2s_theory._src.precision import FLOAT64
>>> sp = FiniteSpectrum([1.0, 0.1], [3, 5])
>>> tab = build_table(sp, parse_target("energies:0=1").bind(sp), 2, 7, FLOAT64)
>>> ev = student_kernel(tab, 4).flow([0.0, 2.0, float("inf")])
>>> e = ev.e(tab.log_lam)
>>> bool(e[0, 0] == 1), bool(abs(e[2, 1] - ev.kernel.projection(tab.log_lam)[1]) < 1e-15)
(True, True)
>>> # first moment of the equivalent measure: -de/dt at t = 0 is lambda
>>> float(ev.e(tab.log_lam, derivative=1)[0, 0])
-1.0
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import InvalidArgument, check_int, check_real
from ..powerseries import PowerSeries
from .resolvent import _f

__all__ = ["Evolution", "InfiniteEvolution", "make_flow", "make_descent"]


def _times(times, p, name="times"):
    if np.ndim(times) == 0:
        times = [times]
    out = []
    for t in times:
        try:
            v = float(t) if p.is_float else mpmath.mpf(getattr(t, "decimal", t))
        except (TypeError, ValueError):
            raise InvalidArgument(name, f"not a number: {t!r}") from None
        if v != v or v < 0:
            raise InvalidArgument(name, f"must be >= 0, got {t!r}")
        out.append(v)
    return out


def _check(multiple, derivative, max_derivative=2):
    if multiple not in (1, 2):
        raise InvalidArgument("multiple", f"must be 1 or 2, got {multiple!r}")
    if derivative not in range(max_derivative + 1):
        raise InvalidArgument("derivative", f"must be in 0..{max_derivative}, got "
                              f"{derivative!r}")


class Evolution:
    """Evaluation of :math:`e(mt;\\lambda)` at a vector of times (module docstring).

    Attributes: ``kernel`` (the :class:`~.resolvent.StudentKernel`), ``times`` (list in
    the working precision; steps ``k`` for gradient descent), ``kind`` (``"flow"`` or
    ``"descent"``), ``lr``.
    """

    max_derivative = 2

    def __init__(self, kernel, times, kind="flow", lr=None):
        self.kernel = kernel
        self.kind = kind
        self.lr = lr
        p = kernel.precision
        self.p = p
        self.times = times
        tf = [_f(t) for t in times]
        self.zero = np.array([t == 0 for t in tf], dtype=bool)
        self.inf = np.array([math.isinf(t) for t in tf], dtype=bool)
        self.finite = ~(self.zero | self.inf)

    # -- interface ---------------------------------------------------------------------
    def e(self, log_lam, multiple=1, derivative=0):
        r""":math:`d^r/dt^r\, e(mt;\lambda)` for ``lambda = exp(log_lam)``; array
        (times, eigenvalues) in the working precision."""
        _check(multiple, derivative, self.max_derivative)
        p = self.p
        with p.context():
            ll = np.atleast_1d(log_lam)
            out = self._e(ll, multiple, derivative)
        return out

    def tail(self, multiple=1, derivative=0) -> PowerSeries:
        r"""Coefficients :math:`c_q` (arrays over times), ``q < table.Q``, with
        :math:`d^r/dt^r e(mt;\bar\lambda y) = \sum_q c_q y^q`: pair them with
        ``spec_tail.ratios`` or ``tgt_tail.ratios`` as a :class:`PowerSeries` in ``y``."""
        _check(multiple, derivative, self.max_derivative)
        with self.p.context():
            return self._tail(multiple, derivative)

    def pair(self, log_lam, weights, tail=None, multiple=1, derivative=0):
        r"""``(values, error)``: :math:`\sum_b w_b\, \frac{d^r}{dt^r} e(mt;\lambda_b)`
        plus, if ``tail = (log_scale, series, moments)``, the tail sum
        :math:`e^{\text{log\_scale}} \sum_q [\text{series}\cdot c]_q\,\text{moments}_q`,
        i.e. :math:`\sum_{k\ge K} w(\lambda_k) e(mt;\lambda_k)` for a weight whose tail
        is written as the table writes it (``series`` a :class:`PowerSeries` in ``y``,
        ``moments`` e.g. ``tgt_tail.ratios``). ``error``: float64 bound per time."""
        _check(multiple, derivative, self.max_derivative)
        with self.p.context():
            return self._pair(np.atleast_1d(log_lam), np.atleast_1d(weights), tail,
                              multiple, derivative)

    def sums(self, items, errors=True):
        """``[(values, error)]`` for ``items = [(sum, multiple, derivative)]``, each
        ``sum`` a :class:`.finite_evolution.WeightedSum`: :meth:`pair` for several sums
        at once (the finite student shares each time's work among them and caches the
        sums' columns across evaluations). ``errors=False``: ``error`` is ``None``."""
        for _, m, r in items:
            _check(m, r, self.max_derivative)
        with self.p.context():
            return self._sums(items, errors)

    def _sums(self, items, errors=True):
        return [self._pair(ws.ll, ws.w, ws.tail, m, r) for ws, m, r in items]

    def error(self, multiple=1, derivative=0):
        """Float64 bound per time on the absolute error of :meth:`e`, any ``lambda >= 0``
        (quadrature, resolvent accuracy, rounding)."""
        _check(multiple, derivative, self.max_derivative)
        return self._error(multiple, derivative)

    def tail_error(self, multiple=1, derivative=0):
        """Float64 bound per time on :math:`|\\sum_{q\\ge Q} c_q y^q|`, ``y`` in [0, 1]."""
        _check(multiple, derivative, self.max_derivative)
        return self._tail_error(multiple, derivative)

    # -- shared helpers ----------------------------------------------------------------
    def _T(self, multiple):
        return [t * multiple for t in self.times]


# --------------------------------------------------------------------------------------
# infinite width: closed forms
# --------------------------------------------------------------------------------------

def _exp_neg(x, p):
    """``exp(-x)`` elementwise; exactly 0 where below the working precision (as
    :func:`.student._exp_neg`)."""
    if p.is_float:
        return np.exp(-x)
    cut = mpmath.mpf(p.working_digits + 10) * mpmath.log(10)
    f = np.frompyfunc(lambda v: mpmath.mpf(0) if v > cut else mpmath.exp(-v), 1, 1)
    return f(x)


class InfiniteEvolution(Evolution):
    r""":math:`M_S = \infty`: :math:`e = e^{-t\lambda}` (flow), :math:`(1-\eta\lambda)^k`
    (descent), exactly."""

    def _base(self, multiple):
        p = self.p
        T = p.array(self._T(multiple))
        return np.where(self.inf, p.scalar(0), T)

    def _e(self, ll, m, r):
        p = self.p
        lam = p.exp(p.array(ll) if p.is_float else ll)
        T = self._base(m)
        if self.kind == "flow":
            E = _exp_neg(T[:, None] * lam[None, :], p)
            E = np.where(self.inf[:, None], p.scalar(0), E)
            if r:
                E = E * (-m * lam[None, :]) ** r
            return E
        base = 1 - p.scalar(self.lr) * lam
        k = [int(v) if not self.inf[i] else 0 for i, v in enumerate(self._T(m))]
        E = np.array([[b ** ki for b in base] for ki in k],
                     dtype=float if p.is_float else object).reshape(len(k), len(base))
        return np.where(self.inf[:, None], p.scalar(0), E)

    def _tail(self, m, r):
        p = self.p
        t = self.kernel.table
        Q = t.Q
        bar = p.exp(t.spec_tail.log_lambda_bar) if t.has_tail else p.scalar(0)
        if self.kind == "descent":
            # (1 - lr bar y)^k = sum_q binom(k, q) (-lr bar)^q y^q
            x = p.scalar(self.lr) * bar
            out = []
            ks = [int(v) if not self.inf[i] else 0 for i, v in enumerate(self._T(m))]
            for q in range(Q):
                col = [mpmath.binomial(k, q) * (-x) ** q if not p.is_float
                       else math.comb(k, q) * (-x) ** q for k in ks]
                out.append(np.where(self.inf, p.scalar(0), p.array(col) if p.is_float
                                    else np.array(col, dtype=object)))
            return PowerSeries(tuple(out))
        T = self._base(m)
        s = PowerSeries.exp(T * bar, Q)
        coeffs = [np.where(self.inf, p.scalar(0), c) for c in s.coeffs]
        if r:
            f = (-m * bar) ** r
            coeffs = [0 * coeffs[0]] * r + [c * f for c in coeffs[:Q - r]]
        return PowerSeries(tuple(coeffs))

    def _pair(self, ll, w, tail, m, r):
        p = self.p
        n = len(self.times)
        vals = p.zeros(n) if p.is_float else np.array([mpmath.mpf(0)] * n, dtype=object)
        step = max(1, (1 << 18) // max(1, n))
        for b0 in range(0, len(ll), step):
            E = self._e(ll[b0:b0 + step], m, r)
            vals = vals + (E * w[None, b0:b0 + step]).sum(axis=1)
        if tail is not None:
            log_scale, series, moments = tail
            vals = vals + (self._tail(m, r) * series).pair(moments) * p.exp(log_scale)
        return vals, np.zeros(n)

    def _error(self, m, r):
        return np.zeros(len(self.times))

    def _tail_error(self, m, r):
        """The first omitted term of the exponential series (``(m t lambda_bar)^Q/Q!``)."""
        t = self.kernel.table
        if not t.has_tail:
            return np.zeros(len(self.times))
        bar = math.exp(_f(t.spec_tail.log_lambda_bar))
        out = []
        for T in self._T(m):
            z = _f(T) * bar * (self.lr if self.kind == "descent" else 1)
            if math.isinf(z):
                out.append(0.0)
                continue
            z = max(z, 0.0)
            Q = t.Q
            out.append((m * bar) ** r * z ** (Q - r) / math.factorial(Q - r) * math.exp(z)
                       if Q > r else 0.0)
        return np.array(out)


def make_flow(kernel, times):
    """Gradient flow at ``times`` (see :meth:`.resolvent.StudentKernel.flow`)."""
    ts = _times(times, kernel.precision)
    if kernel.is_infinite:
        return InfiniteEvolution(kernel, ts, "flow")
    from .finite_evolution import FiniteEvolution
    return FiniteEvolution(kernel, ts, "flow")


def make_descent(kernel, steps, lr):
    """Gradient descent: ``steps`` integers, learning rate ``lr`` (see the kernel)."""
    from .descent import DescentEvolution, check_lr

    p = kernel.precision
    ks = [k if isinstance(k, (float, mpmath.mpf)) and k == math.inf  # the limit
          else check_int("steps", k, minimum=0) for k in np.atleast_1d(steps)]
    lr_v = check_real("lr", lr, 0, strict_min=True)
    with p.context():
        lr_v = p.scalar(lr_v)
        ks_p = [p.scalar(k) if k != math.inf else (math.inf if p.is_float else mpmath.inf)
                for k in ks]
    check_lr(kernel, lr_v)
    if kernel.is_infinite:
        ev = InfiniteEvolution(kernel, ks_p, "descent", lr_v)
        ev.max_derivative = 0
        return ev
    return DescentEvolution(kernel, ks_p, "descent", lr_v)
