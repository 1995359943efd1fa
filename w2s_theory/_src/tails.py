r"""Tails of infinite spectral sums, to any precision (Euler-Maclaurin) or in float64.

Closed-form spectra (the ReLU-power family on the sphere) have terms that are smooth
functions of the degree: products of Gamma functions and powers,

.. math:: g(j) = \exp\Big(C + \sum_i a_i \log\Gamma(\alpha_i j + \beta_i)
          + \sum_i b_i \log(\gamma_i j + \delta_i)\Big),

(:class:`GammaProduct`) and products of powers of signed sums of them
(:class:`TermExpr`). The spectral moments need, for several powers ``q`` at once,

.. math:: \sum_{j \ge J} f_q(j), \qquad f_q(j) = \exp(b(j) + q\, s(j)),

with ``b`` the log of a base term (a multiplicity, times a target energy) and ``s`` the
log of an eigenvalue. :func:`tail_sums` sums these by the Euler-Maclaurin formula

.. math:: \sum_{j\ge J} f(j) = \int_J^\infty f + \frac{f(J)}{2}
          - \sum_{m=1}^{M} \frac{B_{2m}}{(2m)!} f^{(2m-1)}(J) + R_M,

taking the derivatives exactly from Taylor series of log-Gamma functions (Stirling series,
no numerical differentiation), the integral by Gauss-Legendre quadrature after
``j = J e^t`` (a power-law tail becomes an exponential one), and estimating the truncation
error by the first omitted term. Terms are summed directly until they vary slowly enough
for the asymptotic series, whose smallest term is of order :math:`e^{-2\pi J}`.
:func:`numpy_tail_sums` is the float64 counterpart: direct summation with a power-law
end correction.

The precision is an explicit argument of :func:`tail_sums` (``dps``): it runs its
mpmath arithmetic in a ``workdps(dps)`` context of its own, whatever the caller's; values
carry a logarithmic scale so that terms of size ``10**-2000`` are fine.

>>> import mpmath
>>> t = GammaProduct(logs=((-3, 1, 0),))              # f(j) = j**-3
>>> [(s, err)] = tail_sums(t, None, [0], 30, dps=40)
>>> with mpmath.workdps(40):
...     bool(abs(s - mpmath.zeta(3, 30)) < 1e-38 * s)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

import mpmath
import numpy as np

from .lazy import lazy_module

special = lazy_module("scipy.special")    # imported on first use

__all__ = ["GammaProduct", "TermExpr", "tail_sums", "numpy_tail_sums"]


# --------------------------------------------------------------------------------------
# Truncated power series with a logarithmic scale: value(h) = exp(log_scale) * sum c_i h^i


@dataclass(frozen=True)
class Series:
    log_scale: object
    coeffs: tuple

    @property
    def order(self) -> int:
        return len(self.coeffs) - 1

    def __add__(self, other: "Series") -> "Series":
        n = min(self.order, other.order) + 1
        if self.log_scale == mpmath.ninf:
            return other
        if other.log_scale == mpmath.ninf:
            return self
        top = max(self.log_scale, other.log_scale)
        fa = mpmath.exp(self.log_scale - top)
        fb = mpmath.exp(other.log_scale - top)
        return Series(top, tuple(fa * a + fb * b
                                 for a, b in zip(self.coeffs[:n], other.coeffs[:n])))

    def scale(self, factor) -> "Series":
        return Series(self.log_scale, tuple(factor * c for c in self.coeffs))

    def __mul__(self, other: "Series") -> "Series":
        n = min(self.order, other.order) + 1
        a, b = self.coeffs, other.coeffs
        out = [mpmath.fsum(a[i] * b[m - i] for i in range(m + 1)) for m in range(n)]
        return Series(self.log_scale + other.log_scale, tuple(out))

    def __pow__(self, q: int) -> "Series":
        if q < 1:
            raise ValueError("only positive integer powers")
        return reduce(lambda x, y: x * y, [self] * q)

    def normalized(self) -> "Series":
        """Move ``|c_0|`` into the scale (keeps magnitudes near one)."""
        c0 = abs(self.coeffs[0])
        if c0 == 0:
            return self
        return Series(self.log_scale + mpmath.log(c0), tuple(c / c0 for c in self.coeffs))


def _exp_series(log_coeffs, order):
    """Coefficients of exp(sum_{i>=1} L_i h^i) up to ``order`` (c_0 = 1)."""
    c = [mpmath.mpf(1)]
    for n in range(1, order + 1):
        c.append(mpmath.fsum(m * log_coeffs[m] * c[n - m] for m in range(1, n + 1)) / n)
    return c


# --------------------------------------------------------------------------------------
# Products of Gamma functions and powers


@dataclass(frozen=True)
class GammaProduct:
    r"""``exp(const + sum a*loggamma(alpha*j + beta) + sum b*log(gamma*j + delta))``.

    ``gammas`` holds triples ``(a, alpha, beta)``, ``logs`` triples ``(b, gamma, delta)``.
    Arguments must stay positive on the summation range.
    """

    const: object = 0
    gammas: tuple = ()
    logs: tuple = ()

    def log_value(self, j):
        j = mpmath.mpf(j)
        # log Gamma(z) ~ z log z: differences of such terms at large z cancel, so carry
        # as many extra bits as the magnitude of the largest term.
        extra = 10 + max(0, int(mpmath.log(abs(j) + 2, 2))) + max(0, int(mpmath.log(
            abs(mpmath.log(abs(j) + 2)) + 1, 2)))
        with mpmath.extraprec(extra):
            out = mpmath.mpf(self.const)
            for a, al, be in self.gammas:
                out += a * mpmath.loggamma(al * j + be)
            for b, ga, de in self.logs:
                out += b * mpmath.log(ga * j + de)
        return +out

    def log_value_np(self, j):
        """``log f(j)`` for a float64 array ``j`` (float64; loses accuracy only at
        ``j > 1e12`` where log-Gamma differences cancel)."""
        j = np.asarray(j, dtype=float)
        out = np.full(j.shape, float(self.const))
        for a, al, be in self.gammas:
            out += float(a) * special.gammaln(float(al) * j + float(be))
        for b, ga, de in self.logs:
            out += float(b) * np.log(float(ga) * j + float(de))
        return out

    def log_derivative_np(self, j):
        """``d log f / dj`` for a float64 array ``j`` (digamma: no cancellation between
        neighbouring ``j``, unlike a difference of :meth:`log_value_np`)."""
        j = np.asarray(j, dtype=float)
        out = np.zeros(j.shape)
        for a, al, be in self.gammas:
            out += float(a) * float(al) * special.digamma(float(al) * j + float(be))
        for b, ga, de in self.logs:
            out += float(b) * float(ga) / (float(ga) * j + float(de))
        return out

    def __mul__(self, other: "GammaProduct") -> "GammaProduct":
        return GammaProduct(mpmath.mpf(self.const) + other.const,
                            self.gammas + other.gammas, self.logs + other.logs)

    def __pow__(self, q) -> "GammaProduct":
        return GammaProduct(q * mpmath.mpf(self.const),
                            tuple((q * a, al, be) for a, al, be in self.gammas),
                            tuple((q * b, ga, de) for b, ga, de in self.logs))

    def substitute(self, scale, offset) -> "GammaProduct":
        """The product as a function of ``j`` where the old variable is ``scale*j + offset``."""
        return GammaProduct(
            self.const,
            tuple((a, al * scale, al * offset + be) for a, al, be in self.gammas),
            tuple((b, ga * scale, ga * offset + de) for b, ga, de in self.logs))

    def series(self, j0, order: int) -> Series:
        """Taylor series of ``f(j0 + h)`` to ``order`` (log-Gamma Taylor coefficients)."""
        j0 = mpmath.mpf(j0)
        L = [mpmath.mpf(0)] * (order + 1)
        for a, al, be in self.gammas:
            coeffs = _loggamma_taylor(al * j0 + be, order)
            alp = mpmath.mpf(al)
            for i in range(1, order + 1):
                L[i] += a * alp ** i * coeffs[i]
        for b, ga, de in self.logs:
            coeffs = _log_taylor(ga * j0 + de, order)
            gap = mpmath.mpf(ga)
            for i in range(1, order + 1):
                L[i] += b * gap ** i * coeffs[i]
        return Series(self.log_value(j0), tuple(_exp_series(L, order)))


def _log_taylor(z, order):
    """Taylor coefficients of ``log(z + h)`` in ``h`` (index 0 unused)."""
    r = -1 / mpmath.mpf(z)
    out = [mpmath.mpf(0)]
    p = mpmath.mpf(-1)
    for i in range(1, order + 1):
        p *= r
        out.append(p / i)
    return out


def _loggamma_taylor(z, order):
    r"""Taylor coefficients of :math:`\log\Gamma(z + h)` in ``h`` (index 0 unused).

    Equal to :math:`\psi^{(i-1)}(z) / i!`, obtained without polygamma evaluations: the
    argument is shifted above ``Z0 ~ 0.4 dps + order/2`` with the recurrence
    :math:`\log\Gamma(w) = \log\Gamma(w + S) - \sum_{i<S} \log(w + i)`, then the
    Stirling series :math:`(w-\tfrac12)\log w - w + \tfrac12\log 2\pi
    + \sum_m \frac{B_{2m}}{2m(2m-1)} w^{1-2m}` is expanded term by term (its remainder
    is below :math:`e^{-2\pi Z_0}`).
    """
    z = mpmath.mpf(z)
    dps = mpmath.mp.dps
    z0 = 0.45 * dps + order + 10
    out = [mpmath.mpf(0)] * (order + 1)
    shift = 0
    if z < z0:
        # sum_{i<S} log(z + i + h): coefficient of h^n is (-1)^{n+1}/n sum_i (z+i)^{-n}
        shift = int(mpmath.ceil(z0 - z))
        power_sums = [mpmath.mpf(0)] * (order + 1)
        for i in range(shift):
            r = 1 / (z + i)
            p = mpmath.mpf(1)
            for n in range(1, order + 1):
                p *= r
                power_sums[n] += p
        for n in range(1, order + 1):
            out[n] -= (-1) ** (n + 1) * power_sums[n] / n
    w = z + shift
    lt = _log_taylor(w, order)
    # (w + h - 1/2) log(w + h) - (w + h): coefficient of h^n, n >= 1.
    out[1] += (w - mpmath.mpf(1) / 2) * lt[1] + mpmath.log(w) - 1
    for n in range(2, order + 1):
        out[n] += (w - mpmath.mpf(1) / 2) * lt[n] + lt[n - 1]
    # Stirling corrections B_{2m} / (2m (2m-1)) (w + h)^{1-2m}.
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec)
    m = 1
    while True:
        c = mpmath.bernoulli(2 * m) / (2 * m * (2 * m - 1)) * w ** (1 - 2 * m)
        # (1 + h/w)^{1-2m} = sum_n binom(1-2m, n) (h/w)^n
        e = 1 - 2 * m
        t = c
        small = True
        for n in range(1, order + 1):
            t = t * (e - n + 1) / (n * w)          # c * binom(e, n) / w^n
            out[n] += t
            small = small and abs(t) <= eps * abs(out[n])
        m += 1
        if (small and m > 2) or m > 4 * dps:
            break
    return out


@dataclass(frozen=True)
class TermExpr:
    r"""A Gamma product times a product of powers of signed sums of Gamma products.

    ``value(j) = prefactor(j) * prod_f |sum_i w_{f,i} g_{f,i}(j)| ** power_f``. This
    covers ``N(d, k) c_k^{2q}`` for a coefficient ``c_k`` that is a combination of
    ReLU-power terms of one parity, and ``B_k lambda_k^q = N(d, k) a_k^2 c_k^{2q}`` for
    single-index targets.
    """

    prefactor: GammaProduct
    factors: tuple = field(default_factory=tuple)   # pairs (terms, power)

    def log_value(self, j):
        out = self.prefactor.log_value(j)
        for terms, power in self.factors:
            out += power * _inner_log(terms, j)
        return out

    def log_value_np(self, j):
        out = self.prefactor.log_value_np(j)
        for terms, power in self.factors:
            logs = [(float(w), g.log_value_np(j)) for w, g in terms if w != 0]
            top = np.max([lv for _, lv in logs], axis=0)
            s = np.sum([w * np.exp(lv - top) for w, lv in logs], axis=0)
            with np.errstate(divide="ignore"):
                out = out + power * (top + np.log(np.abs(s)))
        return out

    def log_derivative_np(self, j):
        r"""``d log value / dj`` (float64): for each factor
        :math:`p\,\sum_i w_i g_i g_i'/\sum_i w_i g_i`."""
        out = self.prefactor.log_derivative_np(j)
        for terms, power in self.factors:
            parts = [(float(w), g.log_value_np(j), g.log_derivative_np(j))
                     for w, g in terms if w != 0]
            top = np.max([lv for _, lv, _ in parts], axis=0)
            num = np.sum([w * np.exp(lv - top) * dv for w, lv, dv in parts], axis=0)
            den = np.sum([w * np.exp(lv - top) for w, lv, _ in parts], axis=0)
            out = out + power * num / den
        return out

    def substitute(self, scale, offset) -> "TermExpr":
        """The term as a function of ``j`` where the old variable is ``scale*j + offset``."""
        return TermExpr(self.prefactor.substitute(scale, offset),
                        tuple((tuple((w, g.substitute(scale, offset)) for w, g in terms), p)
                              for terms, p in self.factors))

    def series(self, j0, order: int) -> Series:
        out = self.prefactor.series(j0, order)
        for terms, power in self.factors:
            parts = [g.series(j0, order).scale(w) for w, g in terms if w != 0]
            inner = reduce(lambda x, y: x + y, parts)
            if inner.coeffs[0] == 0:
                raise ArithmeticError("the inner sum vanishes at the expansion point")
            if inner.coeffs[0] < 0:
                inner = inner.scale(-1)      # |inner|: constant sign near j0
            out = out * (inner.normalized() ** power)
        return out


def _inner_log(terms, j):
    """``log |sum_i w_i g_i(j)|``."""
    logs = [(w, g.log_value(j)) for w, g in terms if w != 0]
    if not logs:
        return mpmath.ninf
    top = max(lv for _, lv in logs)
    s = mpmath.fsum(w * mpmath.exp(lv - top) for w, lv in logs)
    if s == 0:
        return mpmath.ninf
    return top + mpmath.log(abs(s))


def _as_expr(term) -> TermExpr:
    if isinstance(term, TermExpr):
        return term
    return TermExpr(prefactor=term)


def _log_series(ser: Series):
    """Taylor coefficients of ``log`` of a series (index 0 is the log of the value)."""
    c = ser.coeffs
    c0 = c[0]
    if c0 == 0:
        raise ArithmeticError("log of a series vanishing at the expansion point")
    a = [x / c0 for x in c]
    out = [ser.log_scale + mpmath.log(abs(c0))]
    for n in range(1, len(a)):
        out.append(a[n] - mpmath.fsum(m * out[m] * a[n - m] for m in range(1, n)) / n)
    return out


def _expr_log_series(expr: TermExpr, j0, order):
    """Taylor coefficients of ``log f(j0 + h)``."""
    L = list(_log_series(expr.prefactor.series(j0, order)))
    for terms, power in expr.factors:
        parts = [g.series(j0, order).scale(w) for w, g in terms if w != 0]
        inner = parts[0]
        for p in parts[1:]:
            inner = inner + p
        Li = _log_series(inner)
        L = [x + power * y for x, y in zip(L, Li)]
    return L


class _LogPair:
    """Evaluates ``(b(j), s(j))`` once for all powers ``q``."""

    def __init__(self, base, step):
        self.base = _as_expr(base)
        self.step = None if step is None else _as_expr(step)

    def values(self, j):
        b = self.base.log_value(j)
        s = self.step.log_value(j) if self.step is not None else mpmath.mpf(0)
        return b, s

    def values_np(self, js):
        b = self.base.log_value_np(js)
        s = self.step.log_value_np(js) if self.step is not None else np.zeros_like(js)
        return b, s

    def derivatives_np(self, js):
        b = self.base.log_derivative_np(js)
        s = self.step.log_derivative_np(js) if self.step is not None else np.zeros_like(js)
        return b, s

    def log_series(self, j0, order):
        b = _expr_log_series(self.base, j0, order)
        s = _expr_log_series(self.step, j0, order) if self.step is not None \
            else [mpmath.mpf(0)] * (order + 1)
        return b, s


def _gl_degree() -> int:
    """Gauss-Legendre degree (3 * 2**(degree-1) nodes) for segments of length <= 2.

    The integrands are analytic within distance ~pi of the real t-axis (the nearest
    Gamma-function poles), so an n-node rule on a segment of half-length 1 converges like
    ``6.4**(-2n)``; ``n >= 0.7 dps + 8`` nodes reach the working precision.
    """
    need = 0.7 * mpmath.mp.dps + 8
    degree = 1
    while 3 * 2 ** (degree - 1) < need:
        degree += 1
    return degree


def _integrals(pair: _LogPair, qs, J, log_scales):
    """``int_J^inf f_q(j) dj / exp(log_scale_q)`` and errors, for all q at once.

    Substitutes ``j = J e^t`` (a power-law tail decays exponentially in ``t``) and uses
    mpmath's double-exponential quadrature on ``[0, inf)`` for each ``q``, with the
    values ``(b(j), s(j))`` cached by node so that all powers share the evaluations.
    mpmath's error estimate (difference of the last two levels) is reported.
    """
    cache = {}

    def values(t):
        key = t
        if key not in cache:
            j = J * mpmath.exp(t)
            cache[key] = (j,) + pair.values(j)
        return cache[key]

    eps = mpmath.mpf(2) ** (-mpmath.mp.prec)

    def log_integrand(t, q, ls):
        j, bv, sv = values(t)
        return bv + q * sv - ls + mpmath.log(j)

    # One finite range [0, T] for all q (so that the nodes, and the cached evaluations,
    # coincide): T from the decay rate of the slowest term, doubled until the integrand
    # at T, times the length of its geometric tail, is below the rounding level.
    T = mpmath.mpf(4)
    for q, ls in zip(qs, log_scales):
        rate = log_integrand(1, q, ls) - log_integrand(2, q, ls)
        if rate > 0:
            T = max(T, (mpmath.mp.prec * mpmath.log(2) + 10) / rate)
    for _ in range(40):
        totals, errs, ok = [], [], True
        for q, ls in zip(qs, log_scales):
            v, e = mpmath.quad(lambda t: mpmath.exp(log_integrand(t, q, ls)), [0, 1, T],
                               error=True)
            g_end = mpmath.exp(log_integrand(T, q, ls))
            rate_end = (log_integrand(T * (1 - mpmath.mpf(1) / 64), q, ls)
                        - log_integrand(T, q, ls)) / (T / 64)
            if not (rate_end > 0 and g_end / rate_end <= eps * abs(v)):
                ok = False
                break
            totals.append(v)
            errs.append(abs(e) + g_end / rate_end)
        if ok:
            return totals, errs
        T = 2 * T
    raise ArithmeticError("tail integral does not converge fast enough")


def _em(pair: _LogPair, qs, J, order, integrals=None):
    """Euler-Maclaurin for all q at the point J with derivatives up to ``order``.

    Returns ``(results, integrals)``; pass ``integrals`` back to reuse them at a
    higher order.
    """
    order += order % 2 == 0
    Lb, Ls = pair.log_series(J, order)
    log_scales = [Lb[0] + q * Ls[0] for q in qs]
    series = [_exp_series([Lb[i] + q * Ls[i] for i in range(order + 1)], order) for q in qs]
    if integrals is None:
        integrals = _integrals(pair, qs, J, log_scales)
    ints, ierrs = integrals
    out = []
    for i, q in enumerate(qs):
        c = series[i]
        total = ints[i] + mpmath.mpf(1) / 2
        last = None
        for m in range(1, (order + 1) // 2 + 1):
            t = mpmath.bernoulli(2 * m) / (2 * m) * c[2 * m - 1]
            if last is not None and abs(t) > abs(last):
                break
            total -= t
            last = t
        err = ierrs[i] + (abs(last) if last is not None else 0)
        scale = mpmath.exp(log_scales[i])
        out.append((total * scale, err * scale))
    return out, integrals


def tail_sums(base, step, qs, J, *, dps: int, rel_tol=None):
    r"""``[(sum_{j >= J} exp(b(j) + q s(j)), error) for q in qs]`` at ``dps`` digits.

    ``base`` and ``step`` are :class:`GammaProduct` or :class:`TermExpr` (``step`` may
    be ``None``: ``s = 0``). Terms are summed directly while they change quickly from
    one ``j`` to the next (geometric decay finishes there); once the logarithmic
    derivative of the slowest term is below 1/4 and ``j`` is large enough, the rest is
    summed by Euler-Maclaurin with as many derivatives as the tolerance (default: all
    but 5 of the ``dps`` digits) needs. The work runs in ``mpmath.workdps(dps)``.
    """
    with mpmath.workdps(int(dps)):
        return _tail_sums(base, step, qs, J, rel_tol)


def _tail_sums(base, step, qs, J, rel_tol):
    pair = _LogPair(base, step)
    qs = list(qs)
    J = int(J)
    if J < 1:
        raise ValueError("J must be >= 1")
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec)
    # default: all but 5 of the working digits (callers work with guard digits)
    tol = mpmath.mpf(10) ** (5 - mpmath.mp.dps) if rel_tol is None else mpmath.mpf(rel_tol)
    nq = len(qs)
    heads = [mpmath.mpf(0)] * nq
    result = [None] * nq
    j = J
    min_j = int(0.4 * mpmath.mp.dps) + 4
    while True:
        b0, s0 = pair.values(j)
        b1, s1 = pair.values(j + 1)
        todo = []
        for n, q in enumerate(qs):
            if result[n] is not None:
                continue
            l0, l1 = b0 + q * s0, b1 + q * s1
            if l0 == mpmath.ninf:
                result[n] = (heads[n], mpmath.mpf(0))
                continue
            rate = l0 - l1
            if heads[n] > 0 and rate > 1:
                # geometric decay from here on (the ratio only shrinks along the tail
                # of these log-concave terms): the rest is below the rounding level
                rest = mpmath.exp(l0) / (1 - mpmath.exp(-rate))
                if rest < eps * heads[n]:
                    result[n] = (heads[n] + rest, rest)
                    continue
            todo.append((n, q, abs(rate)))
        if not todo:
            return result
        if j >= min_j and max(r for _, _, r in todo) < 1:
            sub = [q for _, q, _ in todo]
            order = int(2 * mpmath.mp.dps // 3 + 6)
            integrals = None
            while True:
                res, integrals = _em(pair, sub, j, order, integrals)
                if all(e <= tol * abs(heads[n] + v) for (v, e), (n, _, _) in zip(res, todo)):
                    for (v, e), (n, _, _) in zip(res, todo):
                        result[n] = (heads[n] + v, e)
                    return result
                # the asymptotic series diverges past order ~ 2 pi j: go no further,
                # and sum more terms directly instead
                higher = min(2 * order, int(2 * mpmath.pi * j))
                if higher <= order:
                    break
                order = higher
        block = max(8, j // 2)
        for i in range(j, j + block):
            bv, sv = pair.values(i)
            for n, q, _ in todo:
                heads[n] += mpmath.exp(bv + q * sv)
        j += block


def numpy_tail_sums(base, step, qs, J, *, max_terms: int = 1 << 22):
    r"""``[(log sum_{j >= J} exp(b(j) + q s(j)), relative_error) for q in qs]``, float64.

    Direct summation with numpy in blocks of doubling length, on a logarithmic scale;
    when the terms decay slowly (power law) the remainder after the last block is the
    Euler-Maclaurin estimate for the local power law :math:`f(j_e)(j/j_e)^{-s}` fitted
    at the end, with relative error of order :math:`s^2/j_e^2` (reported). The reported
    error adds the rounding of the log-Gamma differences (a few ``eps`` times their
    magnitude). Accurate to about ``1e-13`` relative.
    """
    pair = _LogPair(base, step)
    qs = np.asarray(list(qs), dtype=float)
    J = int(J)
    eps = np.finfo(float).eps
    nq = len(qs)
    log_scale = None
    total = np.zeros(nq)
    round_err = np.zeros(nq)
    result = [None] * nq
    histories = [[] for _ in range(nq)]
    rich_hist = [[] for _ in range(nq)]
    j = J
    block = 64
    while True:
        js = np.arange(j, j + block, dtype=float)
        bv, sv = pair.values_np(js)
        lv = bv[None, :] + qs[:, None] * sv[None, :]          # (nq, block)
        if log_scale is None:
            log_scale = np.max(lv, axis=1)
            if not np.all(np.isfinite(log_scale)):
                bad = ~np.isfinite(log_scale)
                for n in np.flatnonzero(bad):
                    result[n] = (-np.inf, 0.0)
                log_scale = np.where(bad, 0.0, log_scale)
        vals = np.exp(lv - log_scale[:, None])
        mag = np.abs(lv) + _log_magnitude(pair, js)[None, :]
        db_end, ds_end = (float(x[0]) for x in pair.derivatives_np(js[-1:]))
        j += block
        for n in range(nq):
            if result[n] is not None:
                continue
            total[n] += float(np.sum(vals[n]))
            round_err[n] += float(np.sum(vals[n] * 4 * eps * mag[n]))
            f_end = vals[n, -1]
            if f_end == 0.0 or not np.isfinite(lv[n, -1]):
                result[n] = (log_scale[n] + np.log(total[n]), round_err[n] / total[n])
                continue
            ratio = np.exp(lv[n, -1] - lv[n, -2])
            # the local power-law exponent -j f'/f from the analytic log-derivative: a
            # difference of neighbouring log-terms would lose ~eps j log j / (1/j)
            s = -js[-1] * (db_end + qs[n] * ds_end)
            if ratio < 0.5:
                rem = f_end * ratio / (1 - ratio)        # geometric decay bound
                if rem <= 1e-17 * total[n]:
                    t = total[n] + rem
                    result[n] = (log_scale[n] + np.log(t), (round_err[n] + rem) / t)
            elif s > 1:
                je = js[-1]
                # sum_{i > je} f(je)(i/je)^{-s} ~ int_{je}^inf - f(je)/2 - s f(je)/(12 je)
                rem = f_end * (je / (s - 1) - 0.5 - s / (12 * je))
                err = abs(rem) * (s + 1) ** 2 / je ** 2
                est = total[n] + rem
                # The estimate's error decays like je^-(s+1) (the next Euler-Maclaurin
                # order of the fitted power law): Richardson extrapolation over the
                # doubling block ends, with the change between successive extrapolants
                # as the error estimate.
                hist = histories[n]
                hist.append((je, est))
                if len(hist) >= 2:
                    (j1, e1), (j2, e2) = hist[-2], hist[-1]
                    rich = e2 + (e2 - e1) / ((j2 / j1) ** (s + 1) - 1)
                    rich_hist[n].append(rich)
                    if len(rich_hist[n]) >= 2:
                        rerr = abs(rich_hist[n][-1] - rich_hist[n][-2])
                        if rerr < err and rerr <= 1e-17 * rich:
                            result[n] = (log_scale[n] + np.log(rich),
                                         (round_err[n] + rerr) / rich)
                            continue
                if err <= 1e-17 * est:
                    result[n] = (log_scale[n] + np.log(est), (round_err[n] + err) / est)
                elif j - J >= 1024 and s < 3:
                    # slow decay: the rest by Euler-Maclaurin at 20 digits
                    [(v, e)] = tail_sums(pair.base, pair.step, [float(qs[n])], j, dps=20)
                    with mpmath.workdps(20):
                        rest = float(v / mpmath.exp(log_scale[n]))
                        rest_err = float(e / mpmath.exp(log_scale[n]))
                    t = total[n] + rest
                    result[n] = (log_scale[n] + np.log(t),
                                 (round_err[n] + rest_err + 1e-16 * rest) / t)
            elif j - J >= max_terms:
                raise ArithmeticError("spectral tail does not converge (decay slower "
                                      "than 1/j)")
        if all(r is not None for r in result):
            return result
        block = min(2 * block, max_terms)


def _log_magnitude(pair: _LogPair, js):
    """Sum of |coefficient * log-Gamma| over all Gamma factors (the rounding scale)."""
    out = np.zeros_like(js)
    exprs = [pair.base] + ([pair.step] if pair.step is not None else [])
    for expr in exprs:
        gps = [expr.prefactor] + [g for terms, _ in expr.factors for _, g in terms]
        for g in gps:
            for a, al, be in g.gammas:
                x = float(al) * js + float(be)
                out += abs(float(a)) * np.abs(x * np.log(x))
    return out
