r"""What a sweep computes: its axes, its fixed values and its options, read once.

A sweep is described by values keyed like a :class:`~w2s_theory._src.setting.Setting`
(every key of :data:`~w2s_theory._src.parameters.PARAMS`: a new setting parameter is
sweepable with no change here), plus the simulation's keys (:data:`SIM_PARAMS`) and the
sweep's options (:data:`OPTIONS`). The values come from a TOML file, from command-line
options or from Python keywords; later sources override earlier ones, key by key.

Which values are axes:

* a list (TOML, Python) is an axis: ``teacher_width = [50, 100]``;
* a string (command line) with ``;`` is an axis of its ``;``-separated parts; a string
  that is not a valid value as a whole is an axis of its comma-separated parts
  (``--teacher-width 50,100``), so that values holding commas stay whole
  (``--target energies:0=0.5,1=1``);
* a parameter whose value is itself a list (``variances``, ``eigenvalues``, ...) is an
  axis when given a list of lists (TOML, Python) or ``;``-separated lists (command line:
  ``--variances "1,0.5;1,0.25"``); ``times`` and ``steps`` are the curves' axis, one list
  for every point.

>>> c = SweepConfig.from_values({"dim": 6, "teacher_width": "50,100",
...                              "student_width": [400, "inf"], "simulation": False})
>>> [(a.key, a.values) for a in c.axes]
[('teacher_width', ('50', '100')), ('student_width', (400, 'inf'))]
>>> c.fixed
{'dim': 6}
>>> SweepConfig.from_values({"dim": 6, "teacher_width": []})
Traceback (most recent call last):
...
w2s_theory._src.errors.InvalidArgument: teacher_width: empty grid: give at least one value
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import InvalidArgument
from ..setting import (PARAMS, Param, Setting, load_toml_text, option_name, parse_bool,
                       parse_int, unknown_key)

__all__ = ["SIM_PARAMS", "SIM_DEFAULTS", "OPTIONS", "CURVE_KEYS", "Axis", "SweepConfig",
           "list_valued", "load_config_file", "sweepable_keys"]


def _one_of(*choices):
    """A parser accepting exactly one of ``choices``."""
    def parse(key, value):
        text = str(value).strip()
        if text not in choices:
            raise InvalidArgument(key, "must be " + " or ".join(repr(c) for c in choices)
                                  + f", got {value!r}")
        return text
    return parse


#: the simulation's keys (sweepable like the setting's): keyword = TOML key, option, help
SIM_PARAMS = {p.name: p for p in [
    Param("seeds", lambda k, v: parse_int(k, v, minimum=1),
          "draws of the weights simulated per point (default 10)", metavar="S"),
    Param("seed", lambda k, v: parse_int(k, v, minimum=0),
          "root seed of the draws (default 0; the same streams at every point)"),
    Param("method", _one_of("exact", "sampled"),
          "simulator: exact (inputs integrated exactly, default) or sampled"),
]}
SIM_DEFAULTS = {"seeds": 10, "seed": 0, "method": "exact"}


#: the sweep's own options (not sweepable; part of the store's fingerprint)
OPTIONS = {p.name: p for p in [
    Param("theory", parse_bool, "compute the theory at each point (default true)"),
    Param("simulation", parse_bool, "simulate each point (default true)"),
    Param("grid", _one_of("product", "list"),
          "product: every combination of the axes (default); list: the axes side by "
          "side, point i taking value i of each (one dimension 'point')"),
    Param("points_per_task", lambda k, v: parse_int(k, v, minimum=1),
          "grid points per task and per Zarr chunk, along the last dimension (default: 1 "
          "with simulations, up to 16 for the theory alone)", metavar="N"),
]}
OPTION_DEFAULTS = {"theory": True, "simulation": True, "grid": "product",
                   "points_per_task": None}

#: the keys whose list is the curves' axis (one list for every point)
CURVE_KEYS = ("times", "steps")

#: keys a TOML file may hold besides these (where to write; not part of the sweep)
FILE_ONLY = ("out",)


def sweepable_keys() -> tuple:
    """Every key a sweep may vary: the setting's parameters, then the simulation's."""
    return tuple(k for k in PARAMS if k not in CURVE_KEYS) + tuple(SIM_PARAMS)


def list_valued(key: str) -> bool:
    """Whether one value of ``key`` is itself a list (the Setting's field is a tuple)."""
    fields = {f.name: f for f in dataclasses.fields(Setting)}
    f = fields.get(key)
    return f is not None and "tuple" in str(f.type)


def _param(key) -> Param:
    return PARAMS.get(key) or SIM_PARAMS.get(key) or OPTIONS[key]


def _valid_whole(key, text) -> bool:
    try:
        _param(key).parse(key, text)
        return True
    except InvalidArgument:
        return False
    except Exception:  # noqa: BLE001 - a parser that fails otherwise: not valid whole
        return False


def _split(key, raw, where):
    """``(values, is_axis)`` of one raw value of ``key``."""
    def empty():
        return InvalidArgument(where, "empty grid: give at least one value")

    if list_valued(key):
        if isinstance(raw, (list, tuple)):
            if raw and all(isinstance(v, (list, tuple)) for v in raw):
                return tuple(tuple(v) for v in raw), True
            return (raw,), False
        if isinstance(raw, str) and ";" in raw:
            parts = tuple(p.strip() for p in raw.split(";") if p.strip())
            if not parts:
                raise empty()
            return parts, True
        return (raw,), False
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise empty()
        return tuple(raw), True
    if isinstance(raw, str):
        if ";" in raw:
            parts = tuple(p.strip() for p in raw.split(";") if p.strip())
        elif "," in raw and not _valid_whole(key, raw.strip()):
            parts = tuple(p.strip() for p in raw.split(",") if p.strip())
        else:
            if not raw.strip():
                raise empty()
            return (raw,), False
        if not parts:
            raise empty()
        return parts, True
    return (raw,), False


@dataclass(frozen=True)
class Axis:
    """One swept key and its values, as given (parsed when the grid is built)."""

    key: str
    values: tuple


@dataclass(frozen=True)
class SweepConfig:
    """A sweep's description: its axes (in the order of :func:`sweepable_keys`), its
    fixed values, and its options; ``labels`` says how errors name each key (the
    command-line option, or ``file.toml: key``)."""

    axes: tuple = ()
    fixed: dict = field(default_factory=dict)
    theory: bool = True
    simulation: bool = True
    grid: str = "product"
    points_per_task: int | None = None
    labels: dict = field(default_factory=dict, compare=False, repr=False)

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    @property
    def axis_keys(self) -> tuple:
        return tuple(a.key for a in self.axes)

    @classmethod
    def from_values(cls, values: dict, label: Callable[[str], str] = lambda k: k
                    ) -> "SweepConfig":
        """A config from raw values keyed by parameter key (see the module docstring);
        errors name ``label(key)``."""
        return cls.from_sources([(values, label)])

    @classmethod
    def from_sources(cls, sources) -> "SweepConfig":
        """A config from ``[(values, label), ...]``; later sources override earlier ones
        key by key (``None`` values are "not given")."""
        merged, labels = {}, {}
        known = list(sweepable_keys()) + list(CURVE_KEYS) + list(OPTIONS)
        for values, label in sources:
            for key, raw in values.items():
                if raw is None:
                    continue
                if key not in PARAMS and key not in SIM_PARAMS and key not in OPTIONS:
                    raise unknown_key(key, known, label(key))
                merged[key], labels[key] = raw, label(key)
        options = dict(OPTION_DEFAULTS)
        for key in OPTIONS:
            if key in merged:
                options[key] = OPTIONS[key].parse(labels[key], merged.pop(key))
        axes, fixed = [], {}
        order = list(PARAMS) + list(SIM_PARAMS)
        for key in sorted(merged, key=order.index):
            vals, is_axis = _split(key, merged[key], labels[key])
            if is_axis and key in CURVE_KEYS:
                raise InvalidArgument(labels[key], "one list for every point: it is the "
                                      "curves' axis, not a sweep (give it without ';' "
                                      "or nested lists)")
            if is_axis:
                axes.append(Axis(key, vals))
            else:
                fixed[key] = vals[0]
        if not options["simulation"]:
            # the simulation's keys do not apply; refuse them rather than ignore them
            for key in SIM_PARAMS:
                if key in fixed or key in (a.key for a in axes):
                    raise InvalidArgument(labels[key], "goes with the simulation (it is "
                                          "switched off)")
        if not options["theory"] and not options["simulation"]:
            raise InvalidArgument(labels.get("simulation", "simulation"),
                                  "nothing to compute: the theory and the simulation are "
                                  "both switched off")
        return cls(axes=tuple(axes), fixed=fixed, labels=labels, **options)

    def replace(self, **changes) -> "SweepConfig":
        return dataclasses.replace(self, **changes)


def load_config_file(path) -> tuple:
    """``(values, label, out)`` of a TOML sweep file: its values, the label of its keys
    (``file.toml: key``) and its ``out`` (resolved against the file's folder), or
    ``None``. Errors name ``--config``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidArgument("--config", f"cannot read {path}: {exc.strerror}") from None
    name = str(path)
    values = load_toml_text(text, name)
    for key, v in values.items():
        if isinstance(v, dict):
            raise InvalidArgument(f"{name}: {key}", "expected a value, got a table")
    out = values.pop("out", None)
    if out is not None:
        if not isinstance(out, str) or not out.strip():
            raise InvalidArgument(f"{name}: out", f"must be a path, got {out!r}")
        out = path.parent / out
    return values, (lambda k: f"{name}: {k}"), out


def option_label(key: str) -> str:
    """The command-line option of any sweep key."""
    if key in PARAMS:
        return option_name(key)
    return "--" + key.replace("_", "-")
