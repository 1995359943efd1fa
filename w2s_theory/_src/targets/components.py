r"""Block components: a degree, given energies, a linear function, a power law.

Each gives the target's signed amplitude :math:`a_k` (energy :math:`B_k = a_k^2`) in the
blocks of a spectrum (``THEORY.md`` sections 1b and 2); the single-index component on
the sphere is in :mod:`.single_index`.

* :class:`Degree` ``degree:K``: :math:`a_K = 1`, the unit-norm eigenfunction of block
  ``K`` (on the sphere the zonal harmonic
  :math:`\sqrt{N(d,K)}\,P_K(\langle\beta,x\rangle)`);
* :class:`Energies` ``energies:0=0.5,2=0.25``: :math:`a_k = \sqrt{B_k}`;
* :class:`Linear` ``linear:t1,t2,...``: :math:`\langle\theta^*, x\rangle` for linear
  features on Gaussian data, :math:`a_i = \sqrt{\sigma_i}\,\theta^*_i`
  (:math:`x_i = \sqrt{\sigma_i}\,\xi_i` with :math:`\xi_i` the unit eigenfunctions);
* :class:`PowerLaw` ``power-law:BETA``: :math:`a_k = (k+1)^{-\beta/2}`, :math:`B_i =
  i^{-\beta}` with ``i = k + 1`` (source condition), on block-indexed spectra; on a
  power-law spectrum :math:`\lambda_i = s\, i^{-\alpha}` its tails are Hurwitz zeta
  values, :math:`\sum_{i>K} B_i\lambda_i^q = s^q\,\zeta(\beta + \alpha q, K + 1)`.

>>> import math
>>> from w2s_theory import FiniteSpectrum
>>> bt = (Degree(0) + Energies({1: "0.5"}) + 2 * Degree(1)).bind(FiniteSpectrum([1, 1]))
>>> abs(math.exp(bt.log_total_energy()) - (1 + (math.sqrt(0.5) + 2) ** 2)) < 1e-14
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

import mpmath
import numpy as np

from ..errors import InvalidArgument
from ..spectra import LinearGaussianSpectrum, SphereSpectrum
from .base import Component, SphereParts
from .bound import TargetTail
from .exact import block_index, exact, format_number

__all__ = ["Degree", "Energies", "Linear", "PowerLaw"]


@dataclass(frozen=True)
class Degree(Component):
    """``degree:K``: unit energy in block (degree) ``k`` alone.

    >>> import math
    >>> from w2s_theory import FiniteSpectrum
    >>> bt = Degree(2, weight=3).bind(FiniteSpectrum([1, 1, 1]))
    >>> round(math.exp(bt.log_total_energy()), 12)                   # B_2 = w^2
    9.0
    """

    form: ClassVar[str] = "degree"
    eigenbasis: ClassVar[bool] = True
    k: int

    def __post_init__(self):
        super().__post_init__()
        self._set("k", block_index(self.k, "degree"))

    @classmethod
    def parse(cls, argument):
        try:
            k = int(argument)
        except ValueError:
            raise InvalidArgument("target", f"degree must be an integer >= 0, got "
                                  f"{argument!r}") from None
        return cls(k)

    def argument(self):
        return str(self.k)

    @property
    def max_block(self):
        return self.k

    def amplitudes(self, spectrum, K, precision):
        return [(self.k, precision.scalar(1))] if self.k < K else []

    def sphere_parts(self):
        return SphereParts(poly=((self.k, float(self.weight)),))

    def atoms(self, d, law, precision):
        from .atoms import Harmonic, e1

        return [Harmonic(self.k, e1(d, precision)[0], precision.scalar(1))]


@dataclass(frozen=True)
class Energies(Component):
    """``energies:0=0.5,2=0.25``: energy ``B_k`` in each listed block (``energies`` is a
    mapping or pairs ``(k, B_k)``; stored sorted, as exact numbers).

    >>> import math
    >>> from w2s_theory import FiniteSpectrum
    >>> e = Energies({2: "0.25", 0: 0.5})
    >>> round(math.exp(e.bind(FiniteSpectrum([1, 1, 1])).log_total_energy()), 12), str(e)
    (0.75, 'energies:0=0.5,2=0.25')
    """

    form: ClassVar[str] = "energies"
    eigenbasis: ClassVar[bool] = True
    energies: tuple

    def __post_init__(self):
        super().__post_init__()
        items = self.energies
        if isinstance(items, Mapping):
            items = items.items()
        try:
            pairs = [(k, e) for k, e in items]
        except (TypeError, ValueError):
            raise InvalidArgument("target", f"energies must be pairs (block, energy), got "
                                  f"{self.energies!r}") from None
        if not pairs:
            raise InvalidArgument("target", "energies: give at least one BLOCK=ENERGY")
        out = {}
        for k, e in pairs:
            k = block_index(k, "block")
            e = exact(e, "energy")
            if e < 0:
                raise InvalidArgument("target", f"energies must be >= 0, got "
                                      f"{format_number(e)} for block {k}")
            if k in out:
                raise InvalidArgument("target", f"block {k} is given twice")
            out[k] = e
        self._set("energies", tuple(sorted(out.items())))

    @classmethod
    def parse(cls, argument):
        pairs = []
        for item in argument.split(","):
            if "=" not in item:
                raise InvalidArgument("target", f"expected BLOCK=ENERGY items, got "
                                      f"{item!r}")
            k_s, e_s = item.split("=", 1)
            try:
                k = int(k_s)
            except ValueError:
                raise InvalidArgument("target", f"bad item {item!r}: the block must be an "
                                      "integer") from None
            pairs.append((k, e_s))
        return cls(tuple(pairs))

    def argument(self):
        return ",".join(f"{k}={format_number(e)}" for k, e in self.energies)

    @property
    def max_block(self):
        return max(k for k, _ in self.energies)

    def amplitudes(self, spectrum, K, precision):
        p = precision
        return [(k, p.sqrt(p.scalar(e))) for k, e in self.energies if k < K]

    def sphere_parts(self):
        return SphereParts(poly=tuple((k, float(self.weight) * math.sqrt(float(e)))
                                      for k, e in self.energies))

    def atoms(self, d, law, precision):
        from .atoms import Harmonic, e1

        p = precision
        u = e1(d, p)[0]
        with p.context():
            return [Harmonic(k, u, p.sqrt(p.scalar(e))) for k, e in self.energies]


@dataclass(frozen=True)
class Linear(Component):
    r"""``linear:t1,t2,...``: :math:`\langle\theta^*, x\rangle` for linear features on
    Gaussian data, :math:`B_i = \sigma_i\theta_i^{*2}` (``THEORY.md`` section 1b).

    >>> import math
    >>> from w2s_theory import LinearGaussianSpectrum
    >>> bt = Linear((1, -2)).bind(LinearGaussianSpectrum([4, 1]))
    >>> round(math.exp(bt.log_total_energy()), 12)                   # 4 * 1 + 1 * 4
    8.0
    """

    form: ClassVar[str] = "linear"
    theta: tuple

    def __post_init__(self):
        super().__post_init__()
        try:
            theta = tuple(exact(t, "linear coefficient") for t in self.theta)
        except TypeError:
            raise InvalidArgument("target", f"linear coefficients must be a list of "
                                  f"numbers, got {self.theta!r}") from None
        if not theta:
            raise InvalidArgument("target", "linear: give at least one coefficient")
        self._set("theta", theta)

    @classmethod
    def parse(cls, argument):
        return cls(tuple(argument.split(",")))

    def argument(self):
        return ",".join(format_number(t) for t in self.theta)

    @property
    def max_block(self):
        return len(self.theta) - 1

    def validate(self, spectrum):
        if not isinstance(spectrum, LinearGaussianSpectrum):
            raise InvalidArgument("target", "linear:... targets need linear features on "
                                  "Gaussian data (variances)")
        if len(self.theta) != spectrum.dim:
            raise InvalidArgument("target", f"linear target needs {spectrum.dim} "
                                  f"coefficients, got {len(self.theta)}")
        super().validate(spectrum)

    def amplitudes(self, spectrum, K, precision):
        p = precision
        var = spectrum.variances
        return [(i, p.sqrt(p.scalar(var[i])) * p.scalar(t)) for i, t in
                enumerate(self.theta) if i < K]


@dataclass(frozen=True)
class PowerLaw(Component):
    r"""``power-law:BETA``: :math:`B_i = i^{-\beta}`, ``i = k + 1``, ``beta > 1``, on
    block-indexed spectra (all their blocks). Tails on a power-law spectrum by the
    Hurwitz zeta function (DLMF 25.11.1), on a finite one by direct sums.

    >>> import math, mpmath
    >>> from w2s_theory import PowerLawSpectrum
    >>> bt = PowerLaw(3).bind(PowerLawSpectrum(2))
    >>> abs(math.exp(bt.log_total_energy()) - float(mpmath.zeta(3))) < 1e-15
    True
    """

    form: ClassVar[str] = "power-law"
    aliases: ClassVar[tuple] = ("powerlaw",)
    beta: Fraction

    def __post_init__(self):
        super().__post_init__()
        beta = exact(self.beta, "power-law exponent")
        if not beta > 1:
            raise InvalidArgument("target", f"power-law exponent must be > 1 (finite "
                                  f"energy), got {format_number(beta)}")
        self._set("beta", beta)

    @classmethod
    def parse(cls, argument):
        return cls(argument)

    def argument(self):
        return format_number(self.beta)

    @property
    def max_block(self):
        return None

    def validate(self, spectrum):
        if isinstance(spectrum, SphereSpectrum):
            raise InvalidArgument("target", "power-law targets are for block-indexed "
                                  "spectra (power-law, finite, linear features)")
        super().validate(spectrum)

    def amplitudes(self, spectrum, K, precision):
        p = precision
        n = K if spectrum.n_blocks is None else min(K, spectrum.n_blocks)
        return [(k, p.exp(-p.scalar(self.beta) / 2 * p.log(p.scalar(k + 1))))
                for k in range(n)]

    @classmethod
    def tail(cls, bound, components, K, q_max, log_bar, precision):
        """On a power-law spectrum: ``B_i lambda_i^q = w^2 s^q i^{-(beta + alpha q)}``."""
        sp = bound.spectrum
        p = precision
        if len(components) != 1:
            raise InvalidArgument("target", "a sum of power-law targets on an infinite "
                                  "spectrum is not supported (one power-law component)")
        c = components[0]
        with p.context():
            logs = []
            for q in range(q_max + 1):
                s = p.scalar(c.beta) + q * p.scalar(sp.alpha)
                if p.is_float:
                    from scipy import special

                    z = np.log(special.zeta(float(s), K + 1.0))
                else:
                    z = mpmath.log(mpmath.zeta(s, K + 1))
                logs.append(2 * p.log(p.scalar(abs(c.weight))) + q * p.log(p.scalar(sp.scale))
                            + z)
            ratios = tuple(p.exp(logs[q] - logs[0] - q * log_bar) for q in range(q_max + 1))
            ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        return TargetTail(K, logs[0], ratios, ninf, 0.0)
