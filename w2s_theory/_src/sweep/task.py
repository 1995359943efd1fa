r"""One task of a sweep: the theory and/or the simulation at each point of one chunk.

:func:`compute_task` is what runs on a Dask worker (or in-process): plain picklable
arguments in (the points' settings, which pickle by their keys, and the simulation's
options), a :class:`TaskResult` out - the chunk's arrays, or the first error, never a
raised exception (an error carries its argument and message, which the client reports
naming the option and the point). Results do not depend on where a task runs: the
theory is deterministic and a simulation's draws come from its own seed
(``SeedSequence(seed).spawn(seeds)``), one BLAS thread per process.
"""

from __future__ import annotations

import os
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidArgument
from .variables import number

__all__ = ["TaskResult", "compute_task", "compute_task_on_worker"]


@dataclass
class TaskResult:
    """The arrays of one chunk (``name -> array``, points first), or an error:
    ``(point offset in the task, kind, argument, message)``."""

    task_id: int
    arrays: dict = field(default_factory=dict)
    error: tuple | None = None
    warnings: tuple = ()
    seconds: float = 0.0


def compute_task(task_id, settings, sims, names, curve_len, theory, simulation
                 ) -> TaskResult:
    """The variables ``names`` (:mod:`.variables`) at each point of a task.

    ``sims`` holds each point's simulation options (``seeds``, ``seed``, ``method``) or
    is ``None``; ``curve_len`` is the length of the curves' axis.
    """
    from .variables import variables

    t0 = time.perf_counter()
    curve_dim = None
    if curve_len:
        curve_dim = "step" if settings[0].steps is not None else "time"
    specs = {v.name: v for v in variables(theory, simulation, curve_dim)}
    n = len(settings)
    arrays = {name: np.full((n, curve_len) if specs[name].curve else (n,), np.nan)
              for name in names}
    notes = set()
    for j, setting in enumerate(settings):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                values = _point(setting, None if sims is None else sims[j], theory,
                                simulation)
            notes.update(f"{w.category.__name__}: {w.message}" for w in caught)
        except InvalidArgument as exc:
            return TaskResult(task_id, error=(j, "InvalidArgument", exc.argument,
                                              exc.message),
                              seconds=time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - reported by the client, point named
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" ({last[0].filename.rsplit(os.sep, 1)[-1]}:{last[0].lineno})" \
                if last else ""
            return TaskResult(task_id, error=(j, type(exc).__name__, "",
                                              f"{exc}{where}"),
                              seconds=time.perf_counter() - t0)
        for name in names:
            if name in values:
                arrays[name][j] = values[name]
    return TaskResult(task_id, arrays=arrays, warnings=tuple(sorted(notes)),
                      seconds=time.perf_counter() - t0)


_WORKER_READY = {"pid": None}


def compute_task_on_worker(*args) -> TaskResult:
    """:func:`compute_task` in a worker process, after setting its BLAS libraries to one
    thread (once per process)."""
    if _WORKER_READY["pid"] != os.getpid():
        from ..simulation.runner import limit_blas_threads

        limit_blas_threads(1)
        _WORKER_READY["pid"] = os.getpid()
    return compute_task(*args)


def _point(setting, sim, theory, simulation) -> dict:
    from ..theory import risk_curve

    out = {}
    if setting.steps is not None:
        out["time"] = [number(t) for t in setting.training_times()]
    curve = None
    if simulation:
        from ..simulation import simulate

        res = simulate(setting, method=sim["method"], seeds=sim["seeds"],
                       seed=sim["seed"], workers=1, blas_threads=1,
                       optimal_stopping=theory)
        out["sim_teacher_risk"] = number(res.teacher_risk.mean)
        out["sim_teacher_risk_stderr"] = number(res.teacher_risk.stderr)
        ceiling = res.diagnostics.get("student_ceiling_risk")
        if ceiling:
            out["sim_student_ceiling_risk"] = number(ceiling.get("mean"))
            out["sim_student_ceiling_risk_stderr"] = number(ceiling.get("stderr"))
        out["sim_student_risk"] = [number(s.mean) for s in res.student_risk]
        out["sim_student_risk_stderr"] = [number(s.stderr) for s in res.student_risk]
        curve = res.theory
    if theory:
        if curve is None:               # the simulation's theory failed: say why
            curve = risk_curve(setting)
        from .variables import THEORY_CURVES, THEORY_SCALARS

        for name, _ in THEORY_SCALARS + (("optimal_steps", ""),):
            out[name] = number(getattr(curve, name, None))
        for name, _ in THEORY_CURVES:
            values = getattr(curve, name, None)
            if values is not None:
                out[name] = [number(x) for x in values]
    return out
