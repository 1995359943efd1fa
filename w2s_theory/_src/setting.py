r"""The setting of a computation: one immutable, validated description for every entry point.

A :class:`Setting` says *what* is computed: the features (a feature family and its
parameters), the target, the teacher's and the student's widths, the student's training
(stopping times, or a learning rate and numbers of gradient-descent steps) and the
precision. :func:`~w2s_theory._src.theory.risk_curve`, :func:`~w2s_theory._src.simulation.
simulate`, the report, the command line and the worker processes all take one; it is
built once - from keyword arguments, a TOML table or command-line options - and
validated once, here.

Every parameter is declared once in :data:`PARAMS` (its keyword, which is also its TOML
key; its command-line option; its help; its parser). Bad input raises
:class:`~w2s_theory._src.errors.InvalidArgument` carrying the parameter's key; the
builders for other callers re-label it with the caller's own name for it
(:func:`relabel`: the option ``--teacher-width`` on the command line, ``file.toml:
teacher_width`` in a file), so an error always names what the user typed.

Numbers keep the digits the user gave: a decimal string stays exact
(:class:`~w2s_theory._src.errors.DecimalFloat`), a :class:`fractions.Fraction` is exact,
and both are converted to the working precision only where the computation runs
(:meth:`Precision.scalar`, inside its context).

>>> s = Setting(dim=6, teacher_width=100, times="300,1000")
>>> s.activation, s.dim, str(s.target), s.student_width, s.times
('relu', 6, 'degree:1', None, (300, 1000))
>>> Setting.from_toml(s.to_toml()) == s                          # round trip
True
>>> s.replace(student_width="inf") == s
True
>>> Setting(dim=6, teacher_width=0)
Traceback (most recent call last):
...
w2s_theory._src.errors.InvalidArgument: teacher_width: must be a positive integer, got 0
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import numbers
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Callable

import mpmath

from .errors import DecimalFloat, InvalidArgument, check_int, check_real
from .precision import FLOAT64, Precision, as_precision
from .spectra import (FiniteSpectrum, GaussianInputSpectrum, LinearGaussianSpectrum,
                      PowerLawSpectrum, Spectrum, SphereSpectrum)
from .targets import Target, parse_target

__all__ = ["Param", "PARAMS", "Setting", "relabel", "option_name", "parse_width",
           "parse_number", "parse_numbers", "parse_int", "parse_ints", "parse_bool",
           "unknown_key", "load_toml_text", "toml_value", "FAMILY_KEYS", "FEATURE_KEYS",
           "exact_fraction", "features"]


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


# --------------------------------------------------------------------------------------
# The setting


def _family_of(values: dict) -> list:
    """The families whose keys are set (not ``None``) in ``values``."""
    return [fam for fam, keys in FAMILY_KEYS.items()
            if any(values.get(k) is not None for k in keys)]


def _spectrum_keys(spectrum: Spectrum) -> dict:
    """The feature keys describing a spectrum object."""
    if isinstance(spectrum, (SphereSpectrum, GaussianInputSpectrum)):
        return {"activation": _parse_activation("activation", spectrum.activation),
                "dim": spectrum.d, "inputs": "gaussian" if isinstance(
                    spectrum, GaussianInputSpectrum) else "sphere"}
    if isinstance(spectrum, LinearGaussianSpectrum):
        return {"variances": tuple(spectrum.variances)}
    if isinstance(spectrum, FiniteSpectrum):
        mult = tuple(spectrum.multiplicities)
        return {"eigenvalues": tuple(spectrum.eigenvalues),
                "multiplicities": None if all(m == 1 for m in mult) else mult}
    if isinstance(spectrum, PowerLawSpectrum):
        return {"power_law": spectrum.alpha,
                "power_law_scale": None if spectrum.scale == 1 else spectrum.scale}
    raise InvalidArgument("spectrum", f"expected a Spectrum, got {spectrum!r}")


def features(keys: dict, spectrum: Spectrum | None = None):
    """``(keys, spectrum)``: the feature keys checked and completed (one family; the
    sphere by default, with ``relu``), and the spectrum they describe; or, given a
    spectrum object, the keys that describe it. Errors name the feature keys.

    >>> keys, spec = features({"power_law": "1.5"})
    >>> keys["power_law"], spec.kind
    (1.5, 'power-law')
    """
    keys = {k: keys.get(k) for k in FEATURE_KEYS}
    for k, v in keys.items():
        if v is not None:
            keys[k] = PARAMS[k].parse(k, v)
    if spectrum is not None:
        if not isinstance(spectrum, Spectrum):
            raise InvalidArgument("spectrum", f"expected a Spectrum, got {spectrum!r}")
        theirs = _spectrum_keys(spectrum)
        set_keys = {k: v for k, v in keys.items() if v is not None}
        if set_keys and set_keys != {k: v for k, v in theirs.items() if v is not None}:
            raise InvalidArgument(next(iter(set_keys)), "give the features either as a "
                                  "spectrum or as keys, not both")
        return {**keys, **theirs}, spectrum
    families = _family_of(keys)
    if len(families) > 1:
        named = [k for fam in families for k in FAMILY_KEYS[fam] if keys.get(k) is not None]
        raise InvalidArgument(named[-1], "give only one feature family (got "
                              + ", ".join(named) + ")")
    fam = families[0] if families else "sphere"
    if keys["multiplicities"] is not None and keys["eigenvalues"] is None:
        raise InvalidArgument("multiplicities", "goes with eigenvalues")
    if keys["power_law_scale"] is not None and keys["power_law"] is None:
        raise InvalidArgument("power_law_scale", "goes with power_law")
    if fam == "sphere":
        if keys["activation"] is None:
            keys["activation"] = "relu"
        if keys["inputs"] is None:
            keys["inputs"] = "sphere"
        if keys["dim"] is None:
            raise InvalidArgument("dim", "required for features on the sphere "
                                  "(e.g. dim = 6)")
    return keys, _build_spectrum(fam, keys)


def _build_spectrum(family: str, k: dict) -> Spectrum:
    key = FAMILY_KEYS[family][0]
    try:
        if family == "sphere":
            if k["inputs"] == "gaussian":
                return GaussianInputSpectrum(k["activation"], k["dim"])
            return SphereSpectrum(k["activation"], k["dim"])
        if family == "variances":
            return LinearGaussianSpectrum(list(k["variances"]))
        if family == "eigenvalues":
            return FiniteSpectrum(list(k["eigenvalues"]), None if k["multiplicities"]
                                  is None else list(k["multiplicities"]))
        scale = 1 if k["power_law_scale"] is None else k["power_law_scale"]
        return PowerLawSpectrum(k["power_law"], scale)
    except InvalidArgument as exc:
        # the spectrum's own argument names are this setting's keys where they differ
        arg = {"dim": "dim", "activation": "activation", "inputs": "inputs",
               "multiplicities": "multiplicities", "scale": "power_law_scale"}.get(
            exc.argument, key)
        raise InvalidArgument(arg, exc.message) from None


@dataclass(frozen=True)
class Setting:
    """What is computed (see the module docstring). Immutable; ``.replace(**changes)``
    returns a new, re-validated setting.

    Fields are the parameter keys of :data:`PARAMS`; ``spectrum`` may instead be given
    as a :class:`~w2s_theory._src.spectra.Spectrum` object (the feature keys are then
    read from it). ``student_width=None`` is an infinitely wide student. ``times`` and
    ``(lr, steps)`` are alternatives: stopping times of gradient flow, or a learning
    rate and numbers of steps of gradient descent (``time = lr * steps``).

    Finite samples (``docs/finite_samples.md``): ``samples`` (the teacher's ``n_T``),
    ``student_samples`` (``n_S`` fresh inputs labelled by the teacher), ``noise`` (label
    noise on the teacher's samples), and each model's training: ridge (``ridge``,
    ``student_ridge``) or gradient flow (``teacher_time``, ``times``). Ridge 0 is least
    squares, and with fewer samples than features the minimum-norm interpolator (the
    limit of ridge as the penalty goes to 0, and of gradient flow from zero as the time
    goes to infinity); with as many samples as features it is refused (the
    interpolation threshold, where that fit's risk is infinite).
    """

    activation: object = None
    dim: int | None = None
    inputs: str | None = None
    variances: tuple | None = None
    eigenvalues: tuple | None = None
    multiplicities: tuple | None = None
    power_law: object = None
    power_law_scale: object = None
    target: object = "degree:1"
    teacher_width: int = 100
    student_width: int | None = None
    times: tuple | None = None
    lr: object = None
    steps: tuple | None = None
    loss: str | None = None
    init: str | None = None
    batch: int | None = None
    samples: int | None = None
    student_samples: int | None = None
    ridge: object = None
    teacher_time: object = None
    student_ridge: tuple | None = None
    noise: object = None
    shared_inputs: bool | None = None
    precision: Precision = FLOAT64
    spectrum: Spectrum | None = field(default=None, compare=False, repr=False)

    # -- validation ------------------------------------------------------------------
    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        for key, param in PARAMS.items():
            v = getattr(self, key)
            if v is None:                     # "not given": the default, if there is one
                v = _DEFAULTS[key]
                set_(key, v)
            if v is not None:
                set_(key, param.parse(key, v))
        keys, spectrum = features({k: getattr(self, k) for k in FEATURE_KEYS},
                                  self.spectrum)
        for k, v in keys.items():
            set_(k, v)
        set_("spectrum", spectrum)
        self._check_widths()
        self._check_training()
        self._check_samples()
        self._check_init()
        try:
            self.bound_target                                    # validates, cached
        except InvalidArgument as exc:
            raise InvalidArgument("target", exc.message) from None

    def _check_widths(self):
        rank = self.spectrum.rank()
        if rank is None:
            return
        if self.teacher_width >= rank:
            raise InvalidArgument(
                "teacher_width", f"must be below the number of non-zero eigendirections "
                f"of the kernel ({rank}); at {self.teacher_width} the teacher fits every "
                "direction exactly")
        if self.student_width is not None and self.student_width > rank:
            raise InvalidArgument(
                "student_width", f"must be at most the number of non-zero "
                f"eigendirections of the kernel ({rank}), got {self.student_width}")

    def _check_training(self):
        if self.lr is not None and self.times is not None:
            raise InvalidArgument("lr", "give either times or a learning rate with steps, "
                                  "not both")
        if self.steps is not None and self.times is not None:
            raise InvalidArgument("steps", "give either times or a learning rate with "
                                  "steps, not both")
        if (self.lr is None) != (self.steps is None):
            missing = "steps" if self.steps is None else "lr"
            raise InvalidArgument(missing, "a learning rate and numbers of steps go "
                                  f"together: give {missing} too")
        if self.batch is not None:
            if self.lr is None:
                raise InvalidArgument("batch", "online SGD runs steps: give lr and steps "
                                      "(a batch size has no meaning for gradient flow)")
            if self.has_samples:
                raise InvalidArgument("batch", "online SGD draws fresh inputs: it has no "
                                      "finite training set (drop samples, or batch)")

    def _check_samples(self):
        """The finite-sample parameters (``docs/finite_samples.md``): one training per
        model, gradient flow or ridge; what the theory does not cover is refused."""
        if self.shared_inputs:
            raise InvalidArgument("shared_inputs", "not supported: a student labelled on "
                                  "the teacher's own inputs is correlated with the "
                                  "teacher's fit, and no verified deterministic "
                                  "equivalent covers it; the student's inputs are fresh")
        if self.ridge is not None and self.teacher_time is not None:
            raise InvalidArgument("teacher_time", "give either ridge or teacher_time "
                                  "(gradient flow), not both")
        if self.student_ridge is not None and (self.times is not None or
                                               self.lr is not None):
            raise InvalidArgument("student_ridge", "give either student_ridge or the "
                                  "student's times (or lr and steps), not both")
        if self.noise is not None and self.samples is None:
            raise InvalidArgument("noise", "label noise enters only a teacher fitted on "
                                  "finitely many samples: give samples")
        if self.has_samples and self.lr is not None:
            raise InvalidArgument("lr", "gradient descent with finite samples, ridge or "
                                  "noise is not covered: use times (gradient flow) or "
                                  "student_ridge")
        rank = self.spectrum.rank()
        for key, n, m in (("samples", self.samples, self.teacher_width),
                          ("student_samples", self.student_samples, self.student_width)):
            lam0 = (self.ridge in (None, 0) and self.teacher_time is None) if \
                key == "samples" else (self.student_ridge is not None and
                                       any(x == 0 for x in self.student_ridge))
            if n is not None and m is not None and n == m and lam0 and \
                    (rank is None or n < rank):
                raise InvalidArgument(key, f"equals the width ({n}) with ridge 0: the "
                                      "interpolation threshold, where the ridgeless fit's "
                                      "risk is infinite; give a positive ridge")

    def _check_init(self):
        if self.init is not None and self.has_samples:
            raise InvalidArgument("init", "a random initial top layer with finite samples "
                                  "is not covered (its decay on the samples' kernel needs "
                                  "a two-matrix equivalent): use the population setting "
                                  "or init = zero")

    @property
    def loss_name(self) -> str:
        """``"half"`` (the theory's loss, default) or ``"mse"``."""
        return self.loss or "half"

    def half_loss(self) -> "Setting":
        r"""The same training written in the theory's own convention, the loss
        :math:`\tfrac12(f - y)^2`: with ``loss = "mse"`` every gradient is twice as
        large, so gradient flow for time ``t`` is the theory's time ``2t``, and gradient
        descent with learning rate :math:`\eta` is the theory's rate :math:`2\eta` (the
        same steps); a teacher's ``teacher_time`` likewise. Ridge penalties are defined
        on the mean squared error either way (unchanged). This is the one place where the
        loss is mapped: the engine and the simulators compute with the returned setting
        and report times in the caller's units.

        >>> Setting(dim=6, times=[1, 2.5], loss="mse").half_loss().times
        (2, 5.0)
        >>> Setting(dim=6, lr="0.1", steps=[10], loss="mse").half_loss().lr.decimal
        '0.2'
        """
        if self.loss is None:
            return self
        changes = {"loss": None}
        if self.times is not None:
            changes["times"] = tuple(_double(t) for t in self.times)
        if self.lr is not None:
            changes["lr"] = _double(self.lr)
        if self.teacher_time is not None:
            changes["teacher_time"] = _double(self.teacher_time)
        return dataclasses.replace(self, **changes)

    def time_factor(self) -> int:
        """Theory time per unit of the caller's time: 2 for ``mse``, else 1."""
        return 2 if self.loss == "mse" else 1

    def init_variance(self, width):
        """The variance of one initial output weight :math:`a_i` of a model of width
        ``width`` (``None``: infinitely wide), exact: ``SCALE^2`` (normal), ``SCALE^2/3``
        (uniform), ``1/(3 width)`` (torch; 0 for an infinite width), 0 (zero).

        >>> Setting(dim=6, init="torch").init_variance(100)
        Fraction(1, 300)
        >>> Setting(dim=6, init="uniform:0.3").init_variance(None)
        Fraction(3, 100)
        """
        if self.init is None:
            return 0
        if self.init == "torch":
            return 0 if width is None else Fraction(1, 3 * int(width))
        law, _, scale = self.init.partition(":")
        x = exact_fraction(parse_number("init", scale))
        return x * x if law == "normal" else x * x / 3

    @property
    def has_samples(self) -> bool:
        """Whether a finite-sample parameter is set (the theory of
        ``docs/finite_samples.md``; otherwise the population theory)."""
        return any(getattr(self, k) is not None for k in (
            "samples", "student_samples", "ridge", "teacher_time", "student_ridge",
            "noise"))

    # -- derived ---------------------------------------------------------------------
    @cached_property
    def bound_target(self):
        """The target bound to the spectrum (its energies per block)."""
        return self.target.bind(self.spectrum)

    @property
    def digits(self) -> int | None:
        """The number of significant digits (``None``: float64)."""
        return self.precision.digits

    @property
    def family(self) -> str:
        """``"sphere"``, ``"variances"``, ``"eigenvalues"`` or ``"power_law"``."""
        return _family_of({k: getattr(self, k) for k in PARAMS})[0]

    @property
    def is_discrete(self) -> bool:
        """Gradient descent with a learning rate and steps (not gradient flow)."""
        return self.lr is not None

    def training_times(self) -> tuple:
        """The student's training times: ``times``, or ``lr * steps`` (exact)."""
        if self.times is not None:
            return self.times
        if self.steps is None:
            return ()
        lr = exact_fraction(self.lr)
        return tuple(lr * k for k in self.steps)

    def replace(self, **changes) -> "Setting":
        """A new, re-validated setting with ``changes``. Feature keys of another family
        replace the whole family; ``times`` replaces ``lr``/``steps`` and vice versa."""
        feature_keys = FEATURE_KEYS
        named = {k: changes[k] for k in feature_keys if k in changes}
        if "spectrum" in changes:
            changes = {**{k: None for k in feature_keys}, **changes}
        elif named:
            new = _family_of(named)
            keep = self._features() if not new or new == [self.family] else {}
            changes = {**{k: None for k in feature_keys}, **keep, "spectrum": None,
                       **changes}
        if changes.get("times") is not None:
            changes = {"lr": None, "steps": None, "student_ridge": None, **changes}
        if changes.get("student_ridge") is not None:
            changes = {"times": None, "lr": None, "steps": None, **changes}
        if changes.get("ridge") is not None:
            changes = {"teacher_time": None, **changes}
        if changes.get("teacher_time") is not None:
            changes = {"ridge": None, **changes}
        if changes.get("lr") is not None or changes.get("steps") is not None:
            changes = {"times": None, "student_ridge": None, **changes}
        return dataclasses.replace(self, **changes)

    def __hash__(self):
        # computed once: exact numbers (long tuples of fractions) hash slowly, and the
        # simulators look settings up in a cache once per seed
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(getattr(self, k) for k in PARAMS))
            self.__dict__["_hash"] = h
        return h

    def __reduce__(self):
        # pickled by its keys (worker processes rebuild the spectrum, which may hold
        # closures that do not pickle)
        return (_rebuild, ({k: getattr(self, k) for k in PARAMS},))

    def _features(self) -> dict:
        return {k: getattr(self, k) for k in FEATURE_KEYS}

    # -- description and serialization ------------------------------------------------
    def describe_features(self, tex: bool = False) -> str:
        """The features in words: plain for the terminal, with ``$...$`` math for
        figures (``tex=True``)."""
        fam = self.family
        if fam == "sphere":
            name = _name(self.activation)
            if self.inputs == "gaussian":
                if tex:
                    return (f"{name} features on $x \\sim N(0, I_{{{self.dim}}})$ "
                            f"(d = {self.dim})")
                return f"{name} features, x ~ N(0, I_{self.dim})"
            if tex:
                return f"{name} features on $S^{{{self.dim - 1}}}$ (d = {self.dim})"
            return f"{name} features, d = {self.dim}"
        if fam == "variances":
            return f"linear features on Gaussian data ({len(self.variances)} variances)"
        if fam == "eigenvalues":
            return f"user spectrum ({len(self.eigenvalues)} eigenvalues)"
        alpha = float(self.power_law)
        if tex:
            return f"power-law spectrum i^-{alpha:g}"
        return f"power-law spectrum, alpha = {alpha:g}"

    def to_dict(self) -> dict:
        """The keys that are set, as plain JSON values (numbers as floats, or as their
        exact decimal strings when they were given as decimals at a precision above
        float64; the target as its string; an infinite student width as ``"inf"``)."""
        out = {}
        for key in PARAMS:
            v = getattr(self, key)
            if key == "precision":
                v = v.digits
            if v is None and key != "student_width":
                continue
            out[key] = _plain(key, v)
        return out

    def to_toml(self, header: str = "") -> str:
        """TOML text that :meth:`from_toml` reads back to an equal setting."""
        lines = [f"# {ln}" if ln else "#" for ln in header.splitlines()]
        for key, v in self.to_dict().items():
            lines.append(f"{key} = {toml_value(_exact(getattr(self, key), v))}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_toml(cls, text: str, name: str = "<toml>") -> "Setting":
        """A setting from TOML text; errors name ``name: key``."""
        return cls.from_values(load_toml_text(text, name),
                               label=lambda k: f"{name}: {k}")

    @classmethod
    def from_values(cls, values: dict, label: Callable[[str], str] = lambda k: k,
                    defaults: dict | None = None) -> "Setting":
        """A setting from raw values (strings or Python objects) keyed by parameter key;
        errors are re-labelled by ``label(key)`` (e.g. the command-line option)."""
        values = {k: v for k, v in values.items() if v is not None}
        for key, v in values.items():
            if key not in PARAMS and key != "spectrum":
                raise unknown_key(key, list(PARAMS), label(key))
            if isinstance(v, dict):
                raise InvalidArgument(label(key), "expected a value, got a table")
        try:
            return cls(**{**(defaults or {}), **values})
        except InvalidArgument as exc:
            raise relabel(exc, label) from None


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Setting)}


def _rebuild(keys: dict) -> Setting:
    return Setting(**keys)


def _name(activation) -> str:
    return activation if isinstance(activation, str) else activation.name


def _plain(key, v):
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


def _exact(value, plain):
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
