"""The Funk-Hecke projection as a function: :class:`FunkHeckeProjection` (evaluates
:math:`u \\mapsto \\sum_k c_k N(d, k) P_k(u)`, with degree energies and the Parseval
residual) and :func:`funk_hecke_projection`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..precision import FLOAT64, Precision, as_precision
from ..sphere import check_dim, gegenbauer, multiplicities
from .coefficients import FunkHeckeResult, _float_err, _log2_abs, funk_hecke_coefficients
from .nodes import _LN2


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
