"""The :class:`Kernel` object and its float64 / mpmath evaluators (arc-cosine closed
forms, Clenshaw sums of Mercer series). See the package docstring."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import mpmath
import numpy as np

from ..activations import PiecewisePower
from ..errors import InvalidArgument
from ..precision import Precision
from .arccos import _log_arccos_constant, arccos_parts


#: Inner products outside [-1, 1] by at most this much are clipped (rounding of
#: <x, x'> for unit vectors in float64 is of order d * 1e-16); larger ones are refused.
U_SLACK = 1e-9


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
