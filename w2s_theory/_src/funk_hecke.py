r"""Funk-Hecke coefficients of a function of one variable, with error control.

For a function :math:`\sigma` on ``[-1, 1]`` and inputs on :math:`S^{d-1}`, the Funk-Hecke
theorem (Atkinson and Han, *Spherical Harmonics and Approximations on the Unit Sphere*,
2012, Theorem 2.22) says that the degree-``k`` part of :math:`x \mapsto \sigma(\langle w,
x\rangle)` is :math:`c_k N(d, k) P_k(\langle w, x\rangle)`, with

.. math::

    c_k = \mathbb{E}_u[\sigma(u) P_k(u)]
        = Z_d \int_{-1}^{1} \sigma(u) P_k(u) (1 - u^2)^{(d-3)/2} \, du,
    \qquad Z_d = \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)},

:math:`P_k` the normalized Gegenbauer polynomial (``sphere.gegenbauer``) and
:math:`N(d, k)` the number of degree-``k`` harmonics. Since
:math:`\mathbb{E}[P_k^2] = 1/N(d, k)`, Parseval (Mercer at ``u = 1``) reads
:math:`\sum_k N(d, k) c_k^2 = \mathbb{E}[\sigma(u)^2]`, which is also returned.

Algorithm
---------
Tanh-sinh (double-exponential) quadrature on each piece ``[a, b]`` between consecutive
break points (``0`` is always a split point: for large ``d`` the weight concentrates in
:math:`|u| \lesssim 1/\sqrt{d}`, which then sits at a piece end, where tanh-sinh nodes
cluster doubly exponentially). With :math:`s = \tfrac{\pi}{2}\sinh t`,
:math:`u = m + r\tanh s`, the distances to the ends :math:`b - u = 2r/(1 + e^{2s})` and
:math:`u - a = 2r/(1 + e^{-2s})` are formed without cancellation, and the weight is
evaluated in log form, :math:`\exp(\log Z_d + \tfrac{d-3}{2}\log(1-u^2) + \log(du/dt))`
(with :math:`\log(1-u^2)` from the end distances, or ``log1p(-u^2)`` near ``u = 0``).
So the ``d = 2`` end point singularity :math:`(1-u^2)^{-1/2}` is integrated with
spectral accuracy and ``d`` in the thousands neither under- nor overflows.

Nodes are chosen with float64 estimates: a node is dropped (in mpmath mode before the
mpmath evaluation) when :math:`\max_k w_i |\sigma(u_i) P_k(u_i)| / \mathbb{E}|\sigma P_k|`
is below ``1e-100`` (float64) or :math:`10^{-20}\varepsilon_w^2` (mpmath), with
:math:`\mathbb{E}|\sigma P_k|` from a fixed coarse grid. This keeps, for large ``d`` and
``k``, the nodes far from ``0`` where :math:`P_k` is large enough to matter, and the
nodes where :math:`\sigma` is large, and skips the rest of the ``(1-u^2)^{(d-3)/2}``
desert. The terms of the kept nodes within :math:`2^{40}` of that threshold, or at the
ends of the ``t`` range (the "tail band"), are added to the error; when they do not
shrink, the integrand does not decay at a piece end and the call fails. The step
:math:`h = 2^{-\ell}` is halved, reusing all previous nodes, until every coefficient
meets its target.

For each level the new nodes feed the Gegenbauer three-term recurrence of
``sphere.gegenbauer``, vectorized over nodes, and the sums for all ``k`` are accumulated
at once (cost ``nodes * k_max``). In mpmath mode the recurrence runs in fixed point on
Python integers with a separate binary scale per node (renormalized every few degrees),
which keeps the relative accuracy of each term however small :math:`P_k(u)` gets
(``d = 1000``, ``k = 200``: ``1e-117`` in the bulk of the weight) at about a tenth of the
cost of ``mpf`` arithmetic. A float64 pass of the same recurrence, also rescaled per
node, gives the scales :math:`s_k = \mathbb{E}|\sigma P_k|` of the rounding errors.

Error control
-------------
Let :math:`I_\ell` be the estimate at step :math:`2^{-\ell}`,
:math:`\delta_1 = |I_\ell - I_{\ell-1}|` and :math:`\delta_2 = |I_{\ell-1} - I_{\ell-2}|`.
The reported error of :math:`c_k` is

.. math::

    \delta_1 \min(1, \delta_1/\delta_2) + \text{tail}_k
    + C \varepsilon_w \Big((k+1) s_k + \sum_i \lambda_i |w_i \sigma(u_i) P_k(u_i)|\Big).

The first term extrapolates the last two refinement differences at their ratio
(tanh-sinh errors shrink ever faster with each halving, roughly squaring, so once
converging the extrapolation over-estimates; when :math:`\delta_1 \ge \delta_2` there
is no evidence of convergence and the error is :math:`\delta_1`). The last term is the
rounding floor at working precision :math:`\varepsilon_w`: ``(k+1)`` ulps for the
recurrence, and :math:`\lambda_i` (the sum of the moduli of the terms of
:math:`\log w_i`, up to ``d/2`` times :math:`|\log(1-u^2)|`) ulps for each weight, whose
exponent amplifies its rounding. ``C = 4``; measured errors stay below 0.4 of the
reported ones (``tests/test_funk_hecke.py``).

The target of coefficient ``k`` is
:math:`\max(\text{rtol}\,|c_k|,\ \text{rtol}\,10^{-\text{cancellation\_digits}} s_k)`:
coefficients down to ``10**-cancellation_digits`` times their natural scale :math:`s_k`
are given to relative accuracy ``rtol``; smaller ones (zero by symmetry, or
astronomically small at large ``d`` and ``k``) to that absolute accuracy. In mpmath mode
the working precision is raised by ``cancellation_digits`` (default: ``digits``) so that
the rounding floor stays below the target, and the final rounding of the results to the
precision's working digits is added to their errors; in float64 the floor, about
:math:`10^{-16}((k+1) s_k + \dots)` (and never below ``2**-1000``), cannot be lowered and
is what gets reported. A
level is accepted when every coefficient's non-rounding error is below
``max(target, 2 * floor)`` and :math:`\mathbb{E}[\sigma^2]` meets ``rtol`` the same way;
a coefficient whose error falls by less than a factor 16 per halving once the nodes
resolve every :math:`P_k` (a kink, jump or singularity not listed in ``breakpoints``) is
reported as not converging instead of refining up to ``max_nodes``.

>>> r = funk_hecke_coefficients(lambda u: u**2, 5, 3)
>>> [round(float(c), 14) for c in r.coefficients]    # 1/d, 0, 2/(d(d+2)), 0
[0.2, 0.0, 0.05714285714286, 0.0]
>>> bool(max(r.errors) < 1e-14), round(float(r.second_moment), 14)  # E u^4 = 3/(d(d+2))
(True, 0.08571428571429)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np

from .errors import InvalidArgument, check_int, check_real
from .precision import FLOAT64, Precision, as_precision
from .sphere import check_dim, gegenbauer, log_u_normalizer, multiplicities

__all__ = [
    "FunkHeckeResult",
    "FunkHeckeProjection",
    "funk_hecke_coefficients",
    "funk_hecke_projection",
]

# Rounding floor constant C (module docstring). Float64 errors measured against 25-40
# digits (d = 2..5000, k <= 60, ten activations, steps where the weight is 1e-190) stay
# below 0.4 of the reported error.
_FLOOR_C = 4.0
_GUARD_DIGITS = 3           # extra digits in mpmath mode on top of the floor requirement
_RENORM_EVERY = 4           # degrees between per-node rescalings of the fixed-point recurrence
_MIN_LEVEL = 2              # at least h = 1, 1/2, 1/4 before testing convergence
_DEFAULT_MAX_NODES = 2 ** 15
_FLOAT_LOG2_TINY = -100 * math.log2(10)  # float64: nodes mattering < 1e-100 are dropped
_FLOAT_ABS_FLOOR_LOG2 = -1000  # float64: absolute error floor (subnormal range)
_BAND_BITS = 40             # nodes within 2**40 of that threshold form the "tail band"
_LN2 = math.log(2.0)


@dataclass(frozen=True)
class FunkHeckeResult:
    """Funk-Hecke coefficients ``c_0 .. c_kmax`` with error estimates.

    Attributes
    ----------
    coefficients:
        ``c_0 .. c_kmax`` in the working precision (float64 array, or object array of
        ``mpf`` rounded to the precision's working digits).
    errors:
        float64 absolute error estimates, one per coefficient (the refinement
        difference, the truncation tail and the rounding floor; estimates below the
        float64 range are reported as the smallest positive float64).
    second_moment:
        :math:`\\mathbb{E}[\\sigma(u)^2]` (float or mpf), the sum of
        :math:`N(d,k) c_k^2` over all degrees.
    second_moment_error:
        its absolute error estimate (float).
    nodes:
        number of quadrature nodes at the final level (all pieces together).
    """

    coefficients: np.ndarray
    errors: np.ndarray
    second_moment: object
    second_moment_error: float
    nodes: int


# --------------------------------------------------------------------------------------
# Input handling


def _pieces(breakpoints, mp_mode: bool):
    """Sorted split points in (-1, 1), always including 0, as floats or mpf."""
    if breakpoints is None:
        breakpoints = ()
    if isinstance(breakpoints, (str, bytes)) or not np.iterable(breakpoints):
        breakpoints = (breakpoints,)
    pts = []
    for b in breakpoints:
        if isinstance(b, str):
            try:
                b = mpmath.mpf(b) if mp_mode else float(b)
            except (ValueError, TypeError):
                raise InvalidArgument(
                    "breakpoints", f"must be real numbers in [-1, 1], got {b!r}") from None
        b = check_real("breakpoints", b)
        b = mpmath.mpf(b) if mp_mode else float(b)
        if b < -1 or b > 1:
            raise InvalidArgument("breakpoints", f"must lie in [-1, 1], got {b}")
        if -1 < b < 1:
            pts.append(b)
    pts.append(mpmath.mpf(0) if mp_mode else 0.0)
    pts = sorted(set(pts))
    one = mpmath.mpf(1) if mp_mode else 1.0
    ends = [-one] + pts + [one]
    return [(ends[i], ends[i + 1]) for i in range(len(ends) - 1)]


def _significant_bits(x: float) -> int:
    if not math.isfinite(x) or x == 0:
        return 0
    num, den = x.as_integer_ratio()
    if den == 1:
        num //= num & -num  # strip trailing zeros
    return abs(num).bit_length()


def _to_mpf_value(v, u):
    """Convert one function value returned at mpmath precision, refusing lost precision."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, mpmath.mpf):
        return v
    if isinstance(v, (bool, np.bool_)):
        return mpmath.mpf(int(v))
    if isinstance(v, (int, np.integer)):
        return mpmath.mpf(int(v))
    if isinstance(v, (float, np.floating)):
        # Constants such as 0.0, 1.0, 0.5 are exact; a value with a full 53-bit mantissa
        # is a float64 computation that silently dropped the requested precision.
        if math.isfinite(float(v)) and _significant_bits(float(v)) > 40:
            raise InvalidArgument(
                "activation",
                f"returned the float64 value {float(v)!r} at u = {mpmath.nstr(u, 20)} "
                "instead of an mpmath number: it cannot be evaluated at mpmath precision; "
                "give an mpmath version (mp_func)")
        return mpmath.mpf(float(v))
    if isinstance(v, (mpmath.mpc, complex, np.complexfloating)):
        raise InvalidArgument(
            "activation", f"returned a non-real value {v!r} at u = {mpmath.nstr(u, 20)}")
    try:
        return mpmath.mpf(v)
    except (TypeError, ValueError):
        raise InvalidArgument(
            "activation", f"returned {v!r} at u = {mpmath.nstr(u, 20)}, not a real number"
        ) from None


def _not_finite(u):
    raise InvalidArgument(
        "activation",
        f"Funk-Hecke coefficients do not converge: sigma(u) is not finite at u = {u} "
        "(a pole or singularity there? sigma must be finite on each closed piece "
        "between -1, the breakpoints and 1: nodes closer to a piece end than the working "
        "precision resolves are evaluated at the end itself)")


def _evaluate_float_raw(func, u: np.ndarray) -> np.ndarray:
    """``func`` on a float array (element by element if it is not vectorized).

    Non-finite values are returned as they are; the caller decides.
    """
    if u.size == 0:
        return np.zeros(0)
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(func(u))
        if y.shape != u.shape:
            y = np.broadcast_to(y, u.shape)
    except (TypeError, ValueError, ZeroDivisionError):
        # Not vectorized (math.* functions, `if u > 0`): evaluate element by element.
        y = np.empty(u.shape, dtype=object)
        with np.errstate(all="ignore"):
            for i, x in enumerate(u):
                try:
                    y[i] = func(float(x))
                except (ZeroDivisionError, OverflowError):
                    y[i] = math.inf
                except InvalidArgument:
                    raise
                except Exception as exc:  # noqa: BLE001 - reported with the argument name
                    raise InvalidArgument(
                        "activation", f"evaluation failed at u = {float(x)!r}: {exc!r}"
                    ) from None
    if np.iscomplexobj(y) or (y.dtype == object and any(
            isinstance(v, (complex, np.complexfloating, mpmath.mpc)) for v in y.ravel())):
        raise InvalidArgument("activation", "returned complex values")
    try:
        return np.asarray(y, dtype=float).reshape(u.shape)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument("activation", f"did not return real numbers: {exc}") from None


def _check_finite(y: np.ndarray, u: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(y)
    if bad.any():
        _not_finite(repr(float(u[np.argmax(bad)])))
    return y


def _sigma_proxy(y: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """``|sigma|`` for the choice of nodes; non-finite values count as very large.

    ``floor`` (relative to the largest value) keeps nodes whose float64 value is 0 but
    whose mpmath value need not be (a node within float64 resolution of a jump).
    """
    a = np.abs(y)
    fin = np.isfinite(a)
    top = float(a[fin].max()) if fin.any() else 0.0
    if top == 0:
        top = 1.0
    a = np.where(fin, a, top * 2.0 ** 20)
    return np.maximum(a, floor * top) if floor else a


def _proxy_values(func, u: np.ndarray, mp_mode: bool) -> np.ndarray:
    """Float64 values of ``func`` used to choose nodes (mpmath mode: best effort)."""
    if not mp_mode:
        return _evaluate_float_raw(func, u)
    try:
        return _evaluate_float_raw(func, u)
    except Exception:  # noqa: BLE001 - only a heuristic: fall back to |sigma| = 1
        return np.ones(u.shape)


def _evaluate_mp(func, u: np.ndarray, have_mp_func: bool) -> np.ndarray:
    out = np.empty(u.shape, dtype=object)
    for i, x in enumerate(u):
        try:
            v = func(x)
        except TypeError as exc:
            what = "mp_func" if have_mp_func else "the activation"
            raise InvalidArgument(
                "activation",
                f"{what} cannot be evaluated at mpmath precision ({exc}); give an mpmath "
                "version (mp_func) that accepts and returns mpmath numbers") from None
        except ZeroDivisionError:
            _not_finite(mpmath.nstr(x, 20))
        except InvalidArgument:
            raise
        except Exception as exc:  # noqa: BLE001 - reported with the argument name
            raise InvalidArgument(
                "activation", f"evaluation failed at u = {mpmath.nstr(x, 20)}: {exc!r}"
            ) from None
        v = _to_mpf_value(v, x)
        if not mpmath.isfinite(v):
            _not_finite(mpmath.nstr(x, 20))
        out[i] = v
    return out


# --------------------------------------------------------------------------------------
# Tanh-sinh geometry (independent of d and of the function; cached)


def _t_max(log_tiny: float) -> float:
    """Half-width of the t range: beyond it every weight is below ``exp(log_tiny)``.

    The slowest decay is the ``d = 2`` end point singularity, weight ~ ``(b - u)^(1/2)``
    ~ ``exp(-(pi/2) sinh t)``; pad by 0.25.
    """
    return math.asinh(2.0 / math.pi * (-log_tiny)) + 0.25


def _level_indices(level: int, t_max: float):
    """Integers ``j`` of the nodes ``t = j 2**-level`` new at this level."""
    h = 2.0 ** -level
    jmax = int(math.floor(t_max / h))
    j = np.arange(-jmax, jmax + 1)
    if level > 0:
        j = j[j % 2 != 0]
    return j


@lru_cache(maxsize=512)
def _geometry_float(a: float, b: float, level: int, t_max: float):
    """New nodes of a level on ``[a, b]``: ``j``, ``u``, ``log((1-u)(1+u))``, ``log du/dt``.

    With ``s = (pi/2) sinh t``: ``b - u = 2r / (1 + e^{2s})`` and ``u - a = 2r / (1 +
    e^{-2s})`` are formed in log form, so neither cancels nor underflows near the ends.
    """
    j = _level_indices(level, t_max)
    t = j * 2.0 ** -level
    r = (b - a) / 2
    s = (math.pi / 2) * np.sinh(t)
    log2r = math.log(2 * r)
    log_db = log2r - np.logaddexp(0.0, 2 * s)   # log(b - u)
    log_da = log2r - np.logaddexp(0.0, -2 * s)  # log(u - a)
    with np.errstate(under="ignore"):
        db = np.exp(log_db)
        da = np.exp(log_da)
    u = np.where(j < 0, a + da, b - db)
    log1mu = log_db if b == 1.0 else math.log(1 - b) + np.log1p(db / (1 - b))
    log1pu = log_da if a == -1.0 else math.log(1 + a) + np.log1p(da / (1 + a))
    # log(1 - u^2): near u = 0 the two logs cancel (and alpha ~ d/2 multiplies the
    # error), so there use log1p(-u^2) of the node itself, exact up to one rounding.
    with np.errstate(invalid="ignore", divide="ignore"):
        l12 = np.where(np.abs(u) < 0.5, np.log1p(-u * u), log1mu + log1pu)
    log_cosh = np.abs(t) + np.log1p(np.exp(-2 * np.abs(t))) - _LN2
    log_dudt = math.log(math.pi / 2) + log_cosh + log_da + log_db - math.log(r)
    return j, u, l12, log_dudt


@lru_cache(maxsize=2 ** 16)
def _node_mp(a_key, b_key, j: int, level: int, dps: int):
    """One node at ``dps`` digits: ``u``, ``log((1-u)(1+u))``, ``du/dt`` (mpf, in workdps)."""
    a = mpmath.mpf(a_key)
    b = mpmath.mpf(b_key)
    r = (b - a) / 2
    t = mpmath.ldexp(mpmath.mpf(j), -level)
    et = mpmath.exp(t)
    s = (mpmath.pi / 4) * (et - 1 / et)
    e2s = mpmath.exp(2 * s)
    db = 2 * r / (1 + e2s)                 # b - u
    da = 2 * r / (1 + 1 / e2s)             # u - a
    u = a + da if j < 0 else b - db
    l12 = mpmath.log(((1 - b) + db) * ((1 + a) + da))
    dudt = (mpmath.pi / 4) * (et + 1 / et) * da * db / r
    return u, l12, dudt


# --------------------------------------------------------------------------------------
# Gegenbauer recurrences over nodes


def _gegenbauer_scaled(u: np.ndarray, d: int, k_max: int):
    """Yield ``(k, m, e)`` with ``P_k(u_i) = m_i 2**e_i`` (float64, rescaled per node).

    The pair ``(P_k, P_{k-1})`` is rescaled every 8 degrees, so ``P_k`` never underflows
    (at ``d = 1000``, ``k = 200`` it is ``~1e-117`` in the bulk of the weight).
    """
    n = u.size
    m = np.ones(n)
    m_prev = np.zeros(n)
    e = np.zeros(n, dtype=np.int64)
    for k in range(k_max + 1):
        if k and k % 8 == 0:
            _, ex = np.frexp(np.maximum(np.abs(m), np.abs(m_prev)))
            ex = ex.astype(np.int64)
            m = np.ldexp(m, -ex)
            m_prev = np.ldexp(m_prev, -ex)
            e = e + ex
        yield k, m, e
        if k < k_max:
            if k == 0:
                m_next = u * m
            else:
                m_next = ((2 * k + d - 2) * u * m - k * m_prev) / (k + d - 2)
            m_prev, m = m, m_next


def _log2_split(lw2: np.ndarray):
    """``2**lw2`` as ``(mantissa, exponent)`` float/int arrays (``-inf`` gives 0)."""
    fin = np.isfinite(lw2)
    ex = np.where(fin, np.floor(np.where(fin, lw2, 0.0)), 0).astype(np.int64)
    man = np.where(fin, np.exp2(np.where(fin, lw2, 0.0) - ex), 0.0)
    return man, ex


def _relevance(u, lw2, d, k_max, log2ref):
    """``max_k log2(w_i |sigma_i P_k(u_i)| / E|sigma P_k|)``, ``lw2 = log2 w_i |sigma_i|``.

    How much node ``i`` can matter for any degree (``+inf`` where the reference scale is
    0, ``nan`` where the node is 0 against a 0 scale: such nodes are dropped).
    """
    rel = np.full(u.size, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, m, e in _gegenbauer_scaled(u, d, k_max):
            rel = np.fmax(rel, np.log2(np.abs(m)) + e - log2ref[k])
        return rel + lw2


def _float_sums(u, g_man, g_exp, band, d, k_max, want_values, lam=None):
    """Sums over nodes of ``g_i P_k(u_i)``, ``g_i = g_man_i 2**g_exp_i``, for all ``k``.

    Returns ``S_k`` (float64, only if ``want_values``), ``log2 sum_i |g_i P_k(u_i)|``,
    the same restricted to the ``band`` nodes, and (if ``lam`` is given)
    ``log2 sum_i lam_i |g_i P_k(u_i)|``.
    """
    S = np.zeros(k_max + 1)
    l2s = np.full(k_max + 1, -np.inf)
    l2b = np.full(k_max + 1, -np.inf)
    l2l = np.full(k_max + 1, -np.inf)
    if u.size == 0:
        return S, l2s, l2b, l2l
    any_band = bool(band.any())
    # Reductions use np.sum, not BLAS dot products: a threaded BLAS on a busy machine
    # can take milliseconds per short dot product.
    for k, m, e in _gegenbauer_scaled(u, d, k_max):
        fr, vex = np.frexp(g_man * m)
        live = fr != 0
        if not live.any():
            continue
        L = g_exp + e + vex
        Emax = int(L[live].max())
        # Terms below 2**-1000 of the largest are dropped: no subnormals (slow in BLAS).
        terms = np.ldexp(fr, np.where(live & (L - Emax > -1000), L - Emax, -2000))
        at = np.abs(terms)
        l2s[k] = math.log2(float(at.sum())) + Emax
        if lam is not None:
            l2l[k] = math.log2(float(np.sum(at * lam))) + Emax
        if any_band:
            bs = float(at[band].sum())
            if bs > 0:
                l2b[k] = math.log2(bs) + Emax
        if want_values:
            S[k] = math.ldexp(float(terms.sum()), Emax)
    return S, l2s, l2b, l2l


_bit_length = np.frompyfunc(int.bit_length, 1, 1)


def _shift(x, n):
    return x << n if n >= 0 else x >> -n


_vshift = np.frompyfunc(_shift, 2, 1)


def _fixed_point_sums(u, g, d: int, k_max: int, bits: int):
    """``S_k = sum_i g_i P_k(u_i)`` for mpf arrays ``u``, ``g``, all k at once, as mpf.

    Fixed point on Python integers: ``P_k(u_i) = M_i 2**(-bits - s_i)`` with a per-node
    shift ``s_i`` chosen every ``_RENORM_EVERY`` degrees so that ``max(|M_k|, |M_{k-1}|)``
    has ``bits`` bits; ``g_i 2**(-s_i)`` is rounded to ``bits`` bits relative to the
    largest such value. Each term thus keeps about ``bits`` bits relative to the largest
    term, whatever the spread of magnitudes of ``P_k`` across nodes and degrees.
    """
    n = len(u)
    if n == 0:
        return [mpmath.mpf(0)] * (k_max + 1)
    U = np.empty(n, dtype=object)
    gman = np.empty(n, dtype=object)
    gexp = np.zeros(n, dtype=np.int64)
    for i in range(n):
        sign, man, exp, _ = u[i]._mpf_
        U[i] = _shift(-man if sign else man, exp + bits)
        sign, man, exp, _ = g[i]._mpf_
        gman[i] = -man if sign else man
        gexp[i] = exp
    gbl = _bit_length(gman).astype(np.int64)
    nz = gbl > 0
    if not nz.any():
        return [mpmath.mpf(0)] * (k_max + 1)
    s = np.zeros(n, dtype=np.int64)
    M = np.full(n, 1 << bits, dtype=object)
    Mp = np.zeros(n, dtype=object)
    out = []
    for k in range(k_max + 1):
        if k % _RENORM_EVERY == 0:
            if k > 0:
                L = np.maximum(_bit_length(M).astype(np.int64),
                               _bit_length(Mp).astype(np.int64))
                sh = np.where(L > 0, bits - L, 0)
                sh_obj = sh.astype(object)
                M = _vshift(M, sh_obj)
                Mp = _vshift(Mp, sh_obj)
                s += sh
            F = int((gexp - s + gbl)[nz].max())
            G = _vshift(gman, (gexp - s - F + bits).astype(object))
            E = F - 2 * bits
        out.append(mpmath.ldexp(mpmath.mpf(int(np.dot(G, M))), E))
        if k < k_max:
            if k == 0:
                Mn = (U * M) >> bits
            else:
                Mn = ((2 * k + d - 2) * ((U * M) >> bits) - k * Mp) // (k + d - 2)
            Mp, M = M, Mn
    return out


# --------------------------------------------------------------------------------------
# Main routine


def _mpf_split(x):
    """``x`` as ``(m, e)`` with ``x = m 2**e``, ``m`` a float of modulus in [0.5, 1) or 0."""
    sign, man, exp, bc = x._mpf_
    if man == 0:
        return 0.0, 0
    drop = max(bc - 53, 0)
    m = math.ldexp(man >> drop, -(bc - drop))
    return (-m if sign else m), exp + bc


def _log2_abs(x) -> float:
    """``log2 |x|`` of a float or mpf (``-inf`` for 0), never under- or overflowing."""
    if isinstance(x, mpmath.mpf):
        m, e = _mpf_split(x)
        return -math.inf if m == 0 else math.log2(abs(m)) + e
    x = abs(float(x))
    return math.log2(x) if x > 0 else -math.inf


def _float_err(log2_err: float) -> float:
    """``2**log2_err`` as a float64; positive estimates below the range give 5e-324."""
    if log2_err == -math.inf:
        return 0.0
    if log2_err > 1023:
        return math.inf
    return max(2.0 ** log2_err, 5e-324)


def funk_hecke_coefficients(func, d, k_max, precision=FLOAT64, *, breakpoints=(0.0,),
                            mp_func=None, rtol=None, cancellation_digits=None,
                            max_nodes=None) -> FunkHeckeResult:
    r"""Funk-Hecke coefficients :math:`c_0, \dots, c_{k_{max}}` of ``func`` on :math:`S^{d-1}`.

    .. math::

        c_k = \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)}
              \int_{-1}^{1} \sigma(u) P_k(u) (1-u^2)^{(d-3)/2}\,du

    (Atkinson and Han 2012, Theorem 2.22). Tanh-sinh quadrature on each piece between
    break points, refined until every coefficient meets its target (see the module
    docstring for the error control).

    Parameters
    ----------
    func:
        The function :math:`\sigma`. In float64 it receives numpy float arrays (a
        scalar-only function is evaluated element by element). In mpmath mode it is
        called on ``mpf`` scalars unless ``mp_func`` is given.
    d:
        Sphere dimension, ``d >= 2`` (inputs on :math:`S^{d-1} \subset R^d`).
    k_max:
        Largest degree.
    precision:
        :class:`Precision`, digits (int) or ``None`` for float64.
    breakpoints:
        Points of ``(-1, 1)`` where ``func`` may be non-analytic (kinks, jumps); ``0`` is
        always a split point. In mpmath mode pass strings (``"0.3"``) or ``mpf`` for
        decimal values exactly.
    mp_func:
        mpmath version of ``func`` (``mpf -> mpf``), used in mpmath mode.
    rtol:
        Relative accuracy requested; default ``10**-digits`` (float64: ``1e-15``, where
        the rounding floor usually decides).
    cancellation_digits:
        mpmath mode: coefficients down to ``10**-cancellation_digits`` times
        :math:`\mathbb{E}|\sigma P_k|` get relative accuracy ``rtol``; smaller ones
        absolute accuracy ``rtol * 10**-cancellation_digits * E|sigma P_k|``. The working
        precision grows accordingly. Default: ``digits``. Ignored in float64.
    max_nodes:
        Largest number of quadrature nodes (all pieces) before giving up (default
        ``max(2**15, 64 (k_max + 1))``).

    Raises
    ------
    InvalidArgument
        (``activation``) when ``func`` is not finite at a node, cannot be evaluated at
        mpmath precision, or the coefficients or :math:`\mathbb{E}[\sigma^2]` do not
        converge (non-integrable singularity, kink not listed in ``breakpoints``).

    Examples
    --------
    :math:`\sigma = P_3` has :math:`c_3 = \mathbb{E}[P_3^2] = 1/N(d, 3)` (``d = 4``:
    ``N = 16``) and no other coefficient:

    >>> from w2s_theory._src.precision import Precision
    >>> p3 = lambda u: (4 * u**3 - 2 * u) / 2  # C_3^{(1)}(u) / C_3^{(1)}(1) at d = 4
    >>> r = funk_hecke_coefficients(p3, 4, 5, Precision(30))
    >>> [mpmath.nstr(c, 12) for c in r.coefficients]
    ['0.0', '0.0', '0.0', '0.0625', '0.0', '0.0']
    >>> bool(abs(r.coefficients[3] - mpmath.mpf(1) / 16) < 1e-30)
    True
    """
    if not callable(func):
        raise InvalidArgument("activation", f"must be callable, got {func!r}")
    if mp_func is not None and not callable(mp_func):
        raise InvalidArgument("mp_func", f"must be callable, got {mp_func!r}")
    d = check_dim(d, "d")
    k_max = check_int("k_max", k_max, minimum=0)
    precision = as_precision(precision)
    mp_mode = not precision.is_float
    if max_nodes is None:
        max_nodes = max(_DEFAULT_MAX_NODES, 64 * (k_max + 1))
    max_nodes = check_int("max_nodes", max_nodes, minimum=16)
    if rtol is not None:
        rtol = check_real("rtol", rtol, 0, 1, strict_min=True)

    if not mp_mode:
        return _compute(func, None, d, k_max, precision, breakpoints,
                        1e-15 if rtol is None else float(rtol), None, max_nodes, None)
    digits = precision.digits
    cd = digits if cancellation_digits is None else check_int(
        "cancellation_digits", cancellation_digits, minimum=0, maximum=100000)
    rtol_digits = digits if rtol is None else max(0, -math.floor(math.log10(float(rtol))))
    work = max(precision.working_digits,
               rtol_digits + cd + math.ceil(math.log10(10 * _FLOOR_C * (k_max + 1)))
               + _GUARD_DIGITS)
    with precision.context(extra_digits=work - precision.working_digits):
        rtol_mp = mpmath.mpf(10) ** (-digits) if rtol is None else mpmath.mpf(rtol)
        res = _compute(func, mp_func, d, k_max, precision, breakpoints, rtol_mp, cd,
                       max_nodes, work)
    with precision.context():
        # Round to the precision's working digits; the rounding joins the error.
        l2ulp = 1 - mpmath.mp.prec
        coeffs = np.empty(k_max + 1, dtype=object)
        for i, c in enumerate(res.coefficients):
            coeffs[i] = +c
        m2 = +res.second_moment
    errors = np.array([e + _float_err(_log2_abs(c) + l2ulp)
                       for e, c in zip(res.errors, coeffs)])
    m2_err = res.second_moment_error + _float_err(_log2_abs(m2) + l2ulp)
    return FunkHeckeResult(coeffs, errors, m2, m2_err, res.nodes)


def _compute(func, mp_func, d, k_max, precision, breakpoints, rtol, cd, max_nodes,
             work_digits) -> FunkHeckeResult:
    mp_mode = not precision.is_float
    pieces = _pieces(breakpoints, mp_mode)
    pieces_f = [(float(a), float(b)) for a, b in pieces]
    logZ_f = log_u_normalizer(d)
    alpha_f = (d - 3) / 2
    if mp_mode:
        dps = mpmath.mp.dps
        l2eps = -work_digits * math.log2(10)
        log2_tiny = 2 * l2eps - 20 * math.log2(10)
        Z_mp = mpmath.exp(+log_u_normalizer(d, Precision(min(work_digits, 10000))))
        alpha_mp = mpmath.mpf(d - 3) / 2
        keys = [(a._mpf_, b._mpf_) for a, b in pieces]
        bits = math.ceil(work_digits * math.log2(10)) + 16 + \
            _RENORM_EVERY * math.ceil(math.log2(d + k_max) + 2)
        eval_func = mp_func if mp_func is not None else func
    else:
        l2eps = math.log2(np.finfo(float).eps)
        log2_tiny = _FLOAT_LOG2_TINY
    t_max = _t_max(log2_tiny * _LN2)
    ks = np.arange(k_max + 1)

    def candidates(level, h_log):
        """Float geometry of the new nodes of ``level`` on all pieces."""
        out = {"u": [], "lw2": [], "piece": [], "j": [], "lam": []}
        for p_i, (a, b) in enumerate(pieces_f):
            j, u, l12, ldudt = _geometry_float(a, b, level, t_max)
            with np.errstate(invalid="ignore"):
                lw = logZ_f + alpha_f * l12 + ldudt + h_log
                # Relative rounding error of a weight ~ eps * (sum of |terms| of its log).
                lam = 2 + abs(logZ_f) + np.abs(alpha_f * l12) + np.abs(ldudt) + abs(h_log)
            out["u"].append(u)
            out["lw2"].append(np.where(np.isfinite(lw), lw / _LN2, -np.inf))
            out["piece"].append(np.full(j.size, p_i))
            out["j"].append(j)
            out["lam"].append(np.where(np.isfinite(lam), lam, 0.0))
        return {key: np.concatenate(v) for key, v in out.items()}

    # Reference scale E|sigma P_k| on a fixed grid (float64, sigma by its proxy). A node
    # is dropped when max_k w_i |sigma(u_i) P_k(u_i)| / E|sigma P_k| < 2**log2_tiny.
    level_ref = min(6, max(3, math.ceil(math.log2((k_max + 1) / 4))))
    ref = [candidates(lev, -level_ref * _LN2) for lev in range(level_ref + 1)]
    ref_u = np.concatenate([c["u"] for c in ref])
    ref_lw2 = np.concatenate([c["lw2"] for c in ref])
    with np.errstate(divide="ignore"):
        ref_lw2 = ref_lw2 + np.log2(_sigma_proxy(_proxy_values(func, ref_u, mp_mode)))
    rm, re_ = _log2_split(ref_lw2)
    _, log2ref, _, _ = _float_sums(ref_u, rm, re_, np.zeros(ref_u.size, bool), d, k_max,
                                   False)

    hist_I, hist_m2, hist_disc = [], [], []
    I = m2 = None
    log2scale = np.full(k_max + 1, -np.inf)     # log2 E|sigma P_k|
    log2tail = np.full(k_max + 1, -np.inf)      # log2 of the tail-band part of it
    log2lam = np.full(k_max + 1, -np.inf)       # log2 sum lam_i |g_i P_k(u_i)|
    m2_lam = tail_m2 = 0.0
    tail_where = {}
    nodes_total = 0
    level = 0
    while True:
        h = 2.0 ** -level
        # ---- candidate nodes (float geometry) and the ones that matter ---------------
        c = candidates(level, math.log(h))
        raw = _proxy_values(func, c["u"], mp_mode)
        with np.errstate(divide="ignore"):
            lw2s = c["lw2"] + np.log2(_sigma_proxy(raw, 2.0 ** -40 if mp_mode else 0.0))
        rel = _relevance(c["u"], lw2s, d, k_max, log2ref)
        with np.errstate(invalid="ignore"):
            keep = rel >= log2_tiny
        # Tail band: kept nodes next to the threshold or at the ends of the t range.
        band = ((rel < log2_tiny + _BAND_BITS)
                | (np.abs(c["j"]) * h > t_max - 0.5))[keep]
        cpiece, cj, lam = c["piece"][keep], c["j"][keep], c["lam"][keep]
        n_new = int(keep.sum())

        # ---- function values and weighted sums ----------------------------------------
        if mp_mode:
            u = np.empty(n_new, dtype=object)
            w = np.empty(n_new, dtype=object)
            hh = mpmath.ldexp(Z_mp, -level)
            for i, (p_i, j) in enumerate(zip(cpiece, cj)):
                ui, l12, dudt = _node_mp(*keys[p_i], int(j), level, dps)
                u[i] = ui
                w[i] = hh * dudt * (mpmath.exp(alpha_mp * l12) if d != 3 else 1)
            sig = _evaluate_mp(eval_func, u, mp_func is not None)
            g = w * sig
            gm, ge = np.zeros(n_new), np.zeros(n_new, dtype=np.int64)
            for i, x in enumerate(g):
                gm[i], ge[i] = _mpf_split(x)
            _, l2s, l2b, l2l = _float_sums(c["u"][keep], gm, ge, band, d, k_max, False, lam)
            S_new = np.array(_fixed_point_sums(u, g, d, k_max, bits), dtype=object)
            gs = g * sig
            m2_new = mpmath.fsum(gs)
            g_abs = np.array([float(abs(x)) for x in g])
            gs_abs = np.array([float(abs(x)) for x in gs])
        else:
            u = c["u"][keep]
            sig = _check_finite(raw[keep], u)
            wm, we = _log2_split(c["lw2"][keep])
            gm, ge = np.frexp(wm * sig)
            ge = ge.astype(np.int64) + we
            S_new, l2s, l2b, l2l = _float_sums(u, gm, ge, band, d, k_max, True, lam)
            with np.errstate(under="ignore", over="ignore", invalid="ignore"):
                g = np.ldexp(gm, ge)
                gs = g * sig
            m2_new = float(np.sum(gs))
            g_abs, gs_abs = np.abs(g), np.abs(gs)
        I = S_new if I is None else I / 2 + S_new
        m2 = m2_new if m2 is None else m2 / 2 + m2_new
        log2scale = np.logaddexp2(log2scale - 1, l2s)
        log2tail = np.logaddexp2(log2tail - 1, l2b)
        log2lam = np.logaddexp2(log2lam - 1, l2l)
        with np.errstate(invalid="ignore", over="ignore"):
            m2_lam = m2_lam / 2 + float(np.sum(gs_abs * lam))
            tail_m2 = tail_m2 / 2 + float(np.sum(gs_abs[band]))
        for p_i, j, val in zip(cpiece[band], cj[band], (g_abs + gs_abs)[band]):
            end = pieces_f[p_i][0] if j < 0 else pieces_f[p_i][1]
            tail_where[end] = tail_where.get(end, 0.0) + float(val)
        hist_I.append(I)
        hist_m2.append(m2)
        nodes_total += n_new

        # ---- error estimates ------------------------------------------------------------
        if level >= _MIN_LEVEL:
            verdict = _assess(hist_I, hist_m2, log2scale, log2tail, log2lam, tail_m2,
                              m2_lam, rtol, cd, l2eps, ks)
            hist_disc.append(verdict["l_disc"])
            if verdict["converged"] and nodes_total >= 2 * (k_max + 1):
                break
            # The band next to the cut-off does not shrink with h: a non-integrable end
            # point singularity (of sigma P_k, or of sigma^2 for E[sigma^2]).
            with np.errstate(invalid="ignore"):
                coef_tail = bool(np.any(log2tail - log2scale > -20))
            m2_f = abs(float(m2))
            m2_tail = not math.isfinite(m2_f) or not math.isfinite(tail_m2) \
                or tail_m2 > 1e-6 * m2_f
            stalled = _stalled(hist_disc, verdict, level, nodes_total, k_max, max_nodes)
            if ((level > _MIN_LEVEL and (coef_tail or m2_tail)) or stalled
                    or 2 * nodes_total > max_nodes):
                where = max(tail_where, key=tail_where.get) if tail_where else None
                _fail(verdict, where, coef_tail, m2_tail, nodes_total, max_nodes)
        level += 1

    return FunkHeckeResult(I, verdict["errors"], m2, verdict["m2_error"], nodes_total)


def _log2_abs_array(x) -> np.ndarray:
    if x.dtype == object:
        return np.array([_log2_abs(v) for v in x])
    with np.errstate(divide="ignore"):
        return np.log2(np.abs(x))


def _assess(hist_I, hist_m2, log2scale, log2tail, log2lam, tail_m2, m2_lam, rtol, cd,
            l2eps, ks):
    """Error estimates (in log2) and the convergence verdict for the latest level."""
    float_mode = cd is None
    I0, I1, I2 = hist_I[-1], hist_I[-2], hist_I[-3]
    d1 = _log2_abs_array(I0 - I1)
    d2 = _log2_abs_array(I1 - I2)
    lc = _log2_abs_array(I0)
    # Ratio extrapolation: error(I_l) ~ d1 * min(1, d1 / d2) (tanh-sinh errors shrink
    # ever faster; d1 >= d2 means no evidence of convergence, so the error is d1).
    with np.errstate(invalid="ignore"):
        ratio = np.where(np.isfinite(d2), np.minimum(0.0, d1 - d2), 0.0)
    disc = np.where(np.isfinite(d1), d1 + np.nan_to_num(ratio, nan=0.0), -np.inf)
    l_disc = np.logaddexp2(disc, log2tail)
    # Rounding floor: P_k by the recurrence (~(k+1) ulps), weights (lam ulps each).
    l_floor = math.log2(_FLOOR_C) + l2eps + np.logaddexp2(np.log2(ks + 1) + log2scale,
                                                          log2lam)
    if float_mode:  # float64 cannot resolve anything below its normal range
        l_floor = np.logaddexp2(l_floor, _FLOAT_ABS_FLOOR_LOG2)
    l_rtol = _log2_abs(rtol)
    l_target = l_rtol + lc
    if cd is not None:
        l_target = np.maximum(l_target, l_rtol - cd * math.log2(10) + log2scale)
    ok = l_disc <= np.maximum(l_target, l_floor + 1)
    l_err = np.logaddexp2(l_disc, l_floor)
    errors = np.array([_float_err(x) for x in l_err])

    m2a, m2b, m2c = hist_m2[-1], hist_m2[-2], hist_m2[-3]
    m2_d1 = abs(float(m2a - m2b))
    m2_d2 = abs(float(m2b - m2c))
    m2_abs = abs(float(m2a))
    m2_disc = m2_d1 * min(1.0, m2_d1 / m2_d2) if m2_d2 > 0 else m2_d1
    eps_w = 2.0 ** l2eps
    m2_floor = _FLOOR_C * eps_w * m2_lam + (2.0 ** _FLOAT_ABS_FLOOR_LOG2 if float_mode else 0)
    m2_err = m2_disc + tail_m2 + m2_floor
    m2_ok = m2_disc + tail_m2 <= max(float(rtol) * m2_abs, 2 * m2_floor)
    return {
        "converged": bool(np.all(ok)) and m2_ok,
        "ok": ok,
        "errors": errors,
        "l_target": np.maximum(l_target, l_floor + 1),
        "l_disc": l_disc,
        "m2_error": float(m2_err),
        "m2_ok": m2_ok,
        "m2": m2_abs,
    }


def _stalled(hist_disc, verdict, level, nodes, k_max, max_nodes) -> bool:
    """True when some coefficient converges too slowly to reach its target in time.

    Only judged once the nodes resolve every P_k many times over (``32 (k_max + 1)``),
    where tanh-sinh gains far more than 4 bits per halving of the step; a coefficient
    whose error fell by less than that in each of the last two halvings (algebraic
    convergence: a kink or jump not listed in ``breakpoints``, or an interior
    singularity), and which would miss its target even if that rate held up to
    ``max_nodes``, cannot converge.
    """
    if level < 6 or len(hist_disc) < 3 or nodes < 32 * (k_max + 1):
        return False
    l0, l1, l2 = hist_disc[-1], hist_disc[-2], hist_disc[-3]
    with np.errstate(invalid="ignore"):
        r0, r1 = l0 - l1, l1 - l2
        behind = l0 > verdict["l_target"]
        slow = (r0 > -4) & (r1 > -4)
        levels_left = max(0, math.floor(math.log2(max_nodes / nodes)))
        predicted = l0 + levels_left * np.minimum(np.nan_to_num(r0, nan=0.0), 0.0)
        return bool(np.any(behind & slow & (predicted > verdict["l_target"])))


def _fail(verdict, where, coef_tail, m2_tail, nodes, max_nodes):
    ok = verdict["ok"]
    if coef_tail:
        raise InvalidArgument(
            "activation",
            "Funk-Hecke coefficients do not converge: sigma(u) P_k(u) times the weight "
            f"does not decay near u = {where} (a non-integrable singularity there?)")
    if m2_tail:
        raise InvalidArgument(
            "activation",
            "Funk-Hecke coefficients do not converge: E[sigma^2] is infinite (sigma(u)^2 "
            f"times the weight does not decay near u = {where}); sigma is not square "
            "integrable, so the Mercer sum of N(d,k) c_k^2 diverges")
    if not np.all(ok):
        bad = np.flatnonzero(~ok)
        k = int(bad[0])
        ks = ", ".join(str(int(x)) for x in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise InvalidArgument(
            "activation",
            f"Funk-Hecke coefficients do not converge: after {nodes} quadrature nodes "
            f"(max_nodes = {max_nodes}) c_k for k = {ks} are not within their targets "
            f"(c_{k}: estimated error {verdict['errors'][k]:.3g}, target "
            f"{_float_err(verdict['l_target'][k]):.3g}); sigma may have a kink, jump or "
            "singularity not listed in breakpoints")
    raise InvalidArgument(
        "activation",
        f"Funk-Hecke coefficients do not converge: after {nodes} quadrature nodes "
        f"(max_nodes = {max_nodes}) E[sigma^2] = {verdict['m2']:.6g} still has estimated "
        f"error {verdict['m2_error']:.3g} (infinite, or a singularity not listed in "
        "breakpoints?)")


# --------------------------------------------------------------------------------------
# The projection as a function


def _log_multiplicities_exact(d: int, k_max: int, p: Precision):
    """``log N(d, k)`` from the exact integers (``sphere.log_multiplicities`` goes through
    ``loggamma`` differences, which in float64 lose ~1e-11 relative at ``d = 10^4``)."""
    Ns = multiplicities(d, k_max)
    if p.is_float:
        return np.array([math.log(n) for n in Ns])
    return np.array([mpmath.log(n) for n in Ns], dtype=object)


@dataclass(frozen=True)
class FunkHeckeProjection:
    r"""The Funk-Hecke projection of :math:`x \mapsto \sigma(\langle w, x\rangle)` onto
    degrees ``0..k_max``: :math:`u \mapsto \sum_k c_k N(d, k) P_k(u)`.

    ``energies[k] = N(d, k) c_k^2`` is the squared L2 norm of the degree-``k`` part;
    ``residual_energy`` is :math:`\mathbb{E}[\sigma^2] - \sum_{k \le k_{max}} N(d,k)
    c_k^2`, the energy above ``k_max`` (Parseval).
    """

    d: int
    precision: Precision
    result: FunkHeckeResult
    energies: np.ndarray
    energy_errors: np.ndarray
    residual_energy: object
    residual_energy_error: float

    @property
    def coefficients(self):
        return self.result.coefficients

    @property
    def errors(self):
        return self.result.errors

    @property
    def k_max(self) -> int:
        return len(self.result.coefficients) - 1

    def __call__(self, u):
        """Evaluate :math:`\\sum_{k \\le k_{max}} c_k N(d,k) P_k(u)` (scalar or any array)."""
        p = self.precision
        shape = np.shape(u)
        with p.context():
            flat = p.array(np.ravel(np.asarray(u, dtype=float if p.is_float else object)))
            P = gegenbauer(self.k_max, flat, self.d, p)
            logN = _log_multiplicities_exact(self.d, self.k_max, p)
            if p.is_float:  # N(d, k) overflows float64 for large d and k; c_k N(d, k) not
                c = np.asarray(self.coefficients, dtype=float)
                with np.errstate(divide="ignore"):
                    cN = np.sign(c) * np.exp(logN + np.log(np.abs(c)))
            else:
                cN = np.array([c * p.exp(ln) for c, ln in zip(self.coefficients, logN)],
                              dtype=object)
            out = np.sum(cN[:, None] * P, axis=0)
            if not p.is_float:
                out = np.array([+v for v in out], dtype=object)
        return out.reshape(shape) if shape else out[0]


def funk_hecke_projection(func, d, k_max, precision=FLOAT64, **kwargs) -> FunkHeckeProjection:
    r"""The Funk-Hecke projection of the function ``func`` of one variable onto degrees
    ``<= k_max`` on :math:`S^{d-1}`, with its degree energies.

    Same arguments as :func:`funk_hecke_coefficients`. The returned object evaluates
    :math:`u \mapsto \sum_k c_k N(d, k) P_k(u)` and carries ``energies`` (:math:`N(d, k)
    c_k^2`, the kernel-eigenvalue weights) and the Parseval residual
    :math:`\mathbb{E}[\sigma^2] - \sum_k N(d,k) c_k^2`.

    >>> proj = funk_hecke_projection(lambda u: u**2, 3, 2)
    >>> round(float(proj(0.5)), 12), round(float(proj.residual_energy), 12)
    (0.25, 0.0)
    """
    d = check_dim(d, "d")
    precision = as_precision(precision)
    res = funk_hecke_coefficients(func, d, k_max, precision, **kwargs)
    p = precision
    ks = np.arange(len(res.coefficients))
    with p.context():
        logN = _log_multiplicities_exact(d, len(ks) - 1, p)
        # N(d, k) can exceed the float64 range (d = 10^4, k = 200: 1e460) while
        # N(d, k) c_k^2 <= E[sigma^2] does not: work with logarithms.
        energies = np.array(
            [p.exp(ln + 2 * p.log(abs(c))) if c != 0 else p.scalar(0)
             for ln, c in zip(logN, res.coefficients)],
            dtype=float if p.is_float else object)
        residual = res.second_moment - p.sum(energies)
        ulp = 2.0 ** (1 - (53 if p.is_float else mpmath.mp.prec))
    # Error of N c^2: N (2 |c| e + e^2) = exp(log N + log e + log(2 |c| + e)), plus the
    # rounding of exp(log N + 2 log|c|) (its argument carries |log N| + 2 |log c| ulps)
    # and of the sum.
    energy_errors = np.zeros(len(ks))
    for k, (ln, c, e, en) in enumerate(zip(logN, res.coefficients, res.errors, energies)):
        lc = _log2_abs(c) * _LN2
        if e > 0:
            le = math.log(e)
            x = float(ln) + le + np.logaddexp(_LN2 + lc, le)
            energy_errors[k] = math.exp(x) if x < 709 else math.inf
        if c != 0:
            energy_errors[k] += _float_err(_log2_abs(en) + math.log2(
                ulp * (abs(float(ln)) + 2 * abs(lc) + 4 + len(ks))))
    residual_error = float(res.second_moment_error) + float(np.sum(energy_errors))
    return FunkHeckeProjection(d, p, res, energies, energy_errors, residual, residual_error)
