r"""The interface every spectrum implements, as the risk engine consumes it.

A spectrum is a sequence of *blocks* ``k = 0, 1, ...`` (degrees of spherical harmonics,
or coordinates), each an eigenspace of the kernel with eigenvalue :math:`\lambda_k \ge 0`
and multiplicity :math:`N_k`. Sums over all blocks are split into an explicit part
``k < K`` and a tail ``k >= K`` summarized by its moments

.. math:: T_q(K) = \sum_{k \ge K} N_k \lambda_k^q, \qquad q = 1, 2, \dots

and a bound :math:`\bar\lambda(K) \ge \lambda_k` for all ``k >= K``. Any tail sum
:math:`\sum_{k\ge K} N_k \lambda_k h(\lambda_k)` with ``h`` analytic near 0 is then
:math:`\sum_q h_q T_{q+1}` (the risk engine chooses ``K`` with :math:`\bar\lambda` small
against the scales of ``h``), and can never exceed :math:`T_1 \max_{[0,\bar\lambda]}|h|`:
nothing is silently truncated.

Moments are reported as ``log T_1`` and the ratios
:math:`m_q = T_q / (T_1 \bar\lambda^{q-1}) \in [0, 1]`, which stay representable in
float64 where the moments themselves under- or overflow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..precision import FLOAT64, Precision, takes_precision

__all__ = ["Blocks", "TailMoments", "Spectrum"]


@dataclass(frozen=True)
class Blocks:
    """Blocks ``k < K``: labels, ``log lambda_k`` (``-inf`` if zero) and ``log N_k``."""

    index: np.ndarray
    log_lam: np.ndarray
    log_mult: np.ndarray

    def __len__(self):
        return len(self.index)


@dataclass(frozen=True)
class TailMoments:
    """Moments of the tail ``k >= start`` (see the module docstring)."""

    start: int
    log_lambda_bar: object
    log_mass: object
    ratios: tuple
    rel_error: float = 0.0

    @property
    def empty(self) -> bool:
        return self.log_mass == -np.inf

    @classmethod
    def empty_tail(cls, start: int, q_max: int, precision: Precision) -> "TailMoments":
        ninf = precision.scalar(-np.inf) if precision.is_float else _mp_ninf()
        return cls(start, ninf, ninf, tuple(precision.scalar(0) for _ in range(q_max)), 0.0)


def _mp_ninf():
    import mpmath

    return mpmath.ninf


class Spectrum(ABC):
    """Eigenvalues and multiplicities of a kernel, with summable tails.

    Every method's ``precision`` takes ``None``, a number of digits or a
    :class:`~w2s_theory._src.precision.Precision` (:func:`takes_precision`).
    """

    #: methods whose ``precision`` argument is converted (in every subclass)
    _PRECISION_METHODS = ("blocks", "tail_moments", "log_lambda_bar", "log_trace",
                          "start_for", "coefficients")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls._PRECISION_METHODS:
            if name in cls.__dict__:
                setattr(cls, name, takes_precision(cls.__dict__[name]))

    #: short machine-readable kind ("sphere", "linear-gaussian", "finite", "power-law")
    kind: str = "abstract"

    @property
    @abstractmethod
    def n_blocks(self):
        """Number of blocks, or ``None`` for an infinite spectrum."""

    @property
    def min_tail_start(self) -> int:
        """Smallest ``K`` for which :meth:`tail_moments` is available."""
        return 0

    @abstractmethod
    def blocks(self, K: int, precision: Precision = FLOAT64) -> Blocks:
        """The blocks ``k < K``."""

    @abstractmethod
    def tail_moments(self, K: int, q_max: int, precision: Precision = FLOAT64) -> TailMoments:
        """Moments ``T_1..T_{q_max}`` of the blocks ``k >= K``."""

    @abstractmethod
    def log_lambda_bar(self, K: int, precision: Precision = FLOAT64):
        """``log`` of an upper bound on ``lambda_k`` over ``k >= K`` (``-inf`` if none)."""

    @abstractmethod
    def rank(self):
        """Number of eigendirections with ``lambda > 0`` (``None`` if infinite)."""

    @takes_precision
    def log_trace(self, precision: Precision = FLOAT64):
        """``log sum_k N_k lambda_k`` (the kernel's trace ``kappa(1)`` on the sphere)."""
        K = self.min_tail_start
        with precision.context():
            b = self.blocks(K, precision)
            t = self.tail_moments(K, 1, precision)
            parts = np.concatenate([np.asarray(b.log_lam + b.log_mult),
                                    np.asarray([t.log_mass], dtype=b.log_lam.dtype)])
            return precision.logsumexp(parts)

    @takes_precision
    def start_for(self, log_threshold, precision: Precision = FLOAT64, start: int = 0) -> int:
        """Smallest ``K >= start`` (and >= min_tail_start) with lambda_bar(K) <= threshold.

        Searches by doubling then bisection; ``lambda_bar`` is non-increasing in ``K``.
        """
        lo = max(int(start), self.min_tail_start)
        if self.n_blocks is not None:
            hi_cap = self.n_blocks
        else:
            hi_cap = None
        with precision.context():
            if self.log_lambda_bar(lo, precision) <= log_threshold:
                return lo
            hi = max(2 * lo, lo + 8)
            while self.log_lambda_bar(hi, precision) > log_threshold:
                if hi_cap is not None and hi >= hi_cap:
                    return hi_cap
                lo, hi = hi, 2 * hi
                if hi > 1 << 40:
                    raise ArithmeticError("eigenvalues do not decay below the threshold")
            if hi_cap is not None:
                hi = min(hi, hi_cap)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.log_lambda_bar(mid, precision) <= log_threshold:
                    hi = mid
                else:
                    lo = mid
            return hi

    def describe(self) -> dict:
        return {"kind": self.kind}
