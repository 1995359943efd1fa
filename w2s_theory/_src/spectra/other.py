r"""Other feature families behind the same interface (``THEORY.md`` section 1b).

* :class:`LinearGaussianSpectrum`: linear random features :math:`\phi_j(x) = \langle g_j,
  x\rangle`, :math:`g_j \sim N(0, I_d)`, on data :math:`x \sim N(0, \mathrm{diag}(\sigma))`:
  eigenvalues :math:`\lambda_i = \sigma_i`, each of multiplicity one.
* :class:`FiniteSpectrum`: any finite list of eigenvalues with multiplicities.
* :class:`PowerLawSpectrum`: :math:`\lambda_i = \lambda_1 i^{-\alpha}`, ``i = 1, 2, ...``
  (capacity condition), with tails from the Hurwitz zeta function,
  :math:`T_q(K) = \lambda_1^q \zeta(\alpha q, K + 1)`.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import DecimalFloat, InvalidArgument, check_int, check_real
from ..precision import FLOAT64, Precision
from ..lazy import lazy_module
from .base import Blocks, Spectrum, TailMoments

special = lazy_module("scipy.special")    # imported on first use

__all__ = ["FiniteSpectrum", "LinearGaussianSpectrum", "PowerLawSpectrum"]


def _parse_values(name, values, *, allow_zero=True):
    if isinstance(values, str):
        values = [s for s in values.replace(";", ",").split(",") if s.strip()]
    try:
        vals = list(values)
    except TypeError:
        raise InvalidArgument(name, f"expected a list of numbers, got {values!r}") from None
    if not vals:
        raise InvalidArgument(name, "expected at least one value")
    out = []
    for v in vals:
        x = check_real(name, v, minimum=0, strict_min=not allow_zero)
        out.append(x)
    return out


class FiniteSpectrum(Spectrum):
    """A finite list of eigenvalues ``lambda_i >= 0`` with multiplicities ``N_i >= 1``.

    >>> s = FiniteSpectrum([1.0, 0.5, 0.0], [1, 2, 3])
    >>> s.rank(), s.n_blocks
    (3, 3)
    """

    kind = "finite"

    def __init__(self, eigenvalues, multiplicities=None):
        self.eigenvalues = tuple(_parse_values("eigenvalues", eigenvalues))
        if multiplicities is None:
            self.multiplicities = (1,) * len(self.eigenvalues)
        else:
            if isinstance(multiplicities, str):
                multiplicities = [s for s in multiplicities.split(",") if s.strip()]
            mults = tuple(check_int("multiplicities", m, minimum=1) for m in multiplicities)
            if len(mults) != len(self.eigenvalues):
                raise InvalidArgument(
                    "multiplicities", f"expected {len(self.eigenvalues)} values (one per "
                    f"eigenvalue), got {len(mults)}")
            self.multiplicities = mults
        if not any(v > 0 for v in self.eigenvalues):
            raise InvalidArgument("eigenvalues", "at least one eigenvalue must be positive")

    def __repr__(self):
        return f"{type(self).__name__}({len(self.eigenvalues)} blocks)"

    @property
    def n_blocks(self):
        return len(self.eigenvalues)

    def describe(self):
        return {"kind": self.kind, "eigenvalues": [float(v) for v in self.eigenvalues],
                "multiplicities": list(self.multiplicities)}

    def _values(self, precision):
        if precision.is_float:
            return np.array([float(v) for v in self.eigenvalues])
        return np.array([precision.scalar(v) for v in self.eigenvalues], dtype=object)

    def blocks(self, K, precision=FLOAT64):
        K = min(int(K), self.n_blocks)
        with precision.context():
            lam = self._values(precision)[:K]
            log_lam = precision.log(lam)
            log_mult = precision.log(precision.array(np.array(self.multiplicities[:K],
                                                              dtype=float)))
        return Blocks(np.arange(K), log_lam, log_mult)

    def log_lambda_bar(self, K, precision=FLOAT64):
        with precision.context():
            rest = self._values(precision)[int(K):]
            if not len(rest) or max(rest) == 0:
                return precision.scalar(-np.inf)
            return precision.log(max(rest))

    def tail_moments(self, K, q_max, precision=FLOAT64):
        K = int(K)
        if K >= self.n_blocks:
            return TailMoments.empty_tail(K, q_max, precision)
        with precision.context():
            lam = self._values(precision)[K:]
            mult = precision.array(np.array(self.multiplicities[K:], dtype=float))
            log_bar = self.log_lambda_bar(K, precision)
            if log_bar == -np.inf:
                return TailMoments.empty_tail(K, q_max, precision)
            bar = precision.exp(log_bar)
            mass = precision.sum(mult * lam)
            ratios = tuple(precision.sum(mult * lam * (lam / bar) ** (q - 1)) / mass
                           for q in range(1, q_max + 1))
            return TailMoments(K, log_bar, precision.log(mass), ratios, 0.0)

    def rank(self):
        return int(sum(m for v, m in zip(self.eigenvalues, self.multiplicities) if v > 0))


class LinearGaussianSpectrum(FiniteSpectrum):
    r"""Linear random features on :math:`x \sim N(0, \mathrm{diag}(\sigma_1..\sigma_d))`.

    The kernel is :math:`K(x, x') = E_g \langle g,x\rangle\langle g,x'\rangle =
    \langle x, x'\rangle`; in :math:`L^2` of the data its eigenfunctions are
    :math:`x_i/\sqrt{\sigma_i}` with eigenvalues :math:`\sigma_i`.

    >>> LinearGaussianSpectrum([4, 1]).eigenvalues
    (4.0, 1.0)
    """

    kind = "linear-gaussian"

    def __init__(self, variances):
        vals = _parse_values("variances", variances, allow_zero=False)
        super().__init__([v if isinstance(v, (mpmath.mpf, DecimalFloat)) else float(v)
                          for v in vals])
        self.variances = self.eigenvalues

    @property
    def dim(self) -> int:
        return len(self.variances)

    def describe(self):
        return {"kind": self.kind, "variances": [float(v) for v in self.variances]}


class PowerLawSpectrum(Spectrum):
    r"""An infinite spectrum :math:`\lambda_i = \lambda_1 i^{-\alpha}`, ``i = 1, 2, ...``
    (block ``k`` holds ``i = k + 1``), multiplicity one, :math:`\alpha > 1`.

    >>> s = PowerLawSpectrum(2.0)
    >>> t = s.tail_moments(0, 2)
    >>> round(float(np.exp(t.log_mass)), 12) == round(math.pi ** 2 / 6, 12)
    True
    """

    kind = "power-law"

    def __init__(self, alpha, scale=1.0):
        self.alpha = check_real("alpha", alpha, minimum=1, strict_min=True)
        self.scale = check_real("scale", scale, minimum=0, strict_min=True)

    def __repr__(self):
        return f"PowerLawSpectrum(alpha={self.alpha}, scale={self.scale})"

    @property
    def n_blocks(self):
        return None

    def describe(self):
        return {"kind": self.kind, "alpha": float(self.alpha), "scale": float(self.scale)}

    def blocks(self, K, precision=FLOAT64):
        K = int(K)
        with precision.context():
            i = precision.array(np.arange(1, K + 1, dtype=float))
            log_lam = precision.log(precision.scalar(self.scale)) - \
                precision.scalar(self.alpha) * precision.log(i)
            log_mult = precision.zeros(K)
        return Blocks(np.arange(K), log_lam, log_mult)

    def log_lambda_bar(self, K, precision=FLOAT64):
        with precision.context():
            return precision.log(precision.scalar(self.scale)) - \
                precision.scalar(self.alpha) * precision.log(precision.scalar(int(K) + 1))

    def tail_moments(self, K, q_max, precision=FLOAT64):
        K = int(K)
        log_bar = self.log_lambda_bar(K, precision)
        with precision.context():
            logs = []
            for q in range(1, q_max + 1):
                s = q * self.alpha
                if precision.is_float:
                    # zeta(s, K+1) = (K+1)^-s * [(K+1)^s zeta(s, K+1)]; the bracket is O(K)
                    z = special.zeta(float(s), K + 1.0)
                    lz = math.log(z) if z > 0 else _log_hurwitz_mp(s, K + 1)
                else:
                    lz = mpmath.log(mpmath.zeta(precision.scalar(s), K + 1))
                logs.append(q * precision.log(precision.scalar(self.scale)) + lz)
            log_mass = logs[0]
            ratios = tuple(precision.exp(logs[q - 1] - log_mass - (q - 1) * log_bar)
                           for q in range(1, q_max + 1))
        return TailMoments(K, log_bar, log_mass, ratios, 0.0)

    def rank(self):
        return None


def _log_hurwitz_mp(s, a):
    with mpmath.workdps(20):
        return float(mpmath.log(mpmath.zeta(s, a)))
