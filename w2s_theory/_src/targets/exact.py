r"""Exact numbers of a target: weights, energies, coefficients and exponents.

Every number of a target is a :class:`fractions.Fraction` holding the value the user
wrote: a decimal string (``"0.1"``, ``"1e-3"``) or a
:class:`~w2s_theory._src.errors.DecimalFloat` is read digit for digit, a float as its
shortest decimal ``repr`` (what it prints as, so ``0.1`` is 1/10 and ``float(x)`` is
unchanged), a ``Fraction`` (or ``"1/3"``) as itself. Numbers reach the working precision
only inside ``precision.context()``, through ``precision.scalar`` (``Precision(40)``: 1/10
to every digit; float64: the nearest double, as ``float("0.1")``).

:func:`format_number` writes a number back exactly: the shortest decimal when the
denominator is ``2^a 5^b``, else ``p/q``, so that :func:`exact` of it is the number.

>>> exact("0.1") == exact(0.1) == Fraction(1, 10) and float(exact("1e-3")) == 1e-3
True
>>> xs = (Fraction(1, 3), exact("-2.5e-30"), exact(7), Fraction(0.1), exact(1e300))
>>> all(exact(format_number(x)) == x for x in xs), format_number(exact("-2.5e-30"))
(True, '-2.5e-30')
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

import mpmath

from ..errors import InvalidArgument

__all__ = ["exact", "is_number", "format_number", "block_index"]


def is_number(value) -> bool:
    """Whether ``value`` is a real number (not a bool, not a string)."""
    return not isinstance(value, bool) and isinstance(
        value, (numbers.Real, Decimal, mpmath.mpf))


def exact(value, what: str = "weight") -> Fraction:
    """``value`` (number or numeric string) as an exact :class:`Fraction`; raises
    ``InvalidArgument("target", ...)`` naming ``what`` for anything else or non-finite."""
    bad = InvalidArgument("target", f"{what} must be a finite number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise bad
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    text = getattr(value, "decimal", None)          # errors.DecimalFloat
    if isinstance(value, str) or isinstance(text, str):
        try:
            return Fraction((value if text is None else text).strip())
        except (ValueError, ZeroDivisionError):
            raise bad from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise bad
        return Fraction(value)
    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            raise bad
        man, exp = value.man_exp
        return Fraction(man) * Fraction(2) ** exp
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            raise bad
        return Fraction(repr(f))
    raise bad


def format_number(x: Fraction) -> str:
    """The shortest exact decimal of ``x`` (``p/q`` if it has none)."""
    n, d = x.numerator, x.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{x.numerator}/{x.denominator}"
    e = max(twos, fives)
    m = abs(n) * 10 ** e // x.denominator          # x = m 10^-e exactly (no rounding)
    return format(Decimal((int(n < 0), tuple(map(int, str(m))), -e)), "g")


def block_index(value, what: str) -> int:
    """A block (degree) index: an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgument("target", f"{what} must be an integer >= 0, got {value!r}")
    if value < 0:
        raise InvalidArgument("target", f"{what} must be an integer >= 0, got {value!r}")
    return int(value)
