r"""Risks over many sample sizes with one spectral table (float64 curves, scaling laws).

:func:`sample_curve` evaluates the teacher's risk and the student's at fixed trainings
(``times`` or ``student_ridge`` of a setting) for a sequence of sample sizes, building
one table for all (cut for the largest sizes): the per-size cost is the teacher's labels
and the student's points, about 10 ms on the sphere (``benchmarks/
bench_finite_samples.py``: 100 sizes in about 1 s). The quantities are those of
:func:`.samples.sample_risk_curve` (``docs/finite_samples.md``).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import InvalidArgument
from .sample_equation import context
from .sample_moments import flow_weights, teacher_labels
from .samples import SampleTrajectory, _model, _table

__all__ = ["sample_curve"]


def sample_curve(setting, samples=None, student_samples=None, best_of=None):
    """Teacher and student risks over sample sizes, one table for all (float64 use).

    ``samples`` and ``student_samples``: sequences of :math:`n_T` and :math:`n_S` (of
    equal length; ``None`` keeps the setting's value for every size). The student is
    evaluated at the setting's points (``times`` or ``student_ridge``); ``best_of``, a
    sequence of points of the same kind, adds the smallest student risk over them (a
    grid, not the certified search). Returns a dict of arrays: ``teacher_risk``,
    ``student_risk`` (sizes x points), ``best_student_risk`` and ``best_point``.
    """
    p = setting.precision
    n_T = list(samples) if samples is not None else None
    n_S = list(student_samples) if student_samples is not None else None
    size = len(n_T if n_T is not None else (n_S or [setting.samples]))
    n_T = n_T or [setting.samples] * size
    n_S = n_S or [setting.student_samples] * size
    if len(n_T) != len(n_S):
        raise InvalidArgument("student_samples", "needs as many sizes as samples")
    M_T, M_S = setting.teacher_width, setting.student_width
    ridge_mode = setting.student_ridge is not None
    pts = list(setting.student_ridge if ridge_mode else (setting.times or ()))
    grid = list(best_of or ())
    t_T = setting.teacher_time
    lam_T = setting.ridge if setting.ridge is not None else 0

    def m0(M, ns):
        finite = [x for x in ns if x is not None]
        cands = [x for x in ([M] if M is not None else []) + ([max(finite)] if finite
                                                                 else [])]
        return min(cands) if cands else None
    mT, mS = m0(M_T, n_T), m0(M_S, n_S)
    scales = [float(x) for x in pts + grid if float(x) > 0]
    scales = [1 / x for x in scales] if ridge_mode else scales
    if t_T is not None and math.isfinite(float(t_T)):
        scales.append(float(t_T))
    elif float(lam_T) > 0:
        scales.append(1 / float(lam_T))
    t_max = max(scales) if scales else None
    table = _table(setting.spectrum, setting.bound_target, mT, mS, t_max, p, ridge_mode)
    with context(p):
        floor = p.exp(table.log_null)
        energy = p.exp(table.log_energy)
        inf = float("inf") if p.is_float else mpmath.inf
        LT, LS, best, arg = [], [], [], []
        for nT, nS in zip(n_T, n_S):
            teacher = _model(table, M_T, nT, "teacher_width", "samples")
            if t_T is None or math.isinf(float(t_T)):
                nodes = teacher.ridge(lam_T)
                W = flow_weights(p, nodes, None)
            else:
                tt = p.scalar(t_T)
                nodes = teacher.window(int(math.floor(math.log2(float(tt)))))
                W = flow_weights(p, nodes, tt)
            labels = teacher_labels(teacher, nodes, W, setting.noise or 0, floor)
            traj = SampleTrajectory(_model(table, M_S, nS, "student_width",
                                           "student_samples"), labels, energy,
                                    "ridge" if ridge_mode else "flow", labels.risk)

            def conv(xs):
                xs = [p.scalar(x) for x in xs]
                return [(1 / x if x > 0 else inf) for x in xs] if ridge_mode else xs
            LT.append(labels.risk)
            LS.append(list(traj.risk(conv(pts))[0]) if pts else [])
            if grid:
                v = traj.risk(conv(grid))[0]
                k = int(np.argmin([float(x) for x in v]))
                best.append(v[k])
                arg.append(grid[k])
    out = {"samples": n_T, "student_samples": n_S, "points": pts,
           "teacher_risk": np.array(LT, dtype=object if not p.is_float else float),
           "student_risk": np.array(LS, dtype=object if not p.is_float else float)}
    if grid:
        out["best_student_risk"] = np.array(best, dtype=object if not p.is_float
                                            else float)
        out["best_point"] = arg
    return out
