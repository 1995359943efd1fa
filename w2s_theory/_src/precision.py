"""Working precision: float64 (numpy) or any number of digits (mpmath).

A :class:`Precision` is a small immutable value passed to every numerical routine. Code
written against it runs unchanged in both modes: arrays are ``float64`` numpy arrays, or
numpy object arrays of ``mpmath.mpf``; elementwise functions (``exp``, ``log``,
``log_expit``, ...) are taken from the precision object. mpmath precision is only ever
changed inside :meth:`Precision.context` (a ``workdps`` context with guard digits), never
globally.

Quantities that over- or underflow float64 (multiplicities ``N(d, k)`` of order
``10**1400``, eigenvalues of order ``10**-1850``) are carried as logarithms in both modes.

>>> p = Precision(30)
>>> with p.context():
...     x = p.exp(p.array([0, 1]))
>>> p.format(x[1], 20)
'2.7182818284590452354'
>>> Precision().eps < 1e-15 < Precision(30).eps * 1e16
True
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from .errors import check_digits, check_int
from .lazy import lazy_module

special = lazy_module("scipy.special")    # imported on first use

__all__ = ["Precision", "FLOAT64", "as_precision", "takes_precision"]

_GUARD_DIGITS = 10


def _mp_log_expit(x):
    # log(1 / (1 + exp(-x))) without overflow for either sign of x.
    if x >= 0:
        return -mpmath.log1p(mpmath.exp(-x))
    return x - mpmath.log1p(mpmath.exp(x))


def _mp_log(x):
    return mpmath.ninf if x == 0 else mpmath.log(x)


def _mp_log1mexp(x):
    # log(1 - exp(x)) for x <= 0, accurate near 0 and for very negative x.
    if x == 0:
        return mpmath.ninf
    if x > -0.693:
        return mpmath.log(-mpmath.expm1(x))
    return mpmath.log1p(-mpmath.exp(x))


_MP_UFUNCS = {
    "exp": np.frompyfunc(mpmath.exp, 1, 1),
    "log": np.frompyfunc(_mp_log, 1, 1),
    "log1p": np.frompyfunc(mpmath.log1p, 1, 1),
    "expm1": np.frompyfunc(mpmath.expm1, 1, 1),
    "sqrt": np.frompyfunc(mpmath.sqrt, 1, 1),
    "loggamma": np.frompyfunc(mpmath.loggamma, 1, 1),
    "log_expit": np.frompyfunc(_mp_log_expit, 1, 1),
    "log1mexp": np.frompyfunc(_mp_log1mexp, 1, 1),
    "to_mpf": np.frompyfunc(mpmath.mpf, 1, 1),
}


def _np_log1mexp(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(x > -0.693, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


@dataclass(frozen=True)
class Precision:
    """Float64 (``digits=None``) or ``digits`` significant decimal digits via mpmath."""

    digits: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "digits", check_digits("digits", self.digits))

    # -- mode --------------------------------------------------------------------------
    @property
    def is_float(self) -> bool:
        return self.digits is None

    @property
    def working_digits(self) -> int:
        """Decimal digits carried while computing (requested digits plus guard digits)."""
        return 16 if self.digits is None else self.digits + _GUARD_DIGITS

    @property
    def eps(self):
        """Relative accuracy requested of results."""
        return np.finfo(float).eps if self.digits is None else 10.0 ** (-self.digits)

    def context(self, extra_digits: int = 0):
        """Context in which mpmath works at this precision (a no-op for float64)."""
        if self.digits is None:
            return contextlib.nullcontext()
        return mpmath.workdps(self.working_digits + extra_digits)

    def mp_digits(self, minimum: int = 25) -> int:
        """Digits for auxiliary mpmath computations feeding this precision."""
        return max(minimum, self.working_digits + 5)

    # -- construction ------------------------------------------------------------------
    def array(self, values):
        """An array of the working type (call inside :meth:`context` in mpmath mode)."""
        if self.digits is None:
            if isinstance(values, np.ndarray) and values.dtype == object:
                return np.array([float(v) for v in values.ravel()]).reshape(values.shape)
            return np.asarray(values, dtype=float)
        arr = np.asarray(values, dtype=object)
        return _MP_UFUNCS["to_mpf"](arr) if arr.size else arr.astype(object)

    def scalar(self, value):
        """``value`` in the working type: exact inputs keep every digit.

        A decimal given by the user (:class:`~.errors.DecimalFloat`, a string) and a
        :class:`fractions.Fraction` are converted at mpmath's current precision, so call
        this inside :meth:`context` in mpmath mode.

        >>> from fractions import Fraction
        >>> p = Precision(40)
        >>> with p.context():
        ...     x, y = p.scalar(Fraction(1, 10)), p.scalar("0.1")
        >>> x == y and p.format(x, 30) == "0.100000000000000000000000000000"
        True
        """
        if self.digits is None:
            return float(value)
        if isinstance(value, Fraction):
            return mpmath.mpf(value.numerator) / value.denominator
        # a decimal string given by the user keeps all its digits (errors.DecimalFloat)
        return mpmath.mpf(getattr(value, "decimal", value))

    def zeros(self, shape):
        return self.array(np.zeros(shape))

    # -- elementwise functions ---------------------------------------------------------
    def _ufunc(name):  # noqa: N805 - descriptor factory
        np_func = {
            "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
            "sqrt": np.sqrt, "loggamma": lambda x: special.gammaln(x),
            "log_expit": lambda x: special.log_expit(x),
            "log1mexp": _np_log1mexp,
        }[name]

        def method(self, x):
            if self.digits is None:
                with np.errstate(divide="ignore", over="ignore", under="ignore"):
                    return np_func(np.asarray(x, dtype=float) if np.ndim(x) else float(x))
            # always at this precision, even if called outside ``context()``
            with mpmath.workdps(self.working_digits):
                return _MP_UFUNCS[name](x)

        method.__name__ = name
        method.__doc__ = f"Elementwise ``{name}`` in the working precision."
        return method

    exp = _ufunc("exp")
    log = _ufunc("log")
    log1p = _ufunc("log1p")
    expm1 = _ufunc("expm1")
    sqrt = _ufunc("sqrt")
    loggamma = _ufunc("loggamma")
    log_expit = _ufunc("log_expit")
    log1mexp = _ufunc("log1mexp")
    del _ufunc

    def logaddexp(self, a, b):
        """``log(exp(a) + exp(b))`` elementwise, safe for ``-inf``."""
        if self.digits is None:
            return np.logaddexp(a, b)
        if np.ndim(a) == 0 and np.ndim(b) == 0:
            hi, lo = (a, b) if a >= b else (b, a)
            if hi == mpmath.ninf:
                return hi
            return hi + mpmath.log1p(mpmath.exp(lo - hi))
        hi = np.maximum(a, b)
        lo = np.minimum(a, b)
        diff = lo - hi
        return np.where(_isneginf(hi), hi, hi + self.log1p(self.exp(_nan_to_ninf(diff))))

    def logsumexp(self, a, axis=None):
        """``log(sum(exp(a)))`` along ``axis``."""
        if self.digits is None:
            with np.errstate(divide="ignore"):
                return special.logsumexp(np.asarray(a, dtype=float), axis=axis)
        a = np.asarray(a, dtype=object)
        m = np.max(a, axis=axis, keepdims=True)
        m = np.where(_isneginf(m), mpmath.mpf(0), m)
        s = np.sum(self.exp(a - m), axis=axis, keepdims=True)
        out = self.log(s) + m
        return out.squeeze(axis=axis) if axis is not None else out.reshape(())[()]

    def sum(self, a, axis=None):
        if self.digits is None:
            return np.sum(np.asarray(a, dtype=float), axis=axis)
        out = np.sum(np.asarray(a, dtype=object), axis=axis)
        return mpmath.mpf(0) + out if np.ndim(out) == 0 else out

    # -- output ------------------------------------------------------------------------
    def format(self, x, digits: int | None = None) -> str:
        """Decimal string with ``digits`` significant digits (default: the precision's)."""
        digits = digits or self.digits or 17
        if self.digits is None:
            return repr(float(x)) if digits >= 17 else f"{float(x):.{digits}g}"
        with mpmath.workdps(digits + 5):
            return mpmath.nstr(mpmath.mpf(x), digits, strip_zeros=False)

    def to_float(self, x):
        """Convert a scalar or array to float64 (values beyond range become 0 or inf)."""
        if np.ndim(x) == 0:
            return float(x)
        return np.array([float(v) for v in np.ravel(x)]).reshape(np.shape(x))


def _isneginf(x):
    return np.asarray(x == -np.inf, dtype=bool) | np.asarray(x == mpmath.ninf, dtype=bool)


def _nan_to_ninf(x):
    # (-inf) - (-inf) is nan; those entries are masked out by the caller.
    return np.where(np.vectorize(lambda v: bool(mpmath.isnan(v)), otypes=[bool])(x)
                    if np.ndim(x) else bool(mpmath.isnan(x)), mpmath.ninf, x)


FLOAT64 = Precision()
"""The default precision."""


def as_precision(precision, name: str = "precision") -> Precision:
    """The one conversion of a precision argument: ``None`` (float64), a number of
    significant digits (an integer >= 15, or its decimal string), or a
    :class:`Precision`. Anything else raises :class:`~.errors.InvalidArgument` naming
    ``name``.

    >>> as_precision(30) == as_precision("30") == as_precision(Precision(30))
    True
    >>> as_precision(None).is_float
    True
    """
    if isinstance(precision, Precision):
        return precision
    if isinstance(precision, str):
        precision = check_int(name, precision)
    return Precision(check_digits(name, precision))


def takes_precision(func):
    """Decorate a function whose argument ``precision`` may be given in any of the forms
    :func:`as_precision` accepts (``None``, digits, a :class:`Precision`), positionally or
    by keyword; the function receives a :class:`Precision`.

    >>> @takes_precision
    ... def f(x, precision=FLOAT64):
    ...     return precision.digits
    >>> f(1, 30), f(1, precision=Precision(30)), f(1)
    (30, 30, None)
    """
    import functools
    import inspect

    sig = inspect.signature(func)
    index = list(sig.parameters).index("precision")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if len(args) > index:
            args = args[:index] + (as_precision(args[index]),) + args[index + 1:]
        elif "precision" in kwargs:
            kwargs["precision"] = as_precision(kwargs["precision"])
        return func(*args, **kwargs)

    return wrapper


def number_formatter(digits):
    """Formatter for numbers in JSON output.

    ``digits=None``: JSON floats (non-finite values become ``None``). An integer: decimal
    strings carrying that many significant digits (infinite values become ``None``).

    >>> number_formatter(None)(float("inf")) is None, number_formatter(20)(1)
    (True, '1.0000000000000000000')
    """
    def as_float(x):
        if x is None:
            return None
        f = float(x)
        return f if math.isfinite(f) else None

    if digits is None:
        return as_float

    def as_str(x):
        if x is None:
            return None
        with mpmath.workdps(digits + 5):
            v = mpmath.mpf(x)
            if not mpmath.isfinite(v):
                return None
            return mpmath.nstr(v, digits, strip_zeros=False)

    return as_str


def log10_abs(x) -> float:
    """``log10 |x|`` of a float or mpf, as a float (``-inf`` for 0)."""
    if x == 0:
        return -math.inf
    return float(mpmath.log10(abs(mpmath.mpf(x))))
