"""TOML values of a setting: written exactly (a decimal the user gave is written as
those digits, a fraction as ``"p/q"``, infinity as TOML's ``inf``) and read back exactly
(decimals as :class:`~w2s_theory._src.errors.DecimalFloat`).

>>> toml_value([1, 0.5, float("inf")]), toml_value("relu")
('[1, 0.5, inf]', '"relu"')
>>> load_toml_text("x = 0.1", "s.toml")["x"].decimal
'0.1'
"""

from __future__ import annotations

import json
import math
import numbers
import tomllib
from decimal import Decimal
from fractions import Fraction

from .errors import DecimalFloat, InvalidArgument

__all__ = ["toml_value", "load_toml_text", "plain_value", "exact_value"]


def _name(activation) -> str:
    return activation if isinstance(activation, str) else activation.name


def plain_value(key, v):
    """A setting value as a plain TOML/JSON value (names, strings, numbers, lists)."""
    if key == "activation":
        return _name(v)
    if key == "target":
        return str(v)
    if key == "student_width":
        return "inf" if v is None else v
    if isinstance(v, str):                           # inputs
        return v
    if isinstance(v, tuple):
        return [_plain_number(x) for x in v]
    return _plain_number(v)


def _plain_number(x):
    if isinstance(x, bool) or isinstance(x, int):
        return x
    if isinstance(x, Fraction):                      # exact: "1/3" reads back as 1/3
        return int(x) if x.denominator == 1 else str(x)
    f = float(x)
    if math.isinf(f):
        return "inf"
    return f


def exact_value(value, plain):
    """For TOML: numbers as their exact decimal text where they have one."""
    def one(x, p):
        if isinstance(x, DecimalFloat):
            return _Raw(str(Decimal(x.decimal)))
        if isinstance(x, Fraction):
            return str(x)
        return p
    if isinstance(value, tuple):
        return [one(x, p) for x, p in zip(value, plain)]
    return one(value, plain)


class _Raw(str):
    """A decimal number written verbatim into TOML."""


def toml_value(v) -> str:
    """One TOML value (bool, number, string, list; ``inf`` as TOML's ``inf``)."""
    if isinstance(v, _Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(v, str):
        return json.dumps(v)            # a TOML basic string: same escapes as JSON
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def load_toml_text(text: str, name: str) -> dict:
    """The table of a TOML text, decimals kept exact (``name`` labels the errors)."""
    try:
        data = tomllib.loads(text, parse_float=_toml_float)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(name, f"not valid TOML: {exc}") from None
    return data


def _toml_float(text: str):
    low = text.lower().lstrip("+")
    if low in ("inf", "-inf", "nan", "-nan"):
        return float(text)
    return DecimalFloat(text.replace("_", ""))
