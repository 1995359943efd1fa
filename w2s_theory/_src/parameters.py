r"""The parameters of a :class:`~w2s_theory._src.setting.Setting`: each declared once in
:data:`PARAMS` (its keyword, which is also its TOML key; its command-line option; its
help; its parser), and the parsers that turn a raw value (a string from the command line
or a file, or a Python object) into its canonical value, raising
:class:`~w2s_theory._src.errors.InvalidArgument` with the parameter's key.

>>> PARAMS["times"].flag, PARAMS["precision"].flag
('--time', '--digits')
>>> parse_width("student_width", "inf", allow_inf=True) is None   # infinitely wide
True
>>> parse_width("teacher_width", "inf")
Traceback (most recent call last):
...
w2s_theory._src.errors.InvalidArgument: teacher_width: must be a positive integer, got 'inf'
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable

import mpmath

from .errors import DecimalFloat, InvalidArgument, check_int, check_real
from .precision import as_precision
from .targets import Target, parse_target

__all__ = ["Param", "PARAMS", "relabel", "option_name", "parse_width", "parse_number",
           "parse_numbers", "parse_int", "parse_ints", "parse_bool", "unknown_key",
           "FAMILY_KEYS", "FEATURE_KEYS", "exact_fraction", "LOSSES", "INIT_LAWS",
           "INPUT_LAWS"]


# --------------------------------------------------------------------------------------
# Parsers: raw value (a string from the command line or a file, or a Python object)
# -> canonical value; each raises InvalidArgument(key, message).

_INF_WORDS = ("inf", "infinity", "infinite")


def parse_number(key, value, *, minimum=None, strict=False, maximum=None,
                 allow_inf=False):
    """A real number that keeps its exact value: ``int``, ``Fraction``, a float, or a
    :class:`DecimalFloat` for decimal strings (and ``inf`` if allowed)."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _INF_WORDS + ("+inf",):
            value = math.inf
        elif text.lstrip("+-").isdigit():
            value = int(text)
        elif "/" in text:
            try:
                value = Fraction(text)
            except (ValueError, ZeroDivisionError):
                raise InvalidArgument(key, f"must be a real number, got {value!r}") \
                    from None
    if isinstance(value, Fraction):
        out = value
        if minimum is not None and (out < minimum or (strict and out == minimum)):
            raise InvalidArgument(key, f"must be {'>' if strict else '>='} {minimum}, "
                                  f"got {value}")
        if maximum is not None and out > maximum:
            raise InvalidArgument(key, f"must be <= {maximum}, got {value}")
        return out
    return check_real(key, value, minimum, maximum, strict_min=strict, allow_inf=allow_inf)


def exact_fraction(x) -> Fraction:
    """The exact rational value of a number (a decimal as written, a float's bits)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, DecimalFloat):
        return Fraction(x.decimal)
    if isinstance(x, mpmath.mpf):
        m, e = mpmath.frexp(x)
        return Fraction(int(mpmath.ldexp(m, mpmath.mp.prec)), 1) * Fraction(2) ** (
            int(e) - mpmath.mp.prec)
    return Fraction(x)


def _items(key, value):
    """A list from a comma-separated string, a scalar or a sequence (non-empty)."""
    if isinstance(value, str):
        items = [s.strip() for s in value.replace(";", ",").split(",") if s.strip()]
    elif isinstance(value, (numbers.Number, Fraction, mpmath.mpf)) and \
            not isinstance(value, bool):
        items = [value]
    else:
        try:
            items = list(value)
        except TypeError:
            raise InvalidArgument(key, f"expected a list, got {value!r}") from None
    if not items:
        raise InvalidArgument(key, f"expected a non-empty list, got {value!r}")
    return items


def parse_numbers(key, value, **limits) -> tuple:
    """A non-empty tuple of exact numbers (see :func:`parse_number`)."""
    return tuple(parse_number(key, v, **limits) for v in _items(key, value))


def parse_int(key, value, minimum=None, maximum=None) -> int:
    """An integer (``"100"``, ``100``, ``1e3`` and ``100.0`` are accepted)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                raise InvalidArgument(key, f"must be an integer, got {value!r}") from None
            if not (math.isfinite(f) and f.is_integer()):
                raise InvalidArgument(key, f"must be an integer, got {value!r}") from None
            value = int(f)
    return check_int(key, value, minimum, maximum)


def parse_ints(key, value, minimum=None, maximum=None) -> tuple:
    return tuple(parse_int(key, v, minimum, maximum) for v in _items(key, value))


def parse_width(key, value, *, allow_inf=False):
    """A width: an integer >= 1, or (``allow_inf``) ``None`` for an infinite width
    (given as ``inf``, ``"inf"`` or ``None``)."""
    if allow_inf and (value is None or (isinstance(value, str) and
                                        value.strip().lower() in _INF_WORDS) or
                      (isinstance(value, float) and value == math.inf)):
        return None
    try:
        return parse_int(key, value, minimum=1)
    except InvalidArgument:
        what = "a positive integer or inf" if allow_inf else "a positive integer"
        raise InvalidArgument(key, f"must be {what}, got {value!r}") from None


def parse_bool(key, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidArgument(key, f"must be true or false, got {value!r}")


def _parse_activation(key, value):
    from .activations import get_activation

    if isinstance(value, str) and not value.strip():
        raise InvalidArgument(key, "must be an activation name, got ''")
    act = get_activation(value.strip() if isinstance(value, str) else value)
    try:                                     # a registered name is stored as the name
        if get_activation(act.name) is act or get_activation(act.name) == act:
            return act.name
    except InvalidArgument:
        pass
    return act


#: the laws of the inputs of activation features
INPUT_LAWS = ("sphere", "gaussian")


def _parse_inputs(key, value) -> str:
    if isinstance(value, str) and value.strip().lower() in INPUT_LAWS:
        return value.strip().lower()
    raise InvalidArgument(key, f"unknown input law {value!r}; known: "
                          + ", ".join(INPUT_LAWS))


def _parse_target(key, value) -> Target:
    try:
        return parse_target(value)
    except InvalidArgument as exc:           # e.g. an activation inside single-index:
        raise InvalidArgument(key, exc.message if exc.argument == "target" else
                              f"{exc.argument}: {exc.message}") from None


def _parse_times(key, value):
    if isinstance(value, (list, tuple)) and not value:
        return None                                   # no times: the teacher and t* only
    return parse_numbers(key, value, minimum=0, allow_inf=True)


def _parse_steps(key, value) -> tuple:
    return parse_ints(key, value, minimum=0)


#: the losses of gradient training: "half" is (1/2) E (f - y)^2 (the theory's own), "mse"
#: is E (f - y)^2 (torch's MSELoss), whose gradient is twice as large
LOSSES = ("half", "mse")


def _parse_loss(key, value):
    """``None`` for the default ``half`` (so that it is not written out), ``"mse"``."""
    if isinstance(value, str) and value.strip().lower() in LOSSES:
        v = value.strip().lower()
        return None if v == "half" else v
    raise InvalidArgument(key, f"unknown loss {value!r}; known: half ((1/2)(f - y)^2, the "
                          "default) or mse ((f - y)^2, torch's MSELoss)")


#: the laws of the initial output weights ``a_i`` (``f = m^-1/2 sum_i a_i phi_i``)
INIT_LAWS = ("zero", "normal", "uniform", "torch")


def _parse_init(key, value):
    """The law of the initial top layer as its canonical string, ``None`` for zero.

    ``zero`` (default); ``normal:S`` (``a_i = S N(0, 1)``; a bare number ``S`` means the
    same); ``uniform:S`` (``a_i ~ U(-S, S)``); ``torch`` (``torch.nn.Linear``'s default
    weights, ``U(-1/sqrt(m), 1/sqrt(m))`` with ``m`` the model's width, on features
    already scaled by ``m^-1/2``). A scale of 0 is the zero initialization."""
    if isinstance(value, (numbers.Real, Fraction, mpmath.mpf)) and \
            not isinstance(value, bool):
        law, scale = "normal", value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in ("zero", "0", "none"):
            return None
        if text == "torch":
            return "torch"
        law, _, scale = text.partition(":")
        law = law.strip()
        if not _:
            law, scale = "normal", text                 # a bare number
            try:
                float(scale)
            except ValueError:
                raise InvalidArgument(key, f"unknown initialization {value!r}; known: "
                                      "zero, normal:SCALE (or a bare SCALE), "
                                      "uniform:SCALE, torch") from None
        if law not in ("normal", "uniform"):
            raise InvalidArgument(key, f"unknown initialization {value!r}; known: zero, "
                                  "normal:SCALE (or a bare SCALE), uniform:SCALE, torch")
    else:
        raise InvalidArgument(key, f"unknown initialization {value!r}; known: zero, "
                              "normal:SCALE (or a bare SCALE), uniform:SCALE, torch")
    try:
        s = parse_number(key, scale.strip() if isinstance(scale, str) else scale)
    except InvalidArgument:
        raise InvalidArgument(key, f"the scale of {law} must be a real number >= 0, got "
                              f"{scale!r}") from None
    if s < 0:
        raise InvalidArgument(key, f"the init scale must be >= 0, got {scale}")
    if s == 0:
        return None
    text = s.decimal if isinstance(s, DecimalFloat) else str(s) if \
        isinstance(s, (int, Fraction)) else repr(float(s))
    return f"{law}:{text}"


def init_variance(init, width):
    """The variance of one initial output weight of a model of width ``width`` (``None``:
    infinitely wide) under the canonical ``init`` string (``None``: zero), exact:
    ``SCALE^2`` (normal), ``SCALE^2/3`` (uniform), ``1/(3 width)`` (torch; 0 for an
    infinite width)."""
    if init is None:
        return 0
    if init == "torch":
        return 0 if width is None else Fraction(1, 3 * int(width))
    law, _, scale = init.partition(":")
    x = exact_fraction(parse_number("init", scale))
    return x * x if law == "normal" else x * x / 3


def _double(x):
    """``2 x`` exactly (a decimal stays a decimal, inf stays inf)."""
    if isinstance(x, DecimalFloat):
        return DecimalFloat(str(Decimal(x.decimal) * 2))
    if isinstance(x, float) and math.isinf(x):
        return x
    return 2 * x


def _parse_samples(key, value):
    """A sample size: a positive integer, or ``inf``/``None`` for the population."""
    return parse_width(key, value, allow_inf=True)


# --------------------------------------------------------------------------------------
# The parameters


@dataclass(frozen=True)
class Param:
    """A parameter: its keyword (= TOML key), option, help and parser."""

    name: str
    parse: Callable
    help: str
    option: str = ""
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return self.option or "--" + self.name.replace("_", "-")


#: the feature families: each a set of keys, one family per setting
FAMILY_KEYS = {
    "sphere": ("activation", "dim", "inputs"),
    "variances": ("variances",),
    "eigenvalues": ("eigenvalues", "multiplicities"),
    "power_law": ("power_law", "power_law_scale"),
}
FEATURE_KEYS = tuple(k for keys in FAMILY_KEYS.values() for k in keys)

PARAMS = {p.name: p for p in [
    Param("activation", _parse_activation,
          "activation on the sphere: relu, step, relu2, relu3, abs, sign, leaky_relu, "
          "erf, tanh, sigmoid, softplus, gelu, relu^p, poly:a0,a1,... (default: relu)"),
    Param("dim", lambda k, v: parse_int(k, v, minimum=2),
          "input dimension d >= 2 (inputs on the sphere S^{d-1})"),
    Param("inputs", _parse_inputs,
          "the law of the inputs of activation features: sphere (uniform on S^{d-1}, the "
          "default) or gaussian (x ~ N(0, I_d); a positively homogeneous activation)",
          metavar="LAW"),
    Param("variances", lambda k, v: parse_numbers(k, v, minimum=0, strict=True),
          "linear random features on x ~ N(0, diag(VARIANCES)): comma-separated numbers "
          "> 0"),
    Param("eigenvalues", lambda k, v: parse_numbers(k, v, minimum=0),
          "a user spectrum: comma-separated eigenvalues >= 0"),
    Param("multiplicities", lambda k, v: parse_ints(k, v, minimum=1),
          "multiplicities of --eigenvalues, integers >= 1 (default: all 1)"),
    Param("power_law", lambda k, v: parse_number(k, v, minimum=1, strict=True),
          "the infinite spectrum lambda_i = SCALE i^-ALPHA, i = 1, 2, ... (ALPHA > 1)",
          metavar="ALPHA"),
    Param("power_law_scale", lambda k, v: parse_number(k, v, minimum=0, strict=True),
          "the SCALE of --power-law (default 1)", metavar="SCALE"),
    Param("target", _parse_target,
          "the target: degree:K, energies:0=0.5,1=1, single-index:NAME, power-law:BETA, "
          "linear:t1,t2,..., sums with '+' (default: degree:1)"),
    Param("teacher_width", lambda k, v: parse_width(k, v),
          "teacher width M_T, a positive integer (default: 100)", metavar="M_T"),
    Param("student_width", lambda k, v: parse_width(k, v, allow_inf=True),
          "student width M_S, a positive integer or inf (default: inf)", metavar="M_S"),
    Param("times", _parse_times,
          "comma-separated stopping times of the student (>= 0, 'inf' allowed)",
          option="--time", metavar="T1,T2,..."),
    Param("lr", lambda k, v: parse_number(k, v, minimum=0, strict=True),
          "learning rate ETA of discrete gradient descent (with --steps, instead of "
          "--time); the loss is 1/2 (f - y)^2", metavar="ETA"),
    Param("steps", _parse_steps,
          "comma-separated numbers of gradient-descent steps (with --lr)",
          metavar="K1,K2,..."),
    Param("loss", _parse_loss,
          "the training loss of both models: half ((1/2)(f - y)^2, the default, the "
          "theory's own time) or mse ((f - y)^2, torch's MSELoss: its gradient is twice "
          "as large, so time t and learning rate ETA are time 2t and rate 2 ETA of half)",
          metavar="LOSS"),
    Param("init", _parse_init,
          "the initial top layer a_i of the models (f = m^-1/2 sum_i a_i phi_i): zero "
          "(default), normal:SCALE (a_i = SCALE N(0,1); a bare SCALE means the same), "
          "uniform:SCALE (a_i ~ U(-SCALE, SCALE)), or torch (nn.Linear's default, "
          "U(-1/sqrt(m), 1/sqrt(m)) for width m); SCALE >= 0", metavar="LAW"),
    Param("batch", lambda k, v: parse_width(k, v, allow_inf=True),
          "online SGD's batch size B of the student (with --lr/--steps): fresh batches "
          "of B inputs per step; its noise is in the theory for an infinitely wide "
          "student on a finite Gaussian spectrum (variances, eigenvalues), and the exact "
          "simulation's expectation for Gaussian features (default: inf, gradient "
          "descent on the population loss)", metavar="B"),
    Param("samples", lambda k, v: _parse_samples(k, v),
          "the teacher's training samples n_T, a positive integer (default: the "
          "population); fitted on (1/n) sum_i (f(x_i) - y_i)^2 + RIDGE ||a||^2 "
          "(a_i the output weights, f = m^-1/2 sum a_i phi_i)", metavar="N_T"),
    Param("student_samples", lambda k, v: _parse_samples(k, v),
          "the student's training samples n_S, fresh inputs labelled by the teacher, a "
          "positive integer (default: the population)", metavar="N_S"),
    Param("ridge", lambda k, v: parse_number(k, v, minimum=0),
          "the teacher's ridge penalty LAMBDA >= 0 (default 0: least squares; with fewer "
          "samples than features the minimum-norm interpolator)", metavar="LAMBDA"),
    Param("teacher_time", lambda k, v: parse_number(k, v, minimum=0, strict=True,
                                                    allow_inf=True),
          "train the teacher by gradient flow on its samples for this time (instead of "
          "--ridge; inf is the ridge-0 limit)", metavar="T_T"),
    Param("student_ridge", lambda k, v: parse_numbers(k, v, minimum=0),
          "comma-separated ridge penalties of the student (instead of --time: the "
          "student fitted by ridge regression on its samples; 0 is least squares, the "
          "minimum-norm interpolator with fewer samples than features)",
          metavar="L1,L2,..."),
    Param("noise", lambda k, v: parse_number(k, v, minimum=0),
          "variance SIGMA2 >= 0 of the label noise on the teacher's samples (default 0)",
          metavar="SIGMA2"),
    Param("shared_inputs", parse_bool,
          "label the teacher's own training inputs for the student (not supported: no "
          "verified deterministic equivalent; the student's inputs are fresh)",
          metavar="BOOL"),
    Param("precision", lambda k, v: as_precision(v, k),
          "significant digits (>= 15) computed with mpmath; numbers are then printed as "
          "decimal strings (default: float64)", option="--digits", metavar="DIGITS"),
]}


def option_name(key: str) -> str:
    """The command-line option of a parameter key (``"times"`` -> ``"--time"``)."""
    p = PARAMS.get(key)
    return p.flag if p is not None else "--" + key.replace("_", "-")


def relabel(exc: InvalidArgument, name: Callable[[str], str]) -> InvalidArgument:
    """The same error, naming the argument as the caller calls it."""
    return InvalidArgument(name(exc.argument), exc.message)


def unknown_key(key: str, known, where: str = ""):
    """The error for a key no parameter has, with the close matches."""
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    hint = ("did you mean " + " or ".join(repr(c) for c in close) + "?") if close else \
        "known keys: " + ", ".join(known)
    return InvalidArgument(where or key, f"unknown key {key!r}; {hint}")
