"""Errors raised for bad input.

Every check on user input raises :class:`InvalidArgument`, a :class:`ValueError` that
names the offending argument, so the command line can translate it into a one-line
message naming the corresponding option.
"""

from __future__ import annotations

import numbers

__all__ = ["InvalidArgument", "DecimalFloat", "check_int", "check_real", "check_digits"]


class InvalidArgument(ValueError):
    """A bad value for a named argument.

    >>> err = InvalidArgument("dim", "must be an integer >= 2, got 1")
    >>> str(err)
    'dim: must be an integer >= 2, got 1'
    >>> isinstance(err, ValueError), err.argument
    (True, 'dim')
    """

    def __init__(self, argument: str, message: str):
        self.argument = argument
        self.message = message
        super().__init__(f"{argument}: {message}")


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` or raise :class:`InvalidArgument`.

    Booleans and non-integral floats are refused; integral floats (``6.0``) are accepted.
    """
    if isinstance(value, bool) or value is None:
        raise InvalidArgument(name, f"must be an integer, got {value!r}")
    if isinstance(value, numbers.Integral):
        out = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        out = int(value)
    elif isinstance(value, str):
        try:
            out = int(value.strip())
        except ValueError:
            raise InvalidArgument(name, f"must be an integer, got {value!r}") from None
    else:
        raise InvalidArgument(name, f"must be an integer, got {value!r}")
    if minimum is not None and out < minimum:
        raise InvalidArgument(name, f"must be an integer >= {minimum}, got {out}")
    if maximum is not None and out > maximum:
        raise InvalidArgument(name, f"must be an integer <= {maximum}, got {out}")
    return out


class DecimalFloat(float):
    """A float parsed from a decimal string, remembering the string.

    It behaves as the nearest float64 everywhere, and high-precision code
    (:meth:`~w2s_theory._src.precision.Precision.scalar`) reads ``decimal`` instead, so
    ``"0.1"`` is 1/10 to every digit, not ``0.1000000000000000055...``.

    >>> x = DecimalFloat("0.1")
    >>> x == 0.1, x.decimal
    (True, '0.1')
    >>> import pickle
    >>> pickle.loads(pickle.dumps(x)).decimal
    '0.1'

    """

    def __new__(cls, text: str):
        out = super().__new__(cls, text)
        out.decimal = text.strip()
        return out

    def __reduce__(self):                    # pickles as its decimal (worker processes)
        return (DecimalFloat, (self.decimal,))


def check_real(name: str, value, minimum=None, maximum=None, *, strict_min=False,
               allow_inf=False):
    """Return ``value`` as a real number (float or mpmath ``mpf``), or raise.

    ``strict_min`` makes the lower limit exclusive.
    """
    import math

    import mpmath

    if isinstance(value, bool) or value is None:
        raise InvalidArgument(name, f"must be a real number, got {value!r}")
    if isinstance(value, str):
        try:
            value = DecimalFloat(value)
        except ValueError:
            raise InvalidArgument(name, f"must be a real number, got {value!r}") from None
    if isinstance(value, mpmath.mpf):
        out = value
        finite = mpmath.isfinite(out)
        nan = mpmath.isnan(out)
    elif isinstance(value, numbers.Real):
        out = value if isinstance(value, (int, numbers.Rational, DecimalFloat)) \
            else float(value)
        nan = isinstance(out, float) and math.isnan(out)
        finite = not nan and not (isinstance(out, float) and math.isinf(out))
    else:
        raise InvalidArgument(name, f"must be a real number, got {value!r}")
    if nan or (not finite and not allow_inf):
        raise InvalidArgument(name, f"must be a finite real number, got {value!r}")
    if minimum is not None:
        if strict_min and not out > minimum:
            raise InvalidArgument(name, f"must be > {minimum}, got {value!r}")
        if not strict_min and out < minimum:
            raise InvalidArgument(name, f"must be >= {minimum}, got {value!r}")
    if maximum is not None and out > maximum:
        raise InvalidArgument(name, f"must be <= {maximum}, got {value!r}")
    return out


def check_digits(name: str, digits, minimum: int = 15):
    """``None`` (float64) or an integer number of significant digits >= ``minimum``."""
    if digits is None:
        return None
    out = check_int(name, digits)
    if out < minimum:
        raise InvalidArgument(
            name, f"must be at least {minimum} digits (float64 is the default), got {out}")
    if out > 10000:
        raise InvalidArgument(name, f"must be at most 10000 digits, got {out}")
    return out
