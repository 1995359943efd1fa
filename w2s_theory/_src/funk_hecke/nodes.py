"""Quadrature nodes of the Funk-Hecke routine: the tanh-sinh geometry of a piece (nodes,
end distances and log weights; cached, independent of ``d`` and of the function) and the
Gegenbauer recurrences summed over nodes (float64 with per-node scaling, and fixed point on
Python integers for mpmath mode)."""

from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np

_RENORM_EVERY = 4           # degrees between per-node rescalings of the fixed-point recurrence
_LN2 = math.log(2.0)


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
