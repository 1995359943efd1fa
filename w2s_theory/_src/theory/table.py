r"""A spectrum and a target, tabulated for the risk engine.

For a cut ``K``, the table holds the explicit blocks ``k < K`` (``log lambda_k``,
``log N_k``, ``log B_k``) and the tails ``k >= K`` as moments (:class:`TailMoments` of
the spectrum, :class:`TargetTail` of the target). Every spectral sum of the risk engine
is ``head + tail``, where the tail of :math:`\sum_{k\ge K} N_k\lambda_k h(\lambda_k)` is
:math:`T_1 \sum_q h_q \bar\lambda^q m_{q+1}` and that of
:math:`\sum_{k\ge K} B_k h(\lambda_k)` is :math:`U_0 \sum_q h_q \bar\lambda^q u_q`
(:mod:`..powerseries`). ``K`` is chosen so that :math:`\bar\lambda/\nu` and
:math:`t\bar\lambda` are at most ``rho``; ``Q`` terms then leave an error of order
``rho**Q``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..precision import Precision
from ..spectra.base import TailMoments
from ..targets import BoundTarget, TargetTail

__all__ = ["SpectralTable", "build_table", "series_plan", "time_plan"]


def series_plan(precision: Precision):
    """``(rho, Q)``: tail expansion parameter and number of terms for a precision."""
    if precision.is_float:
        return 1e-3, 7
    digits = precision.working_digits
    return 1e-3, int(np.ceil(digits / 3)) + 2


def time_plan(spectrum, precision: Precision):
    """``(rho_t, Q)``: the bound on ``z = t_max lambda_bar`` and the number of terms.

    By default ``rho_t = rho`` (:func:`series_plan`). For power-law spectra, whose tail
    moments (Hurwitz zeta) are cheap for any number of terms, ``z`` may reach 1: the
    exponential series in ``z`` (terms ``(m z)^i / i!``, ``m <= 2``) then takes more
    terms, but the explicit head needs ``1e3^(1/alpha)`` times fewer blocks (at ``M_T =
    1000``, ``alpha = 1.5``: about 2e5 instead of 2e7). Alternating terms are at most
    ``e^2`` times the result, a loss of under one digit.
    """
    rho, Q = series_plan(precision)
    if getattr(spectrum, "kind", None) != "power-law":
        return rho, Q
    goal = 1e-18 if precision.is_float else 10.0 ** -(precision.working_digits + 1)
    q = Q
    while 2.0 ** (q - 1) / math.factorial(q - 1) * math.e ** 2 > goal:
        q += 1
    return 1.0, q


@dataclass(frozen=True)
class SpectralTable:
    precision: Precision
    K: int
    Q: int
    log_lam: np.ndarray
    log_mult: np.ndarray
    log_B: np.ndarray
    positive: np.ndarray           # lambda_k > 0 (bool, k < K)
    spec_tail: TailMoments
    tgt_tail: TargetTail
    log_null: object               # energy on lambda = 0 blocks, head and tail
    log_energy: object             # ||f*||^2

    @property
    def has_tail(self) -> bool:
        return not self.spec_tail.empty

    @property
    def log_lambda_max(self):
        """Largest eigenvalue (explicit blocks; the tail is below lambda_bar)."""
        p = self.precision
        with p.context():
            vals = [x for x, pos in zip(self.log_lam, self.positive) if pos]
            return max(vals) if vals else p.scalar(-np.inf)


def build_table(spectrum, target: BoundTarget, K: int, Q: int,
                precision: Precision) -> SpectralTable:
    p = precision
    K = int(K)
    if spectrum.n_blocks is not None:
        K = min(K, spectrum.n_blocks)
    b = spectrum.blocks(K, p)
    la, _ = target.amplitudes(K, p)
    with p.context():
        log_B = 2 * la
        positive = np.array([float(x) > -np.inf for x in b.log_lam], dtype=bool)
        if spectrum.n_blocks is not None and K >= spectrum.n_blocks:
            spec_tail = TailMoments.empty_tail(K, Q + 1, p)
        else:
            spec_tail = spectrum.tail_moments(K, Q + 1, p)
        log_bar = spec_tail.log_lambda_bar if not spec_tail.empty else p.scalar(0)
        tgt_tail = target.tail(K, Q, log_bar, p) if (
            spectrum.n_blocks is None or K < spectrum.n_blocks) else TargetTail(
            K, p.scalar(-np.inf) if p.is_float else mpmath.ninf,
            tuple(p.scalar(0) for _ in range(Q + 1)),
            p.scalar(-np.inf) if p.is_float else mpmath.ninf, 0.0)
        ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        null_head = p.logsumexp(np.where(positive, ninf, log_B)) if K else ninf
        log_null = p.logaddexp(null_head, tgt_tail.log_null)
        log_energy = p.logaddexp(p.logaddexp(p.logsumexp(log_B) if K else ninf,
                                             tgt_tail.log_mass), tgt_tail.log_null)
    return SpectralTable(p, K, Q, b.log_lam, b.log_mult, log_B, positive, spec_tail,
                         tgt_tail, log_null, log_energy)
