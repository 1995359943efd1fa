r"""Truncated power series with array coefficients, for tail expansions.

A :class:`PowerSeries` holds coefficients :math:`a_0, \dots, a_{Q-1}` of
:math:`\sum_q a_q y^q`, each coefficient an array (broadcast over, e.g., stopping
times) in the working precision. The risk engine expands functions of an eigenvalue
:math:`\lambda = \bar\lambda y` (``y`` in ``[0, 1]``) over the spectral tail, then pairs
coefficient ``q`` with the tail moment of order ``q``.

>>> import numpy as np
>>> s = PowerSeries.geometric(np.array(0.5), 4)      # 1 / (1 + 0.5 y)
>>> [float(c) for c in (s * s).coeffs]                 # 1 / (1 + 0.5 y)^2
[1.0, -1.0, 0.75, -0.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PowerSeries"]


@dataclass(frozen=True)
class PowerSeries:
    coeffs: tuple

    @property
    def order(self) -> int:
        return len(self.coeffs)

    @classmethod
    def constant(cls, value, n: int) -> "PowerSeries":
        zero = value * 0
        return cls((value,) + (zero,) * (n - 1))

    @classmethod
    def geometric(cls, x, n: int) -> "PowerSeries":
        r""":math:`1/(1 + x y) = \sum_q (-x)^q y^q`."""
        out, c = [], x * 0 + 1
        for _ in range(n):
            out.append(c)
            c = c * (-x)
        return cls(tuple(out))

    @classmethod
    def exp(cls, x, n: int) -> "PowerSeries":
        r""":math:`e^{-x y} = \sum_q (-x)^q / q!\; y^q`."""
        out, c = [], x * 0 + 1
        for q in range(n):
            out.append(c)
            c = c * (-x) / (q + 1)
        return cls(tuple(out))

    def __add__(self, other):
        if not isinstance(other, PowerSeries):
            return PowerSeries((self.coeffs[0] + other,) + self.coeffs[1:])
        return PowerSeries(tuple(a + b for a, b in zip(self.coeffs, other.coeffs)))

    __radd__ = __add__

    def __neg__(self):
        return PowerSeries(tuple(-a for a in self.coeffs))

    def __sub__(self, other):
        return self + (-other if isinstance(other, PowerSeries) else -other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if not isinstance(other, PowerSeries):
            return PowerSeries(tuple(a * other for a in self.coeffs))
        n = min(self.order, other.order)
        a, b = self.coeffs, other.coeffs
        return PowerSeries(tuple(sum((a[i] * b[m - i] for i in range(1, m + 1)),
                                     a[0] * b[m]) for m in range(n)))

    __rmul__ = __mul__

    def pair(self, moments):
        """``sum_q a_q * moments[q]`` (moments: a sequence of scalars)."""
        out = self.coeffs[0] * moments[0]
        for a, m in zip(self.coeffs[1:], moments[1:]):
            out = out + a * m
        return out
