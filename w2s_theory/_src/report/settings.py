r"""The setting of a report: a :class:`~w2s_theory._src.setting.Setting` for a range of
teacher widths, plus the report's own keys.

A report's setting is a flat table of keys: the keys of a
:class:`~w2s_theory._src.setting.Setting` (features, ``target``, ``student_width``; with
``teacher_width`` a *list* of widths here), and the report's keys (:data:`REPORT_PARAMS`:
the time grid and the simulation). Its TOML keys are the command-line options with
``-`` turned into ``_`` (``--teacher-width`` is ``teacher_width``). It is assembled from
layers, later layers overriding earlier ones: the defaults, then a TOML file
(``--config``), then the command-line flags. The feature family is one choice among
``activation``/``dim`` (features on the sphere), ``variances``, ``eigenvalues`` and
``power_law``: a layer that names one family drops the family of the layers below it.
Every key is parsed and checked by the one parser of its parameter
(:data:`w2s_theory._src.parameters.PARAMS` or :data:`REPORT_PARAMS`).

>>> s = build_setting({"teacher_width": [50, 100]}, {"dim": 6})
>>> s.activation, s.dim, s.teacher_width, s.student_width
('relu', 6, (50, 100), ('inf',))
>>> build_setting({"variances": [1, 0.5], "teacher_width": [1]}).activation is None
True
>>> load_toml_text('teacher_widht = [10]', "s.toml")
Traceback (most recent call last):
...
w2s_theory._src.errors.InvalidArgument: s.toml: unknown key 'teacher_widht'; did you mean 'teacher_width' or 'teacher_time'?
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from functools import cached_property

from ..errors import InvalidArgument
from ..setting import (FAMILY_KEYS, PARAMS, Param, Setting, load_toml_text as _load,
                       parse_bool, parse_int, parse_ints, parse_numbers, parse_width,
                       relabel, toml_value, unknown_key)

__all__ = ["ReportSetting", "REPORT_PARAMS", "SETTING_KEYS", "DEFAULTS", "KEYS",
           "build_setting",
           "load_toml", "load_toml_text", "check_values", "to_toml", "option_of"]


def _widths(key, value) -> tuple:
    return tuple(sorted(set(parse_ints(key, value, minimum=1))))


def _time_range(key, value):
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    items = parse_numbers(key, value, minimum=0, strict=True)
    if len(items) != 2:
        raise InvalidArgument(key, f"expected two times T_MIN,T_MAX (or 'auto'), got "
                              f"{value!r}")
    a, b = items
    if not a < b:
        raise InvalidArgument(key, f"needs T_MIN < T_MAX, got {float(a):g} >= "
                              f"{float(b):g}")
    return (float(a), float(b))


def _student_widths(key, value) -> tuple:
    """Student widths: positive integers or ``inf``, in the order given (the first draws
    the curves), without repeats."""
    items = [v for v in (value.replace(";", ",").split(",") if isinstance(value, str)
                         else (value if isinstance(value, (list, tuple)) else [value]))
             if not (isinstance(v, str) and not v.strip())]
    if not items:
        raise InvalidArgument(key, f"expected student widths, got {value!r}")
    out = []
    for v in items:
        w = parse_width(key, v, allow_inf=True)
        w = "inf" if w is None else w
        if w not in out:
            out.append(w)
    return tuple(out)


#: The report's own parameters (the others are :data:`~w2s_theory._src.parameters.PARAMS`).
REPORT_PARAMS = {p.name: p for p in [
    Param("teacher_width", _widths, "teacher widths M_T, comma-separated positive "
          "integers (default: 20,50,100,200,400,800)", metavar="M1,M2,..."),
    Param("student_width", _student_widths, "student widths M_S: positive integers or "
          "inf, comma-separated (default: inf); the first draws the curves and is "
          "simulated, all of them give the heat map of PGR(t*) over teacher and student "
          "widths", metavar="M1,M2,..."),
    Param("time_range", _time_range, "range of the log time grid (default: auto, "
          "1e-2/lambda_max to 1e4/nu of the widest teacher)", metavar="T_MIN,T_MAX"),
    Param("time_points", lambda k, v: parse_int(k, v, 10, 5000),
          "points of the theory's time grid (default: 200)", metavar="N"),
    Param("simulation", parse_bool, "theory only", option="--no-simulation"),
    Param("seeds", lambda k, v: parse_int(k, v, 1),
          "draws of the weights per teacher width (default: 10)", metavar="S"),
    Param("seed", lambda k, v: parse_int(k, v, 0), "root seed (default: 0)"),
    Param("sim_points", lambda k, v: parse_int(k, v, 1, 200),
          "simulated times, log-spaced over the time range; t* is added (default: 12)",
          metavar="N"),
    Param("sim_max_width", lambda k, v: parse_int(k, v, 1),
          "simulate only teacher widths up to M (default: 1000)", metavar="M"),
]}

#: The setting keys a report takes (and ``teacher_width``, a list here).
SETTING_KEYS = [k for keys in FAMILY_KEYS.values() for k in keys] + [
    "target", "student_width", "samples", "student_samples", "ridge", "teacher_time",
    "noise"]


def _param(key) -> Param:
    return REPORT_PARAMS.get(key) or PARAMS[key]


def option_of(key: str) -> str:
    """The command-line option of a report key."""
    return _param(key).flag


@dataclass(frozen=True)
class ReportSetting:
    """A complete, validated report setting (see the module docstring for the keys)."""

    activation: str | None = "relu"
    dim: int | None = 10
    inputs: str | None = None                 # the setting's: sphere (default) or gaussian
    variances: tuple | None = None
    eigenvalues: tuple | None = None
    multiplicities: tuple | None = None
    power_law: float | None = None
    power_law_scale: float | None = None
    target: str = "degree:1"
    teacher_width: tuple = (20, 50, 100, 200, 400, 800)
    student_width: tuple = ("inf",)
    samples: int | None = None                # finite samples (docs/finite_samples.md)
    student_samples: int | None = None
    ridge: object = None
    teacher_time: object = None
    noise: object = None
    time_range: tuple | None = None           # None: chosen from the spectrum and widths
    time_points: int = 200
    simulation: bool = True
    seeds: int = 10
    seed: int = 0
    sim_points: int = 12
    sim_max_width: int = 1000

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is not None:
                object.__setattr__(self, f.name, _param(f.name).parse(f.name, v))
        if self.student_width is None:
            object.__setattr__(self, "student_width", ("inf",))
        if not isinstance(self.target, str):
            object.__setattr__(self, "target", str(self.target))
        # the setting of every width: features, target and widths checked together
        base = self.setting(self.teacher_width[0])
        for M in self.teacher_width[1:]:
            base.replace(teacher_width=M)
        for M_S in self.student_widths[1:]:
            base.replace(student_width=M_S)
        self.__dict__["_base"] = base

    @property
    def primary_student_width(self):
        """The student width of the curves and the simulation (an int, or ``"inf"``)."""
        return self.student_width[0]

    @property
    def student_widths(self) -> tuple:
        """The student widths as the theory takes them (``None``: infinite)."""
        return tuple(None if w == "inf" else w for w in self.student_width)

    def setting(self, teacher_width: int, student_width="primary") -> Setting:
        """The :class:`~w2s_theory._src.setting.Setting` of one teacher width (and the
        primary student width, or ``student_width``: an int or ``None``)."""
        if "_base" in self.__dict__:
            base = self._base.replace(teacher_width=teacher_width)
        else:
            keys = {k: getattr(self, k) for k in SETTING_KEYS}
            keys["student_width"] = self.student_widths[0]
            base = Setting(teacher_width=teacher_width, **keys)
        return base if student_width == "primary" else \
            base.replace(student_width=student_width)

    @cached_property
    def _base(self) -> Setting:
        return self.setting(self.teacher_width[0])

    def replace(self, **changes) -> "ReportSetting":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict (lists for tuples; ``None`` for keys not set)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "activation" and v is not None and not isinstance(v, str):
                v = v.name
            if f.name == "student_width":
                out[f.name] = list(v)                         # integers and "inf"
                continue
            out[f.name] = [float(x) if not isinstance(x, int) else x for x in v] \
                if isinstance(v, tuple) else v
        return out

    @property
    def family(self) -> str:
        return self._base.family

    def describe_features(self, tex: bool = False) -> str:
        """The features in words (:meth:`Setting.describe_features`)."""
        return self._base.describe_features(tex)

    def spectrum(self):
        """The :class:`~w2s_theory._src.spectra.Spectrum` the setting describes."""
        return self._base.spectrum


#: Every key with its default.
DEFAULTS = {f.name: f.default for f in dataclasses.fields(ReportSetting)}
KEYS = list(DEFAULTS)


def check_values(values: dict, where=lambda key: key) -> dict:
    """Parsed copies of ``values`` (a layer); ``where(key)`` names a key in errors
    (``--teacher-width``, or ``setting.toml: teacher_width``)."""
    out = {}
    for key, v in values.items():
        if key not in DEFAULTS:
            raise unknown_key(key, KEYS, where(key))
        try:
            out[key] = _param(key).parse(key, v)
        except InvalidArgument as exc:
            raise relabel(exc, where) from None
    return out


def build_setting(*layers, labels=None) -> ReportSetting:
    """A :class:`ReportSetting` from layers of (parsed) values over the defaults; later
    layers win. ``labels[i](key)`` names a key of layer ``i`` in errors."""
    merged = dict(DEFAULTS)
    feature_keys = [k for keys in FAMILY_KEYS.values() for k in keys]
    for i, layer in enumerate(layers):
        layer = {k: v for k, v in layer.items() if v is not None or k == "time_range"}
        label = labels[i] if labels else (lambda k: k)
        named = {k: v for k, v in layer.items() if k in feature_keys}
        families = [fam for fam, keys in FAMILY_KEYS.items() if any(k in named
                                                                     for k in keys)]
        if len(families) > 1:
            keys = [k for fam in families for k in FAMILY_KEYS[fam] if k in named]
            raise InvalidArgument(label(keys[-1]), "give only one feature family (got "
                                  + ", ".join(label(k) for k in keys) + ")")
        if families:
            current = [fam for fam, keys in FAMILY_KEYS.items()
                       if any(merged.get(k) is not None for k in keys)]
            if current != families:             # another family replaces the one below
                for k in feature_keys:
                    merged[k] = None
                if families == ["sphere"]:
                    merged["activation"] = DEFAULTS["activation"]
                    merged["dim"] = DEFAULTS["dim"]
        merged.update(layer)
    if all(merged.get(k) is None for fam, keys in FAMILY_KEYS.items() if fam != "sphere"
           for k in keys):
        if merged.get("activation") is None:
            merged["activation"] = DEFAULTS["activation"]
    origin = {}
    for i, layer in enumerate(layers):
        for k in layer:
            origin[k] = labels[i] if labels else (lambda key: key)
    try:
        return ReportSetting(**merged)
    except InvalidArgument as exc:
        raise relabel(exc, lambda k: origin.get(k, lambda key: key)(k)) from None


# --------------------------------------------------------------------------------------
# TOML


def load_toml_text(text: str, name: str) -> dict:
    """Parsed values of a TOML text (``name`` labels the errors: ``name: key``)."""
    data = _load(text, name)
    for key, v in data.items():
        if key not in DEFAULTS:
            raise unknown_key(key, KEYS, name)
        if isinstance(v, dict):
            raise InvalidArgument(f"{name}: {key}", "expected a value, got a table")
    return check_values(data, where=lambda key: f"{name}: {key}")


def load_toml(path) -> dict:
    """Parsed values of a TOML file; unreadable or malformed files raise
    :class:`~w2s_theory._src.errors.InvalidArgument` with a one-line message."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InvalidArgument(name, f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(name, "not valid TOML: not UTF-8 text") from None
    return load_toml_text(text, name)


def to_toml(setting: ReportSetting, header: str = "") -> str:
    """The setting as TOML text that :func:`load_toml_text` reads back to the same
    setting (keys not set are written as comments)."""
    lines = [f"# {ln}" if ln else "#" for ln in header.splitlines()]
    for key, v in setting.to_dict().items():
        doc = f"  # {_param(key).help}"
        if v is None:
            lines.append(f"# {key} = (not set){doc}")
        else:
            lines.append(f"{key} = {toml_value(v)}{doc}")
    return "\n".join(lines) + "\n"
