r"""Figures of a sweep: any variable over two of its dimensions, as a heat map and as
lines, with the simulation's points (mean and standard error) where the store has them.

The figure has two panels: the heat map of ``var`` over ``(x, y)``, and ``var`` against
``x`` with one line per value of ``y``; for a theory variable ``v`` whose simulated
counterpart ``sim_v`` is stored (``student_risk``, ``teacher_risk``,
``student_ceiling_risk``), the simulation's means are drawn as points with error bars on
the lines. Other dimensions are fixed at their first value, or at ``select``.
Matplotlib (Agg) is imported when a figure is drawn.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import InvalidArgument

__all__ = ["plot_sweep", "default_variable", "figure_path"]


def default_variable(ds) -> str:
    for name in ("optimal_pgr", "sim_student_risk", "student_risk"):
        if name in ds.data_vars:
            return name
    return next(iter(ds.data_vars))


def figure_path(store, var: str) -> Path:
    store = Path(store)
    stem = store.name[:-5] if store.name.endswith(".zarr") else store.name
    return store.with_name(f"{stem}.{var}.png")


def _match(coord, text):
    """The index of ``text`` among a coordinate's values (as printed, or as a number)."""
    values = coord.values
    for i, v in enumerate(values):
        if str(v) == text:
            return i
        try:
            if float(v) == float(text):
                return i
        except (TypeError, ValueError):
            pass
    return None


def _choose(ds, var, dims, select, label_select="--select"):
    da = ds[var]
    vdims = list(da.dims)
    if not vdims:
        raise InvalidArgument("--plot", f"{var} has no dimension to plot over")
    if dims:
        for d in dims:
            if d not in vdims:
                raise InvalidArgument("--plot-dims", f"{var} has no dimension {d!r} "
                                      f"(it has {', '.join(vdims)})")
        if len(dims) == 2 and dims[0] == dims[1]:
            raise InvalidArgument("--plot-dims", "give two different dimensions")
        x, y = dims[0], (dims[1] if len(dims) > 1 else None)
    else:
        curve = [d for d in vdims if d in ("time", "step")]
        rest = [d for d in vdims if d not in curve]
        order = curve + rest
        x, y = order[0], (order[1] if len(order) > 1 else None)
    picked = {}
    for key, text in (select or {}).items():
        if key not in ds.coords or key not in vdims:
            raise InvalidArgument(label_select, f"{var} has no dimension {key!r}")
        if key in (x, y):
            raise InvalidArgument(label_select, f"{key} is plotted; select another "
                                  "dimension")
        i = _match(ds[key], str(text))
        if i is None:
            raise InvalidArgument(label_select, f"{key} has no value {text!r} (it has "
                                  f"{', '.join(str(v) for v in ds[key].values)})")
        picked[key] = i
    for d in vdims:
        if d not in (x, y) and d not in picked:
            picked[d] = 0
    return x, y, picked


def _axis(values):
    """``(positions, labels, log)``: numeric positions if every value is a finite number,
    else the indices (and the values as tick labels)."""
    try:
        num = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        num = None
    if num is not None and np.all(np.isfinite(num)):
        log = bool(np.all(num > 0) and num.max() / num.min() >= 20)
        return num, None, log
    return np.arange(len(values), dtype=float), [_tick(v) for v in values], False


def _tick(v) -> str:
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return "inf" if math.isinf(f) else f"{f:g}"
    return str(v)


def plot_sweep(ds, var=None, dims=None, select=None, path=None, title=None) -> Path:
    """Draw ``var`` over the dimensions ``dims = (x, y)`` (default: the curve's axis or
    the first two dimensions) into ``path`` (PNG, PDF or SVG by its suffix)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    var = var or default_variable(ds)
    if var not in ds.data_vars:
        raise InvalidArgument("--plot", f"no variable {var!r} in the store (it has "
                              f"{', '.join(ds.data_vars)})")
    x, y, picked = _choose(ds, var, dims, select)
    da = ds[var].isel(picked)
    sim = None
    if not var.startswith("sim_") and f"sim_{var}" in ds.data_vars:
        sim = ds[f"sim_{var}"].isel({k: v for k, v in picked.items()
                                     if k in ds[f"sim_{var}"].dims})
        err = ds.get(f"sim_{var}_stderr")
        err = None if err is None else err.isel({k: v for k, v in picked.items()
                                                 if k in err.dims})
    elif var.startswith("sim_") and f"{var}_stderr" in ds.data_vars:
        err = ds[f"{var}_stderr"].isel(picked)
    else:
        err = None
    xs, xlabels, xlog = _axis(ds[x].values)
    fixed = ", ".join(f"{k} = {_tick(ds[k].values[i])}" for k, i in picked.items())
    head = title or f"{var}" + (f" ({fixed})" if fixed else "")
    desc = ds[var].attrs.get("description", "")

    if y is None:
        fig, ax_line = plt.subplots(1, 1, figsize=(6, 4.2))
        ax_heat = None
    else:
        fig, (ax_heat, ax_line) = plt.subplots(1, 2, figsize=(12, 4.6))
    if ax_heat is not None:
        grid = da.transpose(y, x).values.astype(float)
        _, ylabels, _ = _axis(ds[y].values)
        ny, nx = grid.shape
        mesh = ax_heat.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5,
                                  np.ma.masked_invalid(grid), cmap="viridis",
                                  shading="flat")
        fig.colorbar(mesh, ax=ax_heat, label=var)
        ax_heat.set_xticks(*_ticks([_tick(v) for v in ds[x].values]))
        ax_heat.set_yticks(*_ticks([_tick(v) for v in ds[y].values]))
        ax_heat.set_xlabel(x)
        ax_heat.set_ylabel(y)
        ax_heat.set_title(desc or var, fontsize=9)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    series = [None] if y is None else list(range(ds.sizes[y]))
    for k, j in enumerate(series):
        line = da if j is None else da.isel({y: j})
        color = colors[k % len(colors)]
        lab = None if j is None else f"{y} = {_tick(ds[y].values[j])}"
        ax_line.plot(xs, line.transpose(x).values.astype(float), "-", marker=".",
                     color=color, label=lab)        # markers: an isolated point shows
        if sim is not None:
            s = sim if j is None or y not in sim.dims else sim.isel({y: j})
            e = None if err is None else (err if j is None or y not in err.dims
                                          else err.isel({y: j}))
            if x in s.dims:
                sv = s.transpose(x).values.astype(float)
                ev = None if e is None or x not in e.dims else \
                    np.nan_to_num(e.transpose(x).values.astype(float))
                ax_line.errorbar(xs, sv, yerr=ev, fmt="o", ms=4, color=color,
                                 label=None if k else "simulation", capsize=2)
        elif err is not None and var.startswith("sim_"):
            e = err if j is None else err.isel({y: j})
            ax_line.errorbar(xs, line.transpose(x).values.astype(float),
                             yerr=np.nan_to_num(e.transpose(x).values.astype(float)),
                             fmt="none", color=color, capsize=2)
    if xlabels is not None:
        ax_line.set_xticks(*_ticks(xlabels))
    if xlog:
        ax_line.set_xscale("log")
    ax_line.set_xlabel(x)
    ax_line.set_ylabel(var)
    if y is not None or sim is not None:
        ax_line.legend(fontsize=7, ncol=1 + len(series) // 12)
    ax_line.grid(True, alpha=0.3)
    fig.suptitle(head, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _ticks(labels, most=12):
    n = len(labels)
    step = max(1, math.ceil(n / most))
    pos = list(range(0, n, step))
    return pos, [labels[i] for i in pos]
