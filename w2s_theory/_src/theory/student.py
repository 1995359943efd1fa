r"""The infinite-width student trained on the teacher's labels (``THEORY.md`` section 3).

With :math:`a_k(t) = 1 - e^{-t\lambda_k}`,

.. math:: L_S(t) = \sum_k \big(1 - a_k(t)(1 - s_k)\big)^2 B_k + \sum_k a_k(t)^2 F_k
          + B_{null},

evaluated for a whole vector of times at once (a curve of 1,000 times costs one matrix
of size ``times x K``), together with :math:`dL_S/dt` and :math:`d^2L_S/dt^2` for the
optimal stopping time. :math:`1 - a_k(1-s_k) = e^{-t\lambda_k}(1-s_k) + s_k` is a sum of
non-negative terms, so nothing cancels.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ..powerseries import PowerSeries
from .table import SpectralTable
from .teacher import TeacherSolution, _spec_tail, _tgt_tail, _x

__all__ = ["student_risk", "gain_beyond"]


def _lam_series(table, n):
    """``lambda = lambda_bar * y`` as a series in ``y``."""
    p = table.precision
    bar = p.exp(table.spec_tail.log_lambda_bar)
    zero = p.scalar(0)
    return PowerSeries((zero, bar) + (zero,) * (n - 2))


def student_risk(table: SpectralTable, teacher: TeacherSolution, times, derivatives=0):
    """``L_S(t)`` (and its first ``derivatives`` t-derivatives) for an array of times.

    Returns ``(values, error)`` or ``(values, d1, d2, error)``: arrays aligned with
    ``times`` in the working precision, and the estimated absolute error of the values
    (tail series truncation and tail moments).
    """
    p = table.precision
    with p.context():
        t = p.array(np.atleast_1d(times))
        pos = table.positive
        ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        zero = p.scalar(0)
        lam = np.where(pos, table.log_lam, zero)
        log_s = teacher.log_s
        log_1ms = teacher.log_1ms
        # matrices over (time, block)
        tl = np.where(pos[None, :], p.exp(p.log(t)[:, None] + lam[None, :])
                      if p.is_float else _mp_outer_exp(p, t, lam), zero)
        if p.is_float:
            tl = np.where(np.isinf(t)[:, None] & pos[None, :], np.inf, tl)
        E = p.exp(-tl)                                  # e^{-t lambda}
        a = 1 - E
        oms = np.where(pos, p.exp(log_1ms), zero)[None, :]
        s = np.where(pos, p.exp(log_s), p.scalar(1))[None, :]
        B = p.exp(table.log_B)[None, :]
        # F_k = C nu^2 N lambda / (lambda + nu)^2 = C N lambda s^2
        F = np.where(pos, teacher.C * p.exp(table.log_mult + lam + 2 * log_s), zero)[None, :]
        r = E * oms + s                                  # 1 - a (1 - s)
        posB = np.where(pos, 1, 0)[None, :]
        head = p.sum(r * r * B * posB + a * a * F, axis=1)
        out = head + teacher.floor
        err = np.zeros(len(t))
        if table.has_tail:
            tail, terr = _student_tail(table, teacher, t)
            out = out + tail
            err = err + terr
        if derivatives == 0:
            return out, err
        lamv = np.where(pos, p.exp(lam), zero)[None, :]
        dE = -lamv * E
        # d/dt of r^2 B + a^2 F;  dr/dt = dE * (1-s), da/dt = -dE
        d1 = p.sum(2 * r * dE * oms * B * posB - 2 * a * dE * F, axis=1)
        d2E = lamv * lamv * E
        d2 = p.sum(2 * (dE * oms) ** 2 * B * posB + 2 * r * d2E * oms * B * posB
                   + 2 * dE * dE * F - 2 * a * d2E * F, axis=1)
        if table.has_tail:
            t1, t2 = _student_tail_derivatives(table, teacher, t)
            d1 = d1 + t1
            d2 = d2 + t2
        return out, d1, d2, err


def _mp_outer_exp(p, t, lam):
    out = np.empty((len(t), len(lam)), dtype=object)
    for i, ti in enumerate(t):
        if ti == mpmath.inf:
            out[i] = [mpmath.inf] * len(lam)
            continue
        lt = mpmath.log(ti) if ti > 0 else mpmath.ninf
        out[i] = [mpmath.exp(lt + x) if lt != mpmath.ninf else mpmath.mpf(0) for x in lam]
    return out


def _student_tail(table, teacher, t):
    """Tail of ``L_S(t)``: ``U_0 sum [(E(1-s)+s)^2]_q u_q + C T_1 sum [a^2 s^2]_q m``."""
    p = table.precision
    Q = table.Q
    x = _x(table, teacher.log_nu)
    bar = p.exp(table.spec_tail.log_lambda_bar)
    s_ser = PowerSeries.geometric(x, Q)
    vals, errs = [], []
    for ti in t:
        if (p.is_float and np.isinf(ti)) or (not p.is_float and ti == mpmath.inf):
            # t = inf: a = 1 on every positive eigenvalue
            r2 = s_ser * s_ser
            a2 = PowerSeries.constant(p.scalar(1), Q)
        else:
            E = PowerSeries.exp(ti * bar, Q)
            a = 1 - E
            r = E * (1 - s_ser) + s_ser
            r2 = r * r
            a2 = a * a
        v1, e1 = _tgt_tail(table, r2, p.scalar(0))
        v2, e2 = _spec_tail(table, a2 * s_ser * s_ser, p.scalar(0))
        vals.append(v1 + teacher.C * v2)
        errs.append(e1 + abs(float(teacher.C)) * e2)
    return p.array(vals) if p.is_float else np.array(vals, dtype=object), np.array(errs)


def _student_tail_derivatives(table, teacher, t):
    p = table.precision
    Q = table.Q
    x = _x(table, teacher.log_nu)
    bar = p.exp(table.spec_tail.log_lambda_bar)
    s_ser = PowerSeries.geometric(x, Q)
    lam = _lam_series(table, Q)
    d1s, d2s = [], []
    for ti in t:
        E = PowerSeries.exp(ti * bar, Q)
        a = 1 - E
        oms = 1 - s_ser
        r = E * oms + s_ser
        dE = -1 * (lam * E)
        d2E = lam * lam * E
        u1 = 2 * (r * dE * oms)
        u2 = 2 * (dE * oms) * (dE * oms) + 2 * (r * d2E * oms)
        f1 = -2 * (a * dE * s_ser * s_ser)
        f2 = 2 * (dE * dE * s_ser * s_ser) - 2 * (a * d2E * s_ser * s_ser)
        v1, _ = _tgt_tail(table, u1, p.scalar(0))
        w1, _ = _spec_tail(table, f1, p.scalar(0))
        v2, _ = _tgt_tail(table, u2, p.scalar(0))
        w2, _ = _spec_tail(table, f2, p.scalar(0))
        d1s.append(v1 + teacher.C * w1)
        d2s.append(v2 + teacher.C * w2)
    mk = (lambda v: p.array(v)) if p.is_float else (lambda v: np.array(v, dtype=object))
    return mk(d1s), mk(d2s)


def gain_beyond(table: SpectralTable, teacher: TeacherSolution, t_hi):
    r"""Upper bound on how much :math:`L_S` can still decrease after ``t_hi``.

    Only the first sum of :math:`L_S` decreases in ``t``, and from ``t_hi`` on by at most
    :math:`\sum_k 2(1-s_k) e^{-t_{hi}\lambda_k} B_k` (its derivative in :math:`a_k` is at
    least :math:`-2(1-s_k)B_k`, and :math:`a_k` rises by at most
    :math:`e^{-t_{hi}\lambda_k}`).
    """
    p = table.precision
    with p.context():
        pos = table.positive
        zero = p.scalar(0)
        lam = np.where(pos, table.log_lam, zero)
        th = p.scalar(t_hi)
        head = p.sum(np.where(pos, 2 * p.exp(teacher.log_1ms + table.log_B
                                             - th * p.exp(lam)), zero))
        if table.has_tail:
            x = _x(table, teacher.log_nu)
            bar = p.exp(table.spec_tail.log_lambda_bar)
            ser = 2 * ((1 - PowerSeries.geometric(x, table.Q)) *
                       PowerSeries.exp(th * bar, table.Q))
            tail, err = _tgt_tail(table, ser, p.scalar(0))
            head = head + abs(tail) + err
        return head
