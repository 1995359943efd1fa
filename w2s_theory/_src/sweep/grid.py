r"""The grid of a sweep: every point's validated setting, the dimensions and coordinates,
the chunks (one task each) and the fingerprint a store is checked against.

Building the grid builds (and so validates) every point's
:class:`~w2s_theory._src.setting.Setting` before anything is scheduled: an invalid
point is an :class:`~w2s_theory._src.errors.InvalidArgument` naming the option and the
point.

Dimensions are the swept keys, in the order of :data:`~w2s_theory._src.parameters.PARAMS`
then the simulation's keys (``grid = "product"``), or one dimension ``point`` along
which every swept key is a coordinate (``grid = "list"``). The curves add ``time``
(gradient flow: the setting's ``times``) or ``step`` (gradient descent: its ``steps``;
the times ``lr * step`` are then a variable).

Chunks (and tasks) are ``points_per_task`` points along the last dimension and one along
the others.

>>> from .config import SweepConfig
>>> g = Grid.build(SweepConfig.from_values({"dim": 6, "teacher_width": [50, 100],
...     "student_width": [400, "inf"], "times": [10, 100], "simulation": False}))
>>> g.dims, g.shape, g.curve_dim, g.chunks, len(g.tasks)
(('teacher_width', 'student_width'), (2, 2), 'time', (1, 2), 2)
>>> g.coords["student_width"][1]
array([400.,  inf])
>>> g.fixed["dim"], g.settings[3].student_width
(6, None)
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument
from ..setting import PARAMS, Setting
from .config import SIM_DEFAULTS, SIM_PARAMS, SweepConfig

__all__ = ["Grid", "Task", "coordinate", "canonical", "MAX_POINTS_PER_TASK"]

#: the default number of theory points per task (a task of the theory alone)
MAX_POINTS_PER_TASK = 16


def canonical(x):
    """A JSON-plain copy of a value (tuples as lists, numbers as JSON numbers)."""
    return json.loads(json.dumps(x, default=str))


def coordinate(values) -> np.ndarray:
    """The coordinate array of an axis' canonical values: integers, reals (``"inf"``
    as infinity), or strings (lists joined by commas)."""
    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    def is_real(v):
        return is_int(v) or isinstance(v, float) or v in ("inf", "-inf")

    if all(is_int(v) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(is_real(v) for v in values):
        return np.asarray([float(v) for v in values], dtype=np.float64)

    def text(v):
        if isinstance(v, list):
            return ",".join(str(x) for x in v)
        return "default" if v is None else str(v)
    return np.asarray([text(v) for v in values], dtype=str)


@dataclass(frozen=True)
class Task:
    """One chunk of the grid: its number, its region (a slice per dimension) and the
    flat indices of its points."""

    id: int
    region: tuple
    points: tuple


@dataclass(frozen=True)
class Grid:
    config: SweepConfig
    dims: tuple
    shape: tuple
    coords: dict            # name -> (dims, array)
    settings: tuple         # per point, C order of the grid
    sim: tuple | None       # per point: {"seeds", "seed", "method"}, or None
    fixed: dict             # the keys every point shares (canonical values)
    axes: dict              # swept key -> canonical values
    curve_dim: str | None   # "time", "step" or None
    curve_coord: np.ndarray | None
    chunks: tuple
    tasks: tuple

    @property
    def size(self) -> int:
        return len(self.settings)

    @property
    def curve_len(self) -> int:
        return 0 if self.curve_coord is None else len(self.curve_coord)

    def describe_point(self, i: int) -> str:
        """``teacher_width=50, student_width=inf`` for the flat index ``i``."""
        idx = self.unravel(i)
        if self.config.grid == "list":
            return ", ".join(f"{k}={_show(v[idx[0]])}" for k, v in self.axes.items())
        return ", ".join(f"{k}={_show(self.axes[k][j])}" for k, j in zip(self.dims, idx))

    def unravel(self, i: int) -> tuple:
        return tuple(int(j) for j in np.unravel_index(i, self.shape)) if self.shape else ()

    def fingerprint(self) -> dict:
        """What the store's results depend on, as plain JSON (see :meth:`differences`)."""
        c = self.config
        return canonical({
            "grid": c.grid, "dims": list(self.dims), "axes": self.axes,
            "fixed": self.fixed, "theory": c.theory, "simulation": c.simulation,
            "points_per_task": self.chunks[-1] if self.chunks else 1,
            "curve": self.curve_dim})

    @staticmethod
    def differences(stored: dict, current: dict) -> list:
        """``[(key, stored value, current value)]`` where two fingerprints differ, named
        by the sweep's keys."""
        def flat(fp):
            out = {k: v for k, v in fp.items() if k not in ("axes", "fixed", "dims")}
            for k, v in (fp.get("fixed") or {}).items():
                out[k] = v
            for k, v in (fp.get("axes") or {}).items():
                out[k] = {"axis": v}
            if fp.get("dims") is not None and fp.get("grid") == "product":
                out["(dimension order)"] = fp["dims"]
            return out
        a, b = flat(stored), flat(current)
        keys = list(dict.fromkeys([*a, *b]))
        return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]

    # ----------------------------------------------------------------------------------
    @classmethod
    def build(cls, config: SweepConfig) -> "Grid":
        """Every point's setting, validated (errors name the option and the point)."""
        label = config.label
        axes = list(config.axes)
        if config.grid == "list":
            if not axes:
                raise InvalidArgument(label("grid"), "a list grid needs at least one "
                                      "swept key")
            n = len(axes[0].values)
            for a in axes[1:]:
                if len(a.values) != n:
                    raise InvalidArgument(label(a.key), f"a list grid needs every swept "
                                          f"key to have {n} values (as {axes[0].key}), got "
                                          f"{len(a.values)}")
            combos = [tuple(a.values[i] for a in axes) for i in range(n)]
            shape = (n,)
            dims = ("point",)
        else:
            combos = list(itertools.product(*[a.values for a in axes]))
            shape = tuple(len(a.values) for a in axes)
            dims = tuple(a.key for a in axes)
        setting_fixed = {k: v for k, v in config.fixed.items() if k in PARAMS}
        sim_fixed = {k: v for k, v in config.fixed.items() if k in SIM_PARAMS}
        settings, sims = [], []
        cache = {}
        for combo in combos:
            values = dict(setting_fixed)
            sim = dict(SIM_DEFAULTS, **sim_fixed)
            for a, v in zip(axes, combo):
                (values if a.key in PARAMS else sim)[a.key] = v
            settings.append(_setting(values, config, dims, combo, axes, cache))
            if config.simulation:
                sims.append(_sim_options(sim, config, combo, axes))
        # the curves' axis: the same for every point
        curve_dim, curve_coord = _curve_axis(settings, config)
        if config.simulation and curve_dim is None:
            raise InvalidArgument(label("times"), "the simulation needs times (or steps "
                                  "with lr): give them, or switch the simulation off")
        if config.simulation:
            for s, sim in zip(settings, sims):
                if sim["method"] == "sampled" and s.lr is not None:
                    raise InvalidArgument(label("method"), "the sampled simulation trains "
                                          "by SGD: give times, not lr and steps")
                if sim["method"] == "sampled" and any(math.isinf(float(t))
                                                      for t in s.training_times()):
                    raise InvalidArgument(label("times"), "the sampled simulation needs "
                                          "finite times")
        # canonical values: of each axis, and of the keys every point shares
        dicts = [s.to_dict() for s in settings]
        strides = [int(np.prod(shape[i + 1:])) for i in range(len(shape))]
        canon_axes = {}
        for j, a in enumerate(axes):
            vals = []
            for i in range(len(a.values)):
                p = i if config.grid == "list" else i * strides[j]
                vals.append(dicts[p].get(a.key) if a.key in PARAMS else sims[p][a.key])
            vals = canonical(vals)
            for i, v in enumerate(vals):
                if v in vals[:i]:
                    raise InvalidArgument(label(a.key), f"{_show(v)} appears twice in the "
                                          "grid")
            canon_axes[a.key] = vals
        fixed = {k: v for k, v in dicts[0].items() if k not in canon_axes}
        if config.simulation:
            fixed.update({k: v for k, v in sims[0].items() if k not in canon_axes})
        coords = {}
        if config.grid == "list":
            coords["point"] = (("point",), np.arange(shape[0], dtype=np.int64))
            for k, v in canon_axes.items():
                coords[k] = (("point",), coordinate(v))
        else:
            for k, v in canon_axes.items():
                coords[k] = ((k,), coordinate(v))
        if curve_dim is not None:
            coords[curve_dim] = ((curve_dim,), curve_coord)
        chunks, tasks = _tasks(shape, config, sims)
        return cls(config=config, dims=dims, shape=shape, coords=coords,
                   settings=tuple(settings), sim=tuple(sims) if config.simulation else None,
                   fixed=canonical(fixed), axes=canon_axes, curve_dim=curve_dim,
                   curve_coord=curve_coord, chunks=chunks, tasks=tasks)


def _show(v) -> str:
    if isinstance(v, list):
        return "[" + ",".join(str(x) for x in v) + "]"
    return str(v)


def _setting(values, config, dims, combo, axes, cache) -> Setting:
    key = repr(sorted((k, repr(v)) for k, v in values.items()))
    if key in cache:
        return cache[key]
    try:
        s = Setting.from_values(values)
    except InvalidArgument as exc:
        where = ", ".join(f"{a.key}={v}" for a, v in zip(axes, combo))
        raise InvalidArgument(config.label(exc.argument), exc.message +
                              (f" (at the grid point {where})" if where else "")) from None
    cache[key] = s
    return s


def _sim_options(sim, config, combo, axes) -> dict:
    out = {}
    for k, v in sim.items():
        try:
            out[k] = SIM_PARAMS[k].parse(k, v)
        except InvalidArgument as exc:
            raise InvalidArgument(config.label(k), exc.message) from None
    return out


def _curve_axis(settings, config):
    s0 = settings[0]
    if s0.steps is not None:
        dim, values = "step", [tuple(s.steps) if s.steps is not None else None
                               for s in settings]
    elif s0.times is not None:
        dim, values = "time", [tuple(s.times) if s.times is not None else None
                               for s in settings]
    else:
        return None, None
    if any(v != values[0] for v in values):
        # only lr can make this happen (times and steps are never swept): report it
        raise InvalidArgument(config.label("steps" if dim == "step" else "times"),
                              "every point needs the same list")
    if dim == "step":
        return dim, np.asarray([int(k) for k in values[0]], dtype=np.int64)
    return dim, np.asarray([float(t) for t in values[0]], dtype=np.float64)


def _tasks(shape, config, sims):
    if not shape:
        return (), (Task(0, (), (0,)),)
    n_last = shape[-1]
    per = config.points_per_task
    if per is None:
        if config.simulation:
            per = 1
        else:
            per = math.ceil(n_last / math.ceil(n_last / MAX_POINTS_PER_TASK))
    per = min(per, n_last)
    chunks = (1,) * (len(shape) - 1) + (per,)
    tasks = []
    lead = [range(n) for n in shape[:-1]]
    for idx in itertools.product(*lead):
        for start in range(0, n_last, per):
            stop = min(start + per, n_last)
            region = tuple(slice(i, i + 1) for i in idx) + (slice(start, stop),)
            points = tuple(int(np.ravel_multi_index(idx + (j,), shape))
                           for j in range(start, stop))
            tasks.append(Task(len(tasks), region, points))
    return chunks, tuple(tasks)
