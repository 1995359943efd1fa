r"""The setting of a report: its keys, defaults, validation, TOML loading and writing.

A setting is a flat table of keys (the TOML keys are the command-line options with ``-``
turned into ``_``: ``--teacher-width`` is ``teacher_width``). It is assembled from
layers, later layers overriding earlier ones: the defaults, then a TOML file
(``--config``), then the command-line flags. The feature family is one choice among
``activation``/``dim`` (features on the sphere), ``variances`` (linear features on
Gaussian data), ``eigenvalues``/``multiplicities`` (a user spectrum) and ``power_law``:
a layer that names one family drops the family of the layers below it.

>>> s = build_setting({"teacher_width": [50, 100]}, {"dim": 6})
>>> s.activation, s.dim, s.teacher_width, s.student_width
('relu', 6, (50, 100), 'inf')
>>> build_setting({"variances": [1, 0.5]}).activation is None
True
>>> load_toml_text('teacher_widht = [10]', "s.toml")
Traceback (most recent call last):
...
w2s_theory._src.report.settings.SettingError: s.toml: unknown key 'teacher_widht'; did you mean 'teacher_width'?
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import numbers
import tomllib
from dataclasses import dataclass

__all__ = ["ReportSetting", "SettingError", "DEFAULTS", "KEYS", "build_setting",
           "load_toml", "load_toml_text", "check_values", "to_toml"]


class SettingError(ValueError):
    """A bad setting value or file. ``key`` names the setting key (or ``None`` for the
    file as a whole); ``str(err)`` is a one-line message."""

    def __init__(self, key, message):
        self.key = key
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class ReportSetting:
    """A complete, validated setting (see the module docstring for the keys)."""

    activation: str | None = "relu"
    dim: int | None = 10
    variances: tuple | None = None
    eigenvalues: tuple | None = None
    multiplicities: tuple | None = None
    power_law: float | None = None
    target: str = "degree:1"
    teacher_width: tuple = (20, 50, 100, 200, 400, 800)
    student_width: object = "inf"
    time_range: tuple | None = None           # None: chosen from the spectrum and widths
    time_points: int = 200
    simulation: bool = True
    seeds: int = 10
    seed: int = 0
    sim_points: int = 12
    sim_max_width: int = 1000

    def replace(self, **changes) -> "ReportSetting":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict (lists for tuples; ``None`` for keys not set)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @property
    def family(self) -> str:
        for key in ("variances", "eigenvalues", "power_law"):
            if getattr(self, key) is not None:
                return key
        return "sphere"

    def describe_features(self, tex: bool = False) -> str:
        """The features in words: plain for the terminal, with ``$...$`` math for the
        figures (``tex=True``)."""
        if self.family == "sphere":
            if tex:
                return (f"{self.activation} features on $S^{{{self.dim - 1}}}$ "
                        f"(d = {self.dim})")
            return f"{self.activation} features, d = {self.dim}"
        if self.family == "variances":
            return f"linear features on Gaussian data ({len(self.variances)} variances)"
        if self.family == "eigenvalues":
            return f"user spectrum ({len(self.eigenvalues)} eigenvalues)"
        if tex:
            return f"power-law spectrum i^-{self.power_law:g}"
        return f"power-law spectrum, alpha = {self.power_law:g}"

    def spectrum(self):
        """The :class:`~w2s_theory._src.spectra.Spectrum` the setting describes."""
        from ..spectra import (FiniteSpectrum, LinearGaussianSpectrum, PowerLawSpectrum,
                               SphereSpectrum)

        if self.variances is not None:
            return LinearGaussianSpectrum(list(self.variances))
        if self.eigenvalues is not None:
            return FiniteSpectrum(list(self.eigenvalues), None if self.multiplicities is None
                                  else list(self.multiplicities))
        if self.power_law is not None:
            return PowerLawSpectrum(self.power_law)
        return SphereSpectrum(self.activation or "relu", self.dim)


#: Every key with its default.
DEFAULTS = ReportSetting().to_dict()
KEYS = list(DEFAULTS)

_SPHERE = ("activation", "dim")
_OTHER = ("variances", "eigenvalues", "multiplicities", "power_law")
_DOC = {
    "activation": "activation on the sphere (relu, tanh, ...)",
    "dim": "input dimension d >= 2",
    "variances": "linear features on N(0, diag(variances)): a list of numbers > 0",
    "eigenvalues": "a user spectrum: a list of eigenvalues >= 0",
    "multiplicities": "multiplicities of the eigenvalues: a list of integers >= 1",
    "power_law": "the spectrum lambda_i = i^-ALPHA: a number > 1",
    "target": "degree:1, energies:0=0.5,1=1, single-index:relu, ... (see w2s risk)",
    "teacher_width": "teacher widths M_T: a list of integers >= 1",
    "student_width": "student width M_S: an integer >= 1 or \"inf\"",
    "time_range": "[t_min, t_max] of the time grid, 0 < t_min < t_max, or \"auto\"",
    "time_points": "points of the theory's time grid: an integer in [10, 5000]",
    "simulation": "run the exact simulation beside the theory: true or false",
    "seeds": "draws of the weights per teacher width: an integer >= 1",
    "seed": "root seed: an integer >= 0",
    "sim_points": "simulated times (log-spaced over the time range; t* is added): "
                  "an integer in [1, 200]",
    "sim_max_width": "simulate only teacher widths up to this: an integer >= 1",
}


# --------------------------------------------------------------------------------------
# value checks: one function per kind of value; `where` names the key for the message


def _fail(where, key, message):
    raise SettingError(key, f"{where}: {message}")


def _int(where, key, v, lo=None, hi=None):
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            _fail(where, key, f"must be an integer, got {v!r}")
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) \
            or v != int(v):
        _fail(where, key, f"must be an integer, got {v!r}")
    v = int(v)
    if lo is not None and v < lo:
        _fail(where, key, f"must be an integer >= {lo}, got {v}")
    if hi is not None and v > hi:
        _fail(where, key, f"must be an integer <= {hi}, got {v}")
    return v


def _real(where, key, v, lo=None, strict=False):
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            _fail(where, key, f"must be a number, got {v!r}")
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        _fail(where, key, f"must be a finite number, got {v!r}")
    v = float(v)
    if lo is not None and (v < lo or (strict and v == lo)):
        _fail(where, key, f"must be {'>' if strict else '>='} {lo:g}, got {v:g}")
    return v


def _list(where, key, v):
    if isinstance(v, str):
        v = [s for s in v.replace(";", ",").split(",") if s.strip()]
    elif isinstance(v, (numbers.Real,)) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, (list, tuple)) or not v:
        _fail(where, key, f"expected a non-empty list, got {v!r}")
    return list(v)


def _str(where, key, v):
    if not isinstance(v, str) or not v.strip():
        _fail(where, key, f"must be a non-empty string, got {v!r}")
    return v.strip()


def _student_width(where, key, v):
    if isinstance(v, str) and v.strip().lower() in ("inf", "infinity", "infinite"):
        return "inf"
    if isinstance(v, float) and math.isinf(v) and v > 0:
        return "inf"
    try:
        return _int(where, key, v, lo=1)
    except SettingError:
        _fail(where, key, f"must be an integer >= 1 or 'inf', got {v!r}")


def _time_range(where, key, v):
    if v is None or (isinstance(v, str) and v.strip().lower() == "auto"):
        return None
    items = _list(where, key, v)
    if len(items) != 2:
        _fail(where, key, f"expected two times T_MIN,T_MAX (or 'auto'), got {v!r}")
    a, b = (_real(where, key, x, lo=0, strict=True) for x in items)
    if not a < b:
        _fail(where, key, f"needs T_MIN < T_MAX, got {a:g} >= {b:g}")
    return (a, b)


def _bool(where, key, v):
    if isinstance(v, bool):
        return v
    _fail(where, key, f"must be true or false, got {v!r}")


def _check(key, v, where):
    if key == "activation":
        return _str(where, key, v)
    if key == "dim":
        return _int(where, key, v, lo=2)
    if key in ("variances", "eigenvalues"):
        return tuple(_real(where, key, x, lo=0, strict=key == "variances")
                     for x in _list(where, key, v))
    if key == "multiplicities":
        return tuple(_int(where, key, x, lo=1) for x in _list(where, key, v))
    if key == "power_law":
        return _real(where, key, v, lo=1, strict=True)
    if key == "target":
        return _str(where, key, v)
    if key == "teacher_width":
        widths = [_int(where, key, x, lo=1) for x in _list(where, key, v)]
        return tuple(sorted(set(widths)))
    if key == "student_width":
        return _student_width(where, key, v)
    if key == "time_range":
        return _time_range(where, key, v)
    if key == "time_points":
        return _int(where, key, v, lo=10, hi=5000)
    if key == "simulation":
        return _bool(where, key, v)
    if key == "seeds":
        return _int(where, key, v, lo=1)
    if key == "seed":
        return _int(where, key, v, lo=0)
    if key == "sim_points":
        return _int(where, key, v, lo=1, hi=200)
    if key == "sim_max_width":
        return _int(where, key, v, lo=1)
    raise AssertionError(key)  # pragma: no cover


def check_values(values: dict, where=lambda key: key) -> dict:
    """Validated copies of ``values`` (a layer); ``where(key)`` is the label of a key in
    messages (``--teacher-width``, or ``setting.toml: teacher_width``)."""
    out = {}
    for key, v in values.items():
        if key not in DEFAULTS:
            _unknown(key, "", None)
        out[key] = _check(key, v, where(key))
    return out


def _unknown(key, prefix, source):
    close = difflib.get_close_matches(key, KEYS, n=3, cutoff=0.6)
    hint = ("; did you mean " + " or ".join(repr(c) for c in close) + "?") if close else \
        "; known keys: " + ", ".join(KEYS)
    raise SettingError(None, f"{prefix}unknown key {key!r}{hint}")


# --------------------------------------------------------------------------------------
# layers


def _family_keys(layer):
    sphere = [k for k in _SPHERE if k in layer]
    other = [k for k in _OTHER if k in layer]
    return sphere, other


def build_setting(*layers, labels=None) -> ReportSetting:
    """A :class:`ReportSetting` from layers of (already validated) values over the
    defaults; later layers win. ``labels[i](key)`` names a key of layer ``i`` in
    messages."""
    merged = dict(DEFAULTS)
    for i, layer in enumerate(layers):
        layer = {k: v for k, v in layer.items() if v is not None or k == "time_range"}
        label = (labels[i] if labels else (lambda k: k))
        sphere, other = _family_keys(layer)
        non_mult = [k for k in other if k != "multiplicities"]
        if len(non_mult) > 1 or (non_mult and sphere):
            names = [label(k) for k in sphere + non_mult]
            raise SettingError(names[-1], f"{names[-1]}: give only one feature family "
                                          f"(got {', '.join(names)})")
        if "multiplicities" in layer and "eigenvalues" not in layer and \
                merged.get("eigenvalues") is None:
            key = label("multiplicities")
            raise SettingError("multiplicities", f"{key}: goes with eigenvalues")
        if non_mult:                      # another family replaces everything below
            for k in _SPHERE + _OTHER:
                merged[k] = None
        elif sphere and merged.get("activation") is None and merged.get("dim") is None:
            # switching back to the sphere: the sphere defaults apply again
            for k in _OTHER:
                merged[k] = None
            merged["activation"] = DEFAULTS["activation"]
            merged["dim"] = DEFAULTS["dim"]
        elif sphere:
            for k in _OTHER:
                merged[k] = None
        merged.update(layer)
    if merged.get("variances") is None and merged.get("eigenvalues") is None and \
            merged.get("power_law") is None:
        if merged.get("activation") is None:
            merged["activation"] = DEFAULTS["activation"]
        if merged.get("dim") is None:
            raise SettingError("dim", "dim: required for features on the sphere")
    tuples = {k: tuple(v) if isinstance(v, list) else v for k, v in merged.items()}
    return ReportSetting(**tuples)


# --------------------------------------------------------------------------------------
# TOML


def load_toml_text(text: str, name: str) -> dict:
    """Validated values of a TOML text (``name`` labels the messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(None, f"{name}: not valid TOML: {exc}") from None
    for key, v in data.items():
        if key not in DEFAULTS:
            _unknown(key, f"{name}: ", name)
        if isinstance(v, dict):
            raise SettingError(key, f"{name}: {key}: expected a value, got a table")
    return check_values(data, where=lambda key: f"{name}: {key}")


def load_toml(path) -> dict:
    """Validated values of a TOML file; unreadable or malformed files raise
    :class:`SettingError` with a one-line message."""
    import os

    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise SettingError(None, f"cannot read {name!r}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingError(None, f"{name}: not valid TOML: not UTF-8 text") from None
    return load_toml_text(text, name)


def _toml_value(v) -> str:
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
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def to_toml(setting: ReportSetting, header: str = "") -> str:
    """The setting as TOML text that :func:`load_toml_text` reads back to the same
    setting (keys not set are written as comments)."""
    lines = [f"# {ln}" if ln else "#" for ln in header.splitlines()]
    for key, v in setting.to_dict().items():
        doc = f"  # {_DOC[key]}"
        if v is None:
            lines.append(f"# {key} = (not set){doc}")
        else:
            lines.append(f"{key} = {_toml_value(v)}{doc}")
    return "\n".join(lines) + "\n"
