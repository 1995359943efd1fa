r"""The teacher: effective regularization, risk, and the fluctuation energies.

``THEORY.md`` section 3. The teacher of width :math:`M_T` has effective regularization
:math:`\nu > 0` solving

.. math:: \sum_k N_k \frac{\lambda_k}{\lambda_k + \nu} = M_T,

with :math:`s_k = \nu/(\lambda_k+\nu)`, risk :math:`L_T = \sum_k s_k B_k + B_{null}`,
and fluctuation energies
:math:`F_k = \nu^2 N_k \lambda_k (\lambda_k+\nu)^{-2}\, S/(M_T - D_2)` where
:math:`S = \sum_k \lambda_k B_k (\lambda_k+\nu)^{-2}` and
:math:`D_2 = \sum_k N_k \lambda_k^2 (\lambda_k+\nu)^{-2}`. The root is found in
:math:`u = \log\nu` by Newton steps kept inside a bracket (bisection when a step leaves
it), which works from :math:`\nu \sim 1` down to :math:`10^{-300}` and below: every sum
is evaluated from logarithms (:math:`\log s_k = -\mathrm{softplus}(\log\lambda_k -
\log\nu)`). Derivation: ``derivations/deterministic_equivalents.py``; references: Bach
(2023), Defilippis, Loureiro and Misiakiewicz (2024).
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InvalidArgument
from ..powerseries import PowerSeries
from ..precision import Precision
from .table import SpectralTable

__all__ = ["TeacherSolution", "solve_teacher", "teacher_sums"]


@dataclass(frozen=True)
class TeacherSolution:
    """The teacher at width ``M``: ``nu``, risk and the sums the student needs."""

    M: int
    log_nu: object
    teacher_risk: object
    S: object
    D2: object
    C: object                  # S / (M - D2): F_k = C nu^2 N lambda/(lambda+nu)^2
    sum_F: object
    floor: object              # B_null
    error: float               # estimated absolute error of teacher_risk (tail series)
    log_s: np.ndarray          # log s_k, k < K
    log_1ms: np.ndarray        # log (1 - s_k)

    @property
    def nu(self):
        return np.exp(self.log_nu) if isinstance(self.log_nu, float) else \
            mpmath.exp(self.log_nu)


def _ninf(p: Precision):
    return p.scalar(-np.inf) if p.is_float else mpmath.ninf


def _x(table: SpectralTable, log_nu):
    p = table.precision
    if not table.has_tail:
        return p.scalar(0)
    return p.exp(table.spec_tail.log_lambda_bar - log_nu)


def _spec_tail(table: SpectralTable, series: PowerSeries, log_prefactor):
    """``exp(log T_1 + log_prefactor) * sum_q series_q m_{q+1}`` and an error estimate."""
    p = table.precision
    if not table.has_tail:
        return p.scalar(0), 0.0
    m = table.spec_tail.ratios
    val = series.pair(m)
    scale = p.exp(table.spec_tail.log_mass + log_prefactor)
    last = _absf(series.coeffs[-1] * m[len(series.coeffs) - 1])
    err = float(scale) * (last + _absf(val) * table.spec_tail.rel_error)
    return val * scale, err


def _tgt_tail(table: SpectralTable, series: PowerSeries, log_prefactor):
    """``exp(log U_0 + log_prefactor) * sum_q series_q u_q`` and an error estimate."""
    p = table.precision
    t = table.tgt_tail
    if t.log_mass == -np.inf:
        return p.scalar(0), 0.0
    val = series.pair(t.ratios)
    scale = p.exp(t.log_mass + log_prefactor)
    last = _absf(series.coeffs[-1] * t.ratios[len(series.coeffs) - 1])
    err = float(scale) * (last + _absf(val) * t.rel_error)
    return val * scale, err


def _absf(x):
    """``|x|`` as float64 (elementwise for arrays)."""
    if np.ndim(x) == 0:
        return abs(float(x))
    return np.abs(np.array([float(v) for v in np.ravel(x)])).reshape(np.shape(x))


def _width_sum(table: SpectralTable, log_nu):
    """``(g(nu), d g / d log nu)`` with ``g = sum N lambda/(lambda + nu)``."""
    p = table.precision
    pos = table.positive
    ninf = _ninf(p)
    lam = np.where(pos, table.log_lam, p.scalar(0))
    log_1ms = np.where(pos, p.log_expit(lam - log_nu), ninf)
    log_s = np.where(pos, p.log_expit(log_nu - lam), p.scalar(0))
    head = p.sum(p.exp(table.log_mult + log_1ms))
    dhead = -p.sum(p.exp(table.log_mult + log_1ms + log_s))
    x = _x(table, log_nu)
    Q = table.Q
    if table.has_tail and float(x) < 0.5:
        s_ser = PowerSeries.geometric(x, Q)
        tail, _ = _spec_tail(table, s_ser, -log_nu)
        dtail, _ = _spec_tail(table, s_ser * s_ser, -log_nu)
    elif table.has_tail:
        # far from the tail's range of validity (only while bracketing): the crude
        # enclosure T_1 / (nu + lambda_bar / 2), monotone in nu
        tm = p.exp(table.spec_tail.log_mass)
        nu = p.exp(log_nu)
        bar = p.exp(table.spec_tail.log_lambda_bar)
        tail = tm / (nu + bar / 2)
        dtail = -tm * nu / (nu + bar / 2) ** 2
    else:
        tail = dtail = p.scalar(0)
    return head + tail, dhead - dtail


def solve_log_nu(table: SpectralTable, M: int, log_nu_guess=None):
    """``log nu`` solving the width equation for the table's spectrum."""
    p = table.precision
    with p.context():
        Mp = p.scalar(M)
        log_trace = p.logaddexp(p.logsumexp(np.where(table.positive, table.log_mult +
                                                     np.where(table.positive, table.log_lam,
                                                              p.scalar(0)), _ninf(p))),
                                table.spec_tail.log_mass if table.has_tail else _ninf(p))
        hi = log_trace - p.log(Mp)                 # g(nu) <= trace / nu <= M here
        lo = hi - 1
        if log_nu_guess is not None and log_nu_guess < hi:
            # a bracket around the guess (from a float64 pass, say), widened until valid
            delta = p.scalar(1e-8) * max(1, abs(float(log_nu_guess)))
            while True:
                lo_try, hi_try = log_nu_guess - delta, min(hi, log_nu_guess + delta)
                if _width_sum(table, lo_try)[0] > Mp and (
                        hi_try == hi or _width_sum(table, hi_try)[0] <= Mp):
                    lo, hi = lo_try, hi_try
                    break
                delta = delta * 16
                if delta > 1e3:
                    break
        step = p.scalar(1)
        while _width_sum(table, lo)[0] <= Mp:
            step = step * 2
            lo = lo - step
            if float(lo) < -1e6:
                raise InvalidArgument("teacher_width", "no effective regularization solves "
                                      "the width equation")
        u = log_nu_guess if log_nu_guess is not None and lo < log_nu_guess < hi \
            else (lo + hi) / 2
        # requested digits plus two (the working precision carries more guard digits)
        tol = p.scalar(10.0) ** (-((p.digits or 14) + 2))
        for _ in range(200):
            g, dg = _width_sum(table, u)
            f = g - Mp
            if f > 0:
                lo = u
            else:
                hi = u
            if dg != 0 and abs(f / dg) <= tol * max(1, abs(u)):
                return u - f / dg            # converged: the Newton step is negligible
            new = u - f / dg if dg != 0 else (lo + hi) / 2
            if not (lo < new < hi):
                new = (lo + hi) / 2
            if hi - lo <= tol * max(1, abs(u)):
                return new
            u = new
        return u


def teacher_sums(table: SpectralTable, log_nu, M: int) -> TeacherSolution:
    """Teacher risk and the sums ``S``, ``D2``, ``C``, ``sum F`` at ``log nu``."""
    p = table.precision
    with p.context():
        pos = table.positive
        ninf = _ninf(p)
        lam = np.where(pos, table.log_lam, p.scalar(0))
        log_1ms = np.where(pos, p.log_expit(lam - log_nu), ninf)
        log_s = np.where(pos, p.log_expit(log_nu - lam), p.scalar(0))
        logB = table.log_B
        bpos = np.where(pos, logB, ninf)
        x = _x(table, log_nu)
        Q = table.Q
        s_ser = PowerSeries.geometric(x, Q)
        oms_ser = 1 - s_ser
        # teacher risk
        lt_head = p.sum(p.exp(bpos + log_s))
        lt_tail, e1 = _tgt_tail(table, s_ser, p.scalar(0))
        floor = p.exp(table.log_null)
        L_T = lt_head + lt_tail + floor
        # S = (1/nu) sum B s (1 - s)
        S_head = p.sum(p.exp(bpos + log_s + log_1ms - log_nu))
        S_tail, e2 = _tgt_tail(table, s_ser * oms_ser, -log_nu)
        S = S_head + S_tail
        # D2 = sum N (1 - s)^2
        D2_head = p.sum(p.exp(table.log_mult + 2 * log_1ms))
        D2_tail, _ = _spec_tail(table, s_ser * oms_ser, -log_nu)
        D2 = D2_head + D2_tail
        C = S / (p.scalar(M) - D2)
        # sum F = C sum N lambda s^2
        F_head = p.sum(p.exp(np.where(pos, table.log_mult + lam + 2 * log_s, ninf)))
        F_tail, _ = _spec_tail(table, s_ser * s_ser, p.scalar(0))
        sum_F = C * (F_head + F_tail)
        return TeacherSolution(M, log_nu, L_T, S, D2, C, sum_F, floor, e1 + e2, log_s,
                               log_1ms)


def solve_teacher(table: SpectralTable, M: int, log_nu_guess=None) -> TeacherSolution:
    log_nu = solve_log_nu(table, M, log_nu_guess)
    return teacher_sums(table, log_nu, M)
