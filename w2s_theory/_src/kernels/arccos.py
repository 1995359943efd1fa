r"""Arc-cosine closed forms of kernels of piecewise powers, and symbolic kernel forms.

:math:`I_{p,q}` exactly (:func:`arccos_parts`), :math:`\kappa_{p,q}` as a sympy
expression (:func:`kernel_expr`), and the sympy forms of arc-cosine kernels and finite
Mercer sums used by :meth:`Kernel.expr`. See the package docstring.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import comb

import mpmath

from ..activations import PiecewisePower
from ..errors import check_int
from ..lazy import lazy_module
from ..sphere import gegenbauer_expr, multiplicity_expr, symbols

sp = lazy_module("sympy")                 # the symbolic forms: imported on first use


# --------------------------------------------------------------------------------------
# Arc-cosine closed forms


@lru_cache(maxsize=None)
def arccos_parts(p: int, q: int):
    r"""Exact :math:`I_{p,q}(\theta) = A(u) + B(u)\sqrt{1-u^2} + C(u)(\pi - \arccos u)`.

    Returns the coefficient lists ``(A, B, C)`` (``Fraction``, ascending powers of
    ``u = cos(theta)``). Computed from :math:`\cos\varphi = (e^{i\varphi} +
    e^{-i\varphi})/2`: the frequency-``n`` term of the integrand integrates to
    :math:`(i^n - i^{-n} e^{in\theta})/(in)` (``n != 0``) or :math:`\pi - \theta`
    (``n = 0``), and :math:`e^{ik\theta} = (u + i s)^k` with :math:`s^2 = 1 - u^2`.

    >>> arccos_parts(1, 1)          # J_1 / 2 = (sin t + (pi - t) cos t) / 2
    ([], [Fraction(1, 2)], [Fraction(0, 1), Fraction(1, 2)])
    >>> arccos_parts(0, 0)          # pi - t
    ([], [], [Fraction(1, 1)])
    """
    p = check_int("p", p, minimum=0)
    q = check_int("q", q, minimum=0)
    zero = Fraction(0)

    # Polynomials in (u, s) with Gaussian-rational coefficients: {(i, j): (re, im)}.
    def mul(a, b):
        out = {}
        for (i1, j1), (r1, m1) in a.items():
            for (i2, j2), (r2, m2) in b.items():
                key = (i1 + i2, j1 + j2)
                r, m = out.get(key, (zero, zero))
                out[key] = (r + r1 * r2 - m1 * m2, m + r1 * m2 + m1 * r2)
        return out

    def add(dst, poly, cr, ci):
        for key, (r, m) in poly.items():
            a, b = dst.get(key, (zero, zero))
            dst[key] = (a + cr * r - ci * m, b + cr * m + ci * r)

    m_tot = p + q
    pw = {0: {(0, 0): (Fraction(1), zero)}}
    e_pos = {(1, 0): (Fraction(1), zero), (0, 1): (zero, Fraction(1))}    # u + i s
    e_neg = {(1, 0): (Fraction(1), zero), (0, 1): (zero, Fraction(-1))}   # u - i s
    for k in range(1, m_tot + 1):
        pw[k] = mul(pw[k - 1], e_pos)
        pw[-k] = mul(pw[-(k - 1)], e_neg)
    i_pow = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    angle, rest = {}, {}
    for j in range(p + 1):
        for l_ in range(q + 1):
            n2 = 2 * l_ - q
            n = 2 * j - p + n2
            c = Fraction(comb(p, j) * comb(q, l_), 2 ** m_tot)
            # integrand term: c e^{i n phi} e^{-i n2 theta}
            if n == 0:
                add(angle, pw[-n2], c, zero)
                continue
            # c/(i n) = -i c/n times (i^n e^{-i n2 t} - i^{-n} e^{i (n - n2) t})
            f = c / n
            a_re, a_im = i_pow[n % 4]
            b_re, b_im = i_pow[(-n) % 4]
            add(rest, pw[-n2], f * a_im, -f * a_re)
            add(rest, pw[n - n2], -f * b_im, f * b_re)

    def reduce(poly):
        """Split into (even part in s, coefficient of s) as {power of u: (re, im)}."""
        even, odd = {}, {}
        for (i, j), (r, m) in poly.items():
            dst = odd if j % 2 else even
            h = j // 2
            for t in range(h + 1):             # s^{2h} = (1 - u^2)^h
                coef = comb(h, t) * (-1) ** t
                a, b = dst.get(i + 2 * t, (zero, zero))
                dst[i + 2 * t] = (a + coef * r, b + coef * m)
        return even, odd

    def as_list(poly):
        if any(m != 0 for _, m in poly.values()):          # pragma: no cover - algebra
            raise ArithmeticError("arc-cosine integral is not real")
        top = max((k for k, (r, _) in poly.items() if r != 0), default=-1)
        return [poly.get(k, (zero, zero))[0] for k in range(top + 1)]

    a_poly, b_poly = reduce(rest)
    c_poly, c_odd = reduce(angle)
    if as_list(c_odd):                                      # pragma: no cover - algebra
        raise ArithmeticError("unexpected sqrt(1-u^2) (pi - theta) term")
    return as_list(a_poly), as_list(b_poly), as_list(c_poly)


def _log_arccos_constant(p: int, q: int, d: int):
    """``log(Gamma(d/2) Gamma(m/2+1) / (2 pi Gamma((d+m)/2)))`` (mpmath, current dps)."""
    m = p + q
    d = mpmath.mpf(d)
    return (mpmath.loggamma(d / 2) + mpmath.loggamma(mpmath.mpf(m) / 2 + 1)
            - mpmath.loggamma((d + m) / 2) - mpmath.log(2 * mpmath.pi))


def kernel_expr(p: int, q: int | None = None):
    r"""Sympy expression of :math:`\kappa_{p,q}(u) = \mathbb{E}_w[(w\cdot x)_+^p
    (w\cdot x')_+^q]` (``q = p`` by default: :math:`\kappa_p(u)`), in ``u`` and ``d``.

    .. math::

        \kappa_p(u) = \frac{\Gamma(d/2)}{2\pi\, 2^p\, \Gamma(d/2 + p)} J_p(\arccos u)

    (Cho and Saul 2009, eq. (4) for :math:`J_p`; ``THEORY.md`` section 2 for ReLU).

    >>> d_sym, _, u_sym = symbols()
    >>> e = kernel_expr(1)
    >>> relu = (sp.sqrt(1 - u_sym**2) + (sp.pi - sp.acos(u_sym)) * u_sym) / (2 * sp.pi * d_sym)
    >>> sp.simplify(e - relu)
    0
    >>> kernel_expr(0).subs(u_sym, 0)        # P(w.x > 0, w.x' > 0) at right angle
    1/4
    """
    p = check_int("p", p, minimum=0)
    q = p if q is None else check_int("q", q, minimum=0)
    m = p + q
    a, b, c = arccos_parts(p, q)
    d_sym, _, u = symbols()

    def poly(coeffs):
        return sum((sp.Rational(x.numerator, x.denominator) * u ** i
                    for i, x in enumerate(coeffs)), sp.Integer(0))

    const = sp.gammasimp(sp.gamma(d_sym / 2) * sp.gamma(sp.Rational(m, 2) + 1)
                         / sp.gamma((d_sym + m) / 2)) / (2 * sp.pi)
    return const * (poly(a) + poly(b) * sp.sqrt(1 - u ** 2) + poly(c) * (sp.pi - sp.acos(u)))



# --------------------------------------------------------------------------------------
# Symbolic forms


def _rat(x: Fraction):
    return sp.Rational(x.numerator, x.denominator)


def _arccos_expr(fs: PiecewisePower, fg: PiecewisePower):
    u_sym = symbols()[2]
    out = sp.Integer(0)
    for p, (ap, bp) in enumerate(zip(fs.right, fs.left)):
        for q, (aq, bq) in enumerate(zip(fg.right, fg.left)):
            w_plus, w_minus = ap * aq + bp * bq, ap * bq + bp * aq
            if w_plus == 0 and w_minus == 0:
                continue
            e = kernel_expr(p, q)
            out += _rat(w_plus) * e + _rat(w_minus) * e.subs(u_sym, -u_sym)
    return out


def _mercer_expr(fs: PiecewisePower, fg: PiecewisePower, K: int):
    r""":math:`\sum_{k<K} c_k(s) c_k(g) N(d,k) P_k(u)` with symbolic ``d``."""
    _, k_sym, u_sym = symbols()
    cs, cg = fs.expr(), fg.expr()
    out = sp.Integer(0)
    for k in range(K):
        c1 = sp.gammasimp(cs.subs(k_sym, k))
        c2 = sp.gammasimp(cg.subs(k_sym, k))
        if c1 == 0 or c2 == 0:
            continue
        n = sp.Integer(1) if k == 0 else sp.expand_func(multiplicity_expr().subs(k_sym, k))
        pk = gegenbauer_expr().subs(k_sym, k)
        out += c1 * c2 * n * pk
    out = sp.expand(sp.simplify(out))
    return sp.collect(out, u_sym, evaluate=True, func=sp.factor)
