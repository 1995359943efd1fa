r"""The infinite-width student trained on the teacher's labels (``THEORY.md`` section 3).

With :math:`a_k(t) = 1 - e^{-t\lambda_k}`,

.. math:: L_S(t) = \sum_k \big(1 - a_k(t)(1 - s_k)\big)^2 B_k + \sum_k a_k(t)^2 F_k
          + B_{null},

evaluated for a whole vector of times at once, with :math:`dL_S/dt` and
:math:`d^2L_S/dt^2` for the optimal stopping time. :math:`1 - a_k(1-s_k) =
e^{-t\lambda_k}(1-s_k) + s_k` is a sum of non-negative terms, so nothing cancels.

Tail blocks enter through their moments. Writing :math:`E = e^{-t\lambda}`, both sums
are combinations :math:`\sum_{m=0}^{2} E^m c_m(\lambda)` with ``t``-independent
:math:`c_m` (e.g. :math:`(E(1-s)+s)^2 = s^2 + 2E\,s(1-s) + E^2(1-s)^2`); since
:math:`E^m = \sum_i (-m t\bar\lambda)^i y^i / i!` with :math:`\lambda = \bar\lambda y`,
the tail of each is a polynomial in :math:`z = t\bar\lambda` whose coefficients pair the
series of :math:`c_m` with the moments once. A curve of any number of times then costs
``O(Q)`` operations per time for the tail.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..powerseries import PowerSeries
from .table import SpectralTable
from .teacher import TeacherSolution, _absf, _x

__all__ = ["student_risk", "gain_beyond"]


def _is_inf(x) -> bool:
    return bool(np.isinf(float(x)))


def student_risk(table: SpectralTable, teacher: TeacherSolution, times, derivatives=0):
    """``L_S(t)`` (and its first two t-derivatives if ``derivatives``) for an array of times.

    Returns ``(values, error)`` or ``(values, d1, d2, error)``: arrays aligned with
    ``times`` in the working precision, and the estimated absolute error of the values
    (tail series truncation and tail moments).
    """
    p = table.precision
    with p.context():
        t = p.array(np.atleast_1d(times))
        inf = np.array([_is_inf(x) for x in t], dtype=bool)
        tf = np.where(inf, p.scalar(0), t)
        pos = table.positive
        zero = p.scalar(0)
        idx = np.flatnonzero(pos)
        lam = p.exp(table.log_lam[idx])
        log_s, log_1ms = teacher.log_s[idx], teacher.log_1ms[idx]
        s, oms = p.exp(log_s), p.exp(log_1ms)
        B = p.exp(table.log_B[idx])
        F = p.exp(table.log_mult[idx] + table.log_lam[idx] + 2 * log_s) * teacher.C
        withB = (np.asarray(B) > 0) if p.is_float else np.array(
            [float(b) > 0 for b in B], dtype=bool)
        # head sums over blocks, in chunks of times x blocks of at most _CHUNK elements,
        # so memory stays bounded however many blocks (power laws: millions) and times
        nt, nb = len(t), len(idx)
        chunk = _CHUNK if p.is_float else _CHUNK_MP
        bstep = max(1, min(nb, chunk))
        tstep = max(1, chunk // bstep)
        out = np.array([zero] * nt, dtype=object) if not p.is_float else np.zeros(nt)
        d1 = out.copy()
        d2 = out.copy()
        for t0 in range(0, nt, tstep):
            ts_ = slice(t0, t0 + tstep)
            for b0 in range(0, max(nb, 1), bstep):
                bs = slice(b0, b0 + bstep)
                parts = _head_chunk(p, tf[ts_], inf[ts_], lam[bs], s[bs], oms[bs], B[bs],
                                    F[bs], withB[bs], derivatives)
                out[ts_] = out[ts_] + parts[0]
                if derivatives:
                    d1[ts_] = d1[ts_] + parts[1]
                    d2[ts_] = d2[ts_] + parts[2]
        out = out + teacher.floor
        err = np.zeros(len(t))
        if table.has_tail:
            tail, terr = _tail(table, teacher, tf, inf, 0)
            out = out + tail
            err = err + terr
        if not derivatives:
            return out, err
        if table.has_tail:
            d1 = d1 + _tail(table, teacher, tf, inf, 1)[0]
            d2 = d2 + _tail(table, teacher, tf, inf, 2)[0]
        return out, d1, d2, err


# elements of one (times x blocks) chunk of the head sums (float64: 8 MB per array)
_CHUNK = 1 << 20
_CHUNK_MP = 1 << 14      # object arrays of mpf: about 100 bytes per element


def _head_chunk(p, tf, inf, lam, s, oms, B, F, withB, derivatives):
    """Head sums of ``L_S`` (and its t-derivatives) over one chunk of times and blocks."""
    zero = p.scalar(0)
    tl = tf[:, None] * lam[None, :]
    E = _exp_neg(tl, p)
    E = np.where(inf[:, None], zero, E)
    a = 1 - E
    rB = (E[:, withB] * oms[withB] + s[withB])
    out = p.sum(rB * rB * B[withB], axis=1) + p.sum(a * a * F, axis=1)
    if not derivatives:
        return (out,)
    dE = -(E * lam)
    d2E = E * (lam * lam)
    dEB, d2EB = dE[:, withB], d2E[:, withB]
    omsB, BB = oms[withB], B[withB]
    d1 = p.sum(2 * rB * dEB * omsB * BB, axis=1) - p.sum(2 * a * dE * F, axis=1)
    d2 = (p.sum(2 * (dEB * omsB) ** 2 * BB + 2 * rB * d2EB * omsB * BB, axis=1)
          + p.sum(2 * dE * dE * F - 2 * a * d2E * F, axis=1))
    return out, d1, d2


def _exp_neg(x, p):
    """``exp(-x)`` elementwise; exactly 0 where it is below the working precision."""
    if p.is_float:
        return np.exp(-x)
    cut = mpmath.mpf(p.working_digits + 10) * mpmath.log(10)
    f = np.frompyfunc(lambda v: mpmath.mpf(0) if v > cut else mpmath.exp(-v), 1, 1)
    return f(x)


def _weights(c: PowerSeries, moments, shift: int):
    """``W_i = sum_{q >= i + shift} c_{q - i - shift} moments[q]`` for i = 0..Q-1."""
    Q = len(moments)
    out = []
    for i in range(Q):
        acc = 0
        for q in range(i + shift, Q):
            j = q - i - shift
            if j < len(c.coeffs):
                acc = acc + c.coeffs[j] * moments[q]
        out.append(acc)
    return out


def _tail_polynomials(table, teacher, shift: int):
    """For m = 0, 1, 2: coefficients ``g_{m,i}`` with tail = sum_m sum_i (-m z)^i/i! g_{m,i}.

    ``shift`` = number of t-derivatives (each brings a factor ``-m lambda``).
    """
    p = table.precision
    Q = table.Q
    x = _x(table, teacher.log_nu)
    s = PowerSeries.geometric(x, Q)
    oms = 1 - s
    # target part (U_0, u_q): (E(1-s)+s)^2 = s^2 + 2E s(1-s) + E^2 (1-s)^2
    ct = [s * s, 2 * (s * oms), oms * oms]
    # fluctuation part (C T_1, m_{q+1}): (1-E)^2 s^2 = s^2 - 2E s^2 + E^2 s^2
    s2 = s * s
    cf = [s2, -2 * s2, s2]
    tt = table.tgt_tail
    U0 = p.exp(tt.log_mass) if tt.log_mass > -np.inf else p.scalar(0)
    T1 = p.exp(table.spec_tail.log_mass)
    bar = p.exp(table.spec_tail.log_lambda_bar)
    mom_u = list(tt.ratios)
    mom_m = list(table.spec_tail.ratios[:Q])
    polys, errs = [], 0.0
    xf = abs(float(x))
    for m in range(3):
        wu = _weights(ct[m], mom_u, shift)
        wm = _weights(cf[m], mom_m, shift)
        factor = (-m * bar) ** shift if shift else 1
        g = [(U0 * a + T1 * teacher.C * b) * factor for a, b in zip(wu, wm)]
        polys.append(g)
        # time-independent part of the error: the s-series truncated after Q terms
        # (geometric in x = lambda_bar/nu) and the moments' relative errors
        errs += (abs(float(U0)) * (xf ** Q + tt.rel_error)
                 + abs(float(T1 * teacher.C)) * (xf ** Q + table.spec_tail.rel_error)) \
            * max(1.0, float(abs(factor)))
    return polys, errs


def _tail(table, teacher, tf, inf, shift):
    p = table.precision
    cache = teacher.__dict__.setdefault("_tail_polynomials", {})
    key = (id(table), shift)
    if key not in cache:
        cache[key] = (table, _tail_polynomials(table, teacher, shift))
    polys, err = cache[key][1]
    bar = p.exp(table.spec_tail.log_lambda_bar)
    z = tf * bar
    Q = table.Q
    out = 0
    for m, g in enumerate(polys):
        if m == 0:
            val = g[0] + 0 * z
        else:
            # Horner for sum_i (-m z)^i / i! g_i
            w = -m * z
            val = g[Q - 1] + 0 * z
            for i in range(Q - 2, -1, -1):
                val = g[i] + val * w / (i + 1)
        if shift == 0:
            # t = inf: E = 0, only the m = 0 polynomial survives
            val = np.where(inf, (g[0] + 0 * z) if m == 0 else p.scalar(0), val)
        out = out + val
    # time-dependent part: the first omitted term of the exponential series in z
    zf = np.array([abs(float(v)) for v in np.ravel(z)])
    omitted = sum(abs(float(g[Q - 1])) * (m * zf) ** (Q - 1) / math.factorial(Q - 1)
                  for m, g in enumerate(polys) if m)
    return out, err + omitted


def gain_beyond(table: SpectralTable, teacher: TeacherSolution, t_hi):
    r"""Upper bound on how much :math:`L_S` can still decrease after ``t_hi``.

    Only the first sum of :math:`L_S` decreases in ``t``, and from ``t_hi`` on by at most
    :math:`\sum_k 2(1-s_k) e^{-t_{hi}\lambda_k} B_k` (its derivative in :math:`a_k` is at
    least :math:`-2(1-s_k)B_k`, and :math:`a_k` rises by at most
    :math:`e^{-t_{hi}\lambda_k}`); tail blocks contribute at most :math:`2 U_0`.
    """
    p = table.precision
    with p.context():
        pos = table.positive
        zero = p.scalar(0)
        lam = np.where(pos, table.log_lam, zero)
        th = p.scalar(t_hi)
        head = p.sum(np.where(pos, 2 * p.exp(teacher.log_1ms + table.log_B
                                             - p.exp(lam) * th), zero))
        if table.has_tail and table.tgt_tail.log_mass > -np.inf:
            head = head + 2 * p.exp(table.tgt_tail.log_mass)
        return head
