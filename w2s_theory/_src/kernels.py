r"""Random-feature kernels on the sphere and cross-kernels for exact simulations.

With weights ``w`` uniform on :math:`S^{d-1}` (not Gaussian) and ``u = <x, x'>``,

.. math::

    \kappa(u) = \mathbb{E}_w\, \sigma(\langle w, x\rangle)\,\sigma(\langle w, x'\rangle)
              = \sum_{k \ge 0} c_k^2\, N(d, k)\, P_k(u)

(``THEORY.md`` section 2: Funk-Hecke coefficients :math:`c_k`, multiplicities
:math:`N(d,k)`, normalized Gegenbauer polynomials :math:`P_k`). The *cross-kernel* of two
functions, used for :math:`b_i = \mathbb{E}[f^* \phi_i]` with single-index targets
:math:`f^*(x) = g(\langle\beta, x\rangle)` (``THEORY.md`` section 5), is

.. math::

    \kappa_{\sigma, g}(u) = \mathbb{E}_x\, \sigma(\langle w, x\rangle)\, g(\langle \beta,
    x\rangle) = \sum_{k \ge 0} c_k(\sigma)\, c_k(g)\, N(d, k)\, P_k(u),
    \qquad u = \langle w, \beta\rangle

(by rotation invariance the same as :math:`\mathbb{E}_w \sigma(\langle w,x\rangle)
g(\langle w,x'\rangle)` at :math:`\langle x, x'\rangle = u`).

Three evaluation methods, chosen by :func:`kernel` / :func:`cross_kernel`:

* **arc-cosine closed forms** for every pair of *piecewise-power* functions
  :math:`\sigma(u) = \sum_p a_p u_+^p + b_p (-u)_+^p` (ReLU, step, ReLU powers, abs, sign,
  leaky ReLU, and any mixture of powers). With :math:`\theta = \arccos u` and
  :math:`m = p + q`, project a standard Gaussian ``g`` on the plane of ``x, x'``
  (polar coordinates ``r, phi``):

  .. math::

      \mathbb{E}_g[(g\cdot x)_+^p (g\cdot x')_+^q]
        = \frac{2^{m/2}\,\Gamma(\tfrac m2 + 1)}{2\pi} I_{p,q}(\theta), \qquad
      I_{p,q}(\theta) = \int_{\theta - \pi/2}^{\pi/2} \cos^p\varphi\,
                        \cos^q(\varphi - \theta)\, d\varphi,

  and since :math:`g = |g| w` with :math:`|g|` independent of ``w`` and
  :math:`\mathbb{E}|g|^m = 2^{m/2}\Gamma(\tfrac{d+m}{2})/\Gamma(\tfrac d2)`,

  .. math::

      \kappa_{p,q}(u) = \mathbb{E}_w[(w\cdot x)_+^p (w\cdot x')_+^q]
        = \frac{\Gamma(\tfrac d2)\,\Gamma(\tfrac m2 + 1)}{2\pi\,\Gamma(\tfrac{d+m}{2})}
          I_{p,q}(\theta).

  For ``p = q`` this is Cho and Saul's arc-cosine kernel in the sphere normalization,
  :math:`I_{p,p} = J_p / (2^p p!)`, i.e.
  :math:`\kappa_p(u) = \Gamma(d/2) J_p(\theta) / (2\pi\, 2^p\, \Gamma(d/2 + p))` with
  :math:`J_p(\theta) = (-1)^p (\sin\theta)^{2p+1} (\tfrac{1}{\sin\theta}
  \tfrac{\partial}{\partial\theta})^p \tfrac{\pi - \theta}{\sin\theta}` (Cho and Saul
  2009, *Kernel methods for deep learning*, NIPS, eq. (4)); ReLU:
  :math:`\kappa(u) = (\sqrt{1-u^2} + (\pi - \arccos u)\, u) / (2\pi d)`.
  :math:`I_{p,q}` is computed exactly (rational arithmetic, ``cos = (e^{i.} + e^{-i.})/2``)
  in the form :math:`A(u) + B(u)\sqrt{1-u^2} + C(u)(\pi - \arccos u)` with rational
  polynomials ``A, B, C``; reflections :math:`(-u)_+^p` give
  :math:`\kappa_{p,q}(-u)`, so

  .. math::

      \kappa_{\sigma,g}(u) = \sum_{p,q} (a_p a'_q + b_p b'_q)\, \kappa_{p,q}(u)
                            + (a_p b'_q + b_p a'_q)\, \kappa_{p,q}(-u).

  ``derivations/arccos_kernel.py`` derives all of this with sympy.

* **finite Mercer sums** when either function is a polynomial (its coefficients vanish
  above its degree): exact, evaluated by Clenshaw's recurrence.

* **truncated Mercer series** otherwise (an activation without closed-form coefficients,
  e.g. tanh, projected by quadrature): degrees ``k < K``, Clenshaw evaluation, with the
  omitted part bounded rigorously (given the coefficients) by :math:`|P_k| \le 1` and
  Cauchy-Schwarz,

  .. math::

      \Big|\sum_{k \ge K} c_k(\sigma) c_k(g) N(d,k) P_k(u)\Big|
      \le \sqrt{T_1^\sigma(K)\, T_1^g(K)}, \qquad T_1(K) = \sum_{k\ge K} N(d,k) c_k^2,

  (for a kernel, :math:`T_1(K)` itself), ``K`` being the smallest degree at which the
  bound (plus the propagated quadrature errors of the coefficients) is below
  ``tol * sqrt(E[sigma^2] E[g^2])``. The bound is :attr:`Kernel.error_bound`.

>>> k = kernel("relu", 6)
>>> bool(abs(k(1.0) - 1 / 12) < 1e-15)            # kappa(1) = E[relu(u)^2] = 1/(2d)
True
>>> k.closed_form, k.error_bound
(True, 0.0)
>>> bool(abs(kernel("step", 3)(0.0) - 0.25) < 1e-15)  # P(w.x > 0, w.y > 0) = 1/4
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import comb
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from .activations import Activation, PiecewisePower, get_activation
from .errors import InvalidArgument, check_int, check_real
from .precision import FLOAT64, Precision, as_precision
from .sphere import (check_dim, d_sym, gegenbauer_expr, k_sym, log_multiplicities,
                     multiplicities, multiplicity_expr, u_sym)

__all__ = ["Kernel", "kernel", "cross_kernel", "kernel_expr", "arccos_parts",
           "U_SLACK"]

#: Inner products outside [-1, 1] by at most this much are clipped (rounding of
#: <x, x'> for unit vectors in float64 is of order d * 1e-16); larger ones are refused.
U_SLACK = 1e-9


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
    u = u_sym

    def poly(coeffs):
        return sum((sp.Rational(x.numerator, x.denominator) * u ** i
                    for i, x in enumerate(coeffs)), sp.Integer(0))

    const = sp.gammasimp(sp.gamma(d_sym / 2) * sp.gamma(sp.Rational(m, 2) + 1)
                         / sp.gamma((d_sym + m) / 2)) / (2 * sp.pi)
    return const * (poly(a) + poly(b) * sp.sqrt(1 - u ** 2) + poly(c) * (sp.pi - sp.acos(u)))


# --------------------------------------------------------------------------------------
# The Kernel object


@dataclass(frozen=True)
class Kernel:
    r"""A kernel :math:`u \mapsto \kappa(u)` on ``[-1, 1]`` (or a cross-kernel).

    Call it on a scalar or an array of inner products ``u`` (values outside ``[-1, 1]``
    by at most :data:`U_SLACK` are clipped); the result has the shape of ``u``, float64
    or ``mpf`` according to :attr:`precision`.

    Attributes
    ----------
    name:
        ``"relu"``, or ``"relu x tanh"`` for a cross-kernel.
    d:
        Sphere dimension.
    precision:
        Working precision of evaluations.
    closed_form:
        ``True`` for arc-cosine closed forms and finite Mercer sums of closed-form
        coefficients (exact up to rounding); ``False`` for truncated Mercer series or
        sums of quadrature coefficients.
    error_bound:
        Bound on ``|kappa(u) - self(u)|`` over ``[-1, 1]``, rounding of the evaluation
        excluded: ``0.0`` for closed forms; for series, the omitted tail (Cauchy-Schwarz
        on :math:`T_1`) plus the propagated quadrature errors of the coefficients.
    degrees:
        Number ``K`` of Mercer terms summed (``None`` for arc-cosine closed forms).
    method:
        ``"arc-cosine"``, ``"finite Mercer sum"`` or ``"truncated Mercer series"``.
    """

    name: str
    d: int
    precision: Precision
    closed_form: bool
    error_bound: float
    degrees: int | None
    method: str
    _evaluate: Callable = field(repr=False, compare=False)
    _expr: Callable | None = field(default=None, repr=False, compare=False)

    def __call__(self, u):
        p = self.precision
        if p.is_float:
            return _call_float(self._evaluate, u)
        with p.context():
            arr = _check_u_mp(u, p)
            out = self._evaluate(arr) if arr.size else arr
            out = np.asarray(out, dtype=object).reshape(np.shape(u))
            return out[()] if out.ndim == 0 else out

    def expr(self):
        r"""Sympy expression of the kernel in ``u`` and ``d`` (symbols of ``sphere``).

        Only for closed forms (:attr:`closed_form`); a truncated series raises
        :class:`InvalidArgument`.
        """
        if self._expr is None:
            raise InvalidArgument(
                "activation", f"the kernel of {self.name!r} has no closed form (it is a "
                f"{self.method} with numerical coefficients)")
        return self._expr()


_CHUNK = 1 << 14   # float64 evaluation in cache-sized chunks of inner products


def _call_float(evaluate, u):
    try:
        uf = np.asarray(u, dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument("u", f"must be real numbers in [-1, 1], got {u!r}") from None
    flat = uf.reshape(-1)
    out = np.empty(flat.size)
    for start in range(0, flat.size, _CHUNK):
        out[start:start + _CHUNK] = evaluate(_clip_float(flat[start:start + _CHUNK]))
    out = out.reshape(uf.shape)
    return out[()] if out.ndim == 0 else out


def _clip_float(chunk):
    lo, hi = np.min(chunk), np.max(chunk)
    if not (lo >= -1 - U_SLACK and hi <= 1 + U_SLACK):          # also catches nan
        bad = chunk[~(np.abs(chunk) <= 1 + U_SLACK)][0]
        raise InvalidArgument(
            "u", f"inner products must lie in [-1, 1] (up to rounding {U_SLACK:g}), "
            f"got {bad!r}")
    if lo < -1 or hi > 1:
        chunk = np.clip(chunk, -1.0, 1.0)
    return chunk


def _check_u_mp(u, precision: Precision):
    """``u`` as a 1-d object array of ``mpf`` (inside the precision's context), clipped.

    Strings are read at the working precision (``"0.3"`` is not the float 0.3)."""
    raw = np.asarray(u)
    try:
        if raw.dtype.kind in "US":
            vals = [mpmath.mpf(str(x)) for x in raw.ravel()]
        elif raw.dtype == object:
            vals = [x if isinstance(x, mpmath.mpf) else mpmath.mpf(
                x if not isinstance(x, str) else x) for x in raw.ravel()]
        else:
            vals = [mpmath.mpf(float(x)) for x in raw.ravel()]
    except (TypeError, ValueError):
        raise InvalidArgument("u", f"must be real numbers in [-1, 1], got {u!r}") from None
    one = mpmath.mpf(1)
    for x in vals:
        if not abs(x) <= 1 + U_SLACK:
            raise InvalidArgument(
                "u", f"inner products must lie in [-1, 1] (up to rounding {U_SLACK:g}), "
                f"got {mpmath.nstr(x, 17)}")
    out = np.empty(len(vals), dtype=object)
    out[:] = [min(max(+x, -one), one) for x in vals]
    return out


# --------------------------------------------------------------------------------------
# Evaluators


def _horner(coeffs, u):
    out = coeffs[-1] + 0 * u
    for c in coeffs[-2::-1]:
        out = out * u + c
    return out


_MP_ACOS = np.frompyfunc(mpmath.acos, 1, 1)


def _arccos_evaluator(fam_s: PiecewisePower, fam_g: PiecewisePower, d: int,
                      precision: Precision):
    r"""Evaluator of :math:`\kappa_{\sigma,g}` for two piecewise-power functions.

    Combines every :math:`\kappa_{p,q}(\pm u)` into
    :math:`A(u) + B(u)\sqrt{1-u^2} + C_+(u)\arccos(-u) + C_-(u)\arccos(u)`.
    """
    pr = precision
    with mpmath.workdps(pr.mp_digits()):
        tot = {"a": {}, "b": {}, "cp": {}, "cm": {}}

        def acc(name, j, val):
            tot[name][j] = tot[name].get(j, mpmath.mpf(0)) + val

        for p, (ap, bp) in enumerate(zip(fam_s.right, fam_s.left)):
            for q, (aq, bq) in enumerate(zip(fam_g.right, fam_g.left)):
                w_plus = ap * aq + bp * bq         # on kappa_pq(u)
                w_minus = ap * bq + bp * aq        # on kappa_pq(-u)
                if w_plus == 0 and w_minus == 0:
                    continue
                const = mpmath.exp(_log_arccos_constant(p, q, d))
                a, b, c = arccos_parts(min(p, q), max(p, q))
                for j, x in enumerate(a):
                    acc("a", j, const * _mpf(x * (w_plus + (-1) ** j * w_minus)))
                for j, x in enumerate(b):
                    acc("b", j, const * _mpf(x * (w_plus + (-1) ** j * w_minus)))
                for j, x in enumerate(c):
                    acc("cp", j, const * _mpf(x * w_plus))
                    acc("cm", j, const * _mpf(x * (-1) ** j * w_minus))
        # arccos(u) = pi - arccos(-u): one arccos per point (absolute accuracy kept).
        for j, x in tot["cm"].items():
            acc("a", j, mpmath.pi * x)
            acc("cp", j, -x)
        polys = {}
        for name in ("a", "b", "cp"):
            dct = tot[name]
            if dct and any(v != 0 for v in dct.values()):
                top = max(dct)
                polys[name] = [dct.get(j, mpmath.mpf(0)) for j in range(top + 1)]
    with pr.context():
        polys = {k: [pr.scalar(x) for x in v] for k, v in polys.items()}
    acos = np.arccos if pr.is_float else _MP_ACOS

    def evaluate(u):
        terms = []
        if "a" in polys:
            terms.append(_horner(polys["a"], u))
        if "b" in polys:
            terms.append(_horner(polys["b"], u) * pr.sqrt((1 - u) * (1 + u)))
        if "cp" in polys:
            terms.append(_horner(polys["cp"], u) * acos(-u))
        if not terms:
            return 0 * u
        out = terms[0]
        for t in terms[1:]:
            out += t
        return out

    return evaluate


def _mpf(x: Fraction):
    return mpmath.mpf(x.numerator) / x.denominator


def _clenshaw_evaluator(weights, d: int, precision: Precision):
    r"""Evaluator of :math:`\sum_{k<K} w_k P_k(u)` by Clenshaw's recurrence.

    With :math:`P_{k+1} = \alpha_k u P_k + \beta_k P_{k-1}`,
    :math:`\alpha_k = (2k+d-2)/(k+d-2)`, :math:`\beta_k = -k/(k+d-2)` (``k >= 1``):
    :math:`b_k = w_k + \alpha_k u b_{k+1} + \beta_{k+1} b_{k+2}` for ``k = K-1 .. 1``
    and the sum is :math:`w_0 + u b_1 + \beta_1 b_2`.
    """
    pr = precision
    w = list(weights)
    K = len(w)

    def alpha(k):
        return pr.scalar(2 * k + d - 2) / (k + d - 2)

    def beta(k):
        return -pr.scalar(k) / (k + d - 2)

    with pr.context():
        alphas = [None] + [alpha(k) for k in range(1, K)]
        betas = [None] + [beta(k) for k in range(1, K + 1)]

    def evaluate(u):
        if K == 0:
            return pr.zeros(u.shape) if not pr.is_float else np.zeros(u.shape)
        if pr.is_float:
            b1 = np.zeros(u.shape)
            b2 = np.zeros(u.shape)
            tmp = np.empty(u.shape)
            for k in range(K - 1, 0, -1):
                # tmp = w_k + alpha_k u b1 + beta_{k+1} b2, computed in place
                np.multiply(u, b1, out=tmp)
                tmp *= alphas[k]
                b2 *= betas[k + 1]
                tmp += b2
                tmp += w[k]
                b2, b1, tmp = b1, tmp, b2
            out = u * b1
            b2 *= betas[1]
            out += b2
            out += w[0]
            return out
        b1 = 0 * u
        b2 = 0 * u
        for k in range(K - 1, 0, -1):
            b1, b2 = w[k] + alphas[k] * u * b1 + betas[k + 1] * b2, b1
        return w[0] + u * b1 + betas[1] * b2

    return evaluate


# --------------------------------------------------------------------------------------
# Coefficient data of one function


@dataclass
class _Side:
    """Coefficients of one function: ``log|c_k|``, signs, tail masses, errors."""

    act: Activation
    spectrum: object
    family: PiecewisePower | None
    poly_degree: int | None       # degree if a polynomial family
    num: tuple | None = None      # quadrature data (see _numerical_data), set on demand


def _side(act: Activation, d: int) -> _Side:
    from .spectra.sphere import SphereSpectrum

    spec = SphereSpectrum(act, d)
    fam = act.family
    poly_deg = None
    if fam is not None and fam.is_polynomial():
        nz = [p for p, a in enumerate(fam.right) if a != 0]
        poly_deg = max(nz) if nz else 0
    return _Side(act, spec, fam, poly_deg)


def _numerical_data(side: _Side, precision: Precision):
    """``(log|c|, sign, log R, errors, k_num, E[g^2])`` of a quadrature sequence.

    ``R`` bounds the Mercer energy beyond the computed degrees: the Parseval remainder
    ``E[g^2] - sum_{k<k_num} N c_k^2`` plus the accuracy of that difference, taken as
    ``4 eps_q E[g^2]`` with ``eps_q`` the precision of the quadrature (the sequence
    integrates at ``max(30, digits + 15)`` digits when an mpmath version of the function
    is known, else at the requested precision).
    """
    if side.num is None:
        seq = side.spectrum.sequence
        la, sg, rem, k_num, errs, second = seq._compute(precision)
        if side.act.mp_func is not None:
            eps_q = 10.0 ** -max(30, (precision.digits or 15) + 15)
        else:
            eps_q = float(precision.eps)
        r = max(float(rem), 0.0) + 4 * eps_q * abs(float(second))
        log_r = math.log(r) if r > 0 else -math.inf
        side.num = (la, sg, log_r, np.asarray(errs, dtype=float), int(k_num), float(second))
    return side.num


def _refine_numerical(side: _Side, precision: Precision, log_r_needed: float,
                      k_cap: int = 2048):
    """Recompute the quadrature coefficients of ``side`` so that the Parseval remainder
    ``R`` can reach ``exp(log_r_needed)``: more degrees (doubling) and a working
    precision of about ``-log10(R / E[g^2])`` digits. Needs an mpmath version of the
    function; otherwise nothing is done."""
    from .funk_hecke import funk_hecke_coefficients

    if side.act.mp_func is None:
        return
    _, _, _, _, k_num, second = _numerical_data(side, precision)
    rel = log_r_needed - math.log(abs(second)) if second else 0.0
    digits = max(30, (precision.digits or 15) + 15, int(math.ceil(-rel / math.log(10))) + 8)
    digits = min(digits, 10000)
    work = Precision(digits)
    d = side.spectrum.d
    k_num = min(2 * k_num, k_cap)
    while True:
        with work.context():
            res = funk_hecke_coefficients(side.act.func, d, k_num - 1, work,
                                          breakpoints=side.act.breakpoints,
                                          mp_func=side.act.mp_func)
            c = res.coefficients
            log_n = log_multiplicities(d, np.arange(k_num), work)
            rem = res.second_moment - work.sum(work.exp(log_n) * c * c)
        r = (max(float(rem), 0.0) + float(res.second_moment_error)
             + 4 * 10.0 ** -digits * abs(float(res.second_moment)))
        if (r > 0 and math.log(r) <= log_r_needed) or k_num >= k_cap:
            break
        k_num = min(2 * k_num, k_cap)
    with precision.context():
        la = precision.log(precision.array([abs(x) for x in c]))
        sg = np.array([float(mpmath.sign(x)) for x in c])
    side.num = (la, sg, math.log(r) if r > 0 else -math.inf,
                np.asarray(res.errors, dtype=float), int(k_num),
                float(res.second_moment))


def _log_tails(side: _Side, K_cap: int, precision: Precision):
    """``(log|c_k|, sign_k)`` for ``k < K_cap``, float ``log T_1(K)`` for ``K <= K_cap``,
    and float absolute coefficient errors (zeros for closed forms).

    For a quadrature sequence ``K_cap`` must not exceed its computed degrees."""
    d = side.spectrum.d
    if side.family is None:
        la_all, sg_all, log_r, errs, k_num, _ = _numerical_data(side, precision)
        if K_cap > k_num:                                  # pragma: no cover - internal
            raise ValueError("K_cap beyond the computed coefficients")
        la, sg, errs = la_all[:K_cap], sg_all[:K_cap], errs[:K_cap]
        rest = _log_energies(d, la_all, K_cap, k_num)
        log_tail_end = float(np.logaddexp.reduce(np.append(rest, log_r)))
    else:
        K_c = max(K_cap, side.spectrum.min_tail_start)
        # closed-form coefficients at >= 30 digits (float64 log-Gamma differences lose
        # eps * log Gamma(d/2) relative at large d); rounded where used
        la_c, sg_c = side.spectrum.coefficients(
            K_c, Precision(30) if precision.is_float else precision)
        tm = side.spectrum.tail_moments(K_c, 1, precision)
        mass = float(tm.log_mass)
        # the Euler-Maclaurin tail sum carries a relative error estimate: include it
        log_tail_end = mass + math.log1p(float(tm.rel_error)) if math.isfinite(mass) else mass
        rest = _log_energies(d, la_c, K_cap, K_c)
        log_tail_end = float(np.logaddexp.reduce(np.append(rest, log_tail_end)))
        la, sg, errs = la_c[:K_cap], sg_c[:K_cap], np.zeros(K_cap)
    log_e = _log_energies(d, la, 0, K_cap)
    # log T_1(K) for K = 0..K_cap: reverse cumulative log-sum-exp.
    log_t1 = np.logaddexp.accumulate(np.append(log_e, log_tail_end)[::-1])[::-1]
    return la, sg, log_t1, errs


def _log_energies(d: int, la, start: int, stop: int):
    """Float ``log(N(d,k) c_k^2)`` for ``start <= k < stop``."""
    if stop <= start:
        return np.zeros(0)
    ks = np.arange(start, stop)
    return (np.asarray([float(x) for x in log_multiplicities(d, ks)])
            + 2 * np.asarray([float(x) for x in la[start:stop]]))


# --------------------------------------------------------------------------------------
# Construction


def kernel(activation, d: int, precision=FLOAT64, *, tol=None) -> Kernel:
    r"""The random-feature kernel :math:`\kappa(u) = \mathbb{E}_w \sigma(\langle w,
    x\rangle)\sigma(\langle w, x'\rangle)` on :math:`S^{d-1}`, ``w`` uniform.

    .. math:: \kappa(u) = \sum_{k\ge 0} c_k^2 N(d,k) P_k(u), \qquad
              \kappa(1) = \mathbb{E}_u[\sigma(u)^2].

    Closed form (arc-cosine) for every piecewise-power activation, e.g.
    :math:`\kappa_{relu}(u) = (\sqrt{1-u^2} + (\pi - \arccos u)u)/(2\pi d)`; finite
    Mercer sum for polynomials; otherwise the Mercer series truncated where its tail
    :math:`T_1(K) = \sum_{k \ge K} N(d,k) c_k^2` (a bound on the omitted part, since
    :math:`|P_k| \le 1`) is below ``tol * kappa(1)`` (default ``tol``: the precision's
    ``eps``). See the module docstring and ``THEORY.md`` section 2.

    Parameters
    ----------
    activation:
        Name (``"relu"``, ``"relu^3"``, ``"poly:0,1,1"``, ``"tanh"``...), callable or
        :class:`~.activations.Activation`.
    d:
        Sphere dimension ``>= 2``.
    precision:
        :class:`Precision`, digits or ``None``.
    tol:
        Relative tolerance of the truncated series (ignored for closed forms).

    >>> k = kernel("relu", 10)
    >>> bool(abs(k(1.0) - 1 / 20) < 1e-16), bool(abs(k(-1.0)) < 1e-16)
    (True, True)
    >>> t = kernel("tanh", 5)
    >>> t.closed_form, bool(t.error_bound < 1e-16 * t(1.0))
    (False, True)
    """
    act = get_activation(activation)
    d = check_dim(d)
    precision = as_precision(precision)
    tol = _check_tol(tol, precision)
    return _build(act, act, d, precision, tol, single=True)


def cross_kernel(sigma, g, d: int, precision=FLOAT64, *, tol=None) -> Kernel:
    r"""Cross-kernel :math:`u \mapsto \mathbb{E}_x \sigma(\langle w, x\rangle)
    g(\langle \beta, x\rangle)` at :math:`u = \langle w, \beta\rangle` (unit ``w, beta``).

    .. math:: \kappa_{\sigma,g}(u) = \sum_{k \ge 0} c_k(\sigma) c_k(g) N(d,k) P_k(u).

    Used for :math:`b_i = \mathbb{E}[f^* \phi_i] = \kappa_{\sigma,g}(\langle w_i,
    \beta\rangle)` with single-index targets :math:`f^* = g(\langle\beta, x\rangle)`
    (``THEORY.md`` section 5). Closed form when both functions are piecewise powers
    (arc-cosine, mixed powers included) or one is a polynomial (finite Mercer sum);
    otherwise the Mercer series truncated at ``K`` with the omitted part bounded by
    Cauchy-Schwarz, :math:`\sqrt{T_1^\sigma(K) T_1^g(K)}`, below
    ``tol * sqrt(E[sigma^2] E[g^2])``.

    >>> ck = cross_kernel("relu", "relu", 4)
    >>> bool(abs(ck(0.3) - kernel("relu", 4)(0.3)) < 1e-16)
    True
    >>> lin = cross_kernel("relu", "linear", 4)   # c_1(relu) c_1(u) N(d,1) u = u/(2d)
    >>> bool(abs(lin(0.3) - 0.3 / 8) < 1e-16), lin.method
    (True, 'finite Mercer sum')
    """
    s_act = get_activation(sigma)
    g_act = get_activation(g)
    d = check_dim(d)
    precision = as_precision(precision)
    tol = _check_tol(tol, precision)
    return _build(s_act, g_act, d, precision, tol, single=False)


def _check_tol(tol, precision: Precision) -> float:
    if tol is None:
        return float(precision.eps)
    return float(check_real("tol", tol, minimum=0, maximum=1, strict_min=True))


@lru_cache(maxsize=128)
def _build(s_act: Activation, g_act: Activation, d: int, precision: Precision, tol: float,
           single: bool) -> Kernel:
    name = s_act.name if single else f"{s_act.name} x {g_act.name}"
    s_side = _side(s_act, d)
    g_side = s_side if single else _side(g_act, d)
    fs, fg = s_side.family, g_side.family

    # Closed-form coefficients, a polynomial on either side: finite Mercer sum.
    degs = [x.poly_degree for x in (s_side, g_side) if x.poly_degree is not None]
    if degs and fs is not None and fg is not None:
        K = min(degs) + 1
        la_s, sg_s, _, _ = _log_tails(s_side, K, precision)
        la_g, sg_g = (la_s, sg_s) if single else _log_tails(g_side, K, precision)[:2]
        weights = _weights(la_s, sg_s, la_g, sg_g, d, precision)
        return Kernel(name, d, precision, True, 0.0, K, "finite Mercer sum",
                      _clenshaw_evaluator(weights, d, precision),
                      lambda: _mercer_expr(fs, fg, K))

    # Two piecewise-power functions: arc-cosine closed form.
    if fs is not None and fg is not None:
        ev = _arccos_evaluator(fs, fg, d, precision)
        return Kernel(name, d, precision, True, 0.0, None, "arc-cosine", ev,
                      lambda: _arccos_expr(fs, fg))

    # Truncated Mercer series.
    sides = [s_side] if single else [s_side, g_side]
    K, bound, parts = _series_choice(s_side, g_side, single, d, precision, tol)
    if bound > parts["target"]:
        # The quadrature remainder is too coarse for the bound (e.g. a 30-digit
        # cross-kernel with a slowly decaying ReLU tail): refine the numerical sides.
        for side in sides:
            if side.family is None:
                other = parts["log_t1_g"] if side is s_side and not single else \
                    parts["log_t1_s"]
                log_target = math.log(parts["target"]) if parts["target"] > 0 else -700.0
                need = (log_target if single
                        else 2 * log_target - max(float(other[-1]), -700.0)) - math.log(4)
                _refine_numerical(side, precision, need)
        K, bound, parts = _series_choice(s_side, g_side, single, d, precision, tol)
    la_s, sg_s, la_g, sg_g = parts["coefficients"]
    weights = _weights(la_s[:K], sg_s[:K], la_g[:K], sg_g[:K], d, precision)
    # with a polynomial on one side the omitted part is empty once K passes its degree
    finite = (parts["log_t1_s"][K] == -np.inf or parts["log_t1_g"][K] == -np.inf)
    return Kernel(name, d, precision, False, bound, K,
                  "finite Mercer sum" if finite else "truncated Mercer series",
                  _clenshaw_evaluator(weights, d, precision), None)


def _series_choice(s_side, g_side, single, d, precision, tol):
    """Smallest ``K`` (up to the computed degrees) whose bound meets the tolerance."""
    caps = [_numerical_data(x, precision)[4] for x in (s_side, g_side) if x.family is None]
    K_cap = min(caps)
    la_s, sg_s, lt_s, err_s = _log_tails(s_side, K_cap, precision)
    la_g, sg_g, lt_g, err_g = (la_s, sg_s, lt_s, err_s) if single else \
        _log_tails(g_side, K_cap, precision)
    log_scale = 0.5 * (lt_s[0] + lt_g[0])
    log_tail = 0.5 * (lt_s + lt_g)               # Cauchy-Schwarz, K = 0..K_cap
    coef_err = _coefficient_error_cumulative(d, la_s, la_g, err_s, err_g)  # K = 0..K_cap
    bounds = np.exp(log_tail) + coef_err
    target = tol * math.exp(log_scale) if math.isfinite(log_scale) else 0.0
    ok = np.nonzero(bounds <= target)[0]
    K = max(int(ok[0]) if len(ok) else K_cap, 1)
    return K, float(bounds[K]), {"target": target, "log_t1_s": lt_s, "log_t1_g": lt_g,
                                 "coefficients": (la_s, sg_s, la_g, sg_g)}


def _weights(la_s, sg_s, la_g, sg_g, d, precision: Precision):
    """``w_k = c_k(s) c_k(g) N(d, k)`` in the working precision.

    Formed in mpmath (float64 mode: at 30 digits, then rounded) from exact integer
    multiplicities, so that large ``d`` costs no accuracy (float64 ``log N(d, k)`` from
    log-Gamma differences loses ``eps * log Gamma(d)`` relative)."""
    K = len(la_s)
    wp = Precision(30) if precision.is_float else precision
    mult = multiplicities(d, K - 1) if K else []
    out = []
    with wp.context():
        for k in range(K):
            s = int(sg_s[k]) * int(sg_g[k])
            if s == 0:
                out.append(mpmath.mpf(0))
                continue
            out.append(s * mpmath.exp(mpmath.mpf(la_s[k]) + mpmath.mpf(la_g[k])
                                      + mpmath.log(mult[k])))
        if precision.is_float:
            return [float(x) for x in out]
        return out


def _coefficient_error_cumulative(d, la_s, la_g, err_s, err_g):
    r"""For ``K = 0..len``: :math:`\sum_{k<K} N_k (|c_k^s| e_k^g + |c_k^g| e_k^s +
    e_k^s e_k^g)`, the effect of the coefficients' quadrature errors (float)."""
    K = len(la_s)
    if K == 0:
        return np.zeros(1)
    log_n = np.asarray([float(x) for x in log_multiplicities(d, np.arange(K))])
    cs = np.exp(np.asarray([float(x) for x in la_s]))
    cg = np.exp(np.asarray([float(x) for x in la_g]))
    es, eg = np.asarray(err_s, dtype=float), np.asarray(err_g, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        terms = np.exp(log_n + np.log(cs * eg + cg * es + es * eg))
    return np.concatenate([[0.0], np.cumsum(terms)])


# --------------------------------------------------------------------------------------
# Symbolic forms


def _rat(x: Fraction):
    return sp.Rational(x.numerator, x.denominator)


def _arccos_expr(fs: PiecewisePower, fg: PiecewisePower):
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
