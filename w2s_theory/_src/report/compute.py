r"""The numbers of a report: theory curves, exact simulations, the spectrum.

For every teacher width of the setting, :func:`compute_report` evaluates the
deterministic-equivalent risks (:func:`~w2s_theory._src.theory.risk_curve`) on a log grid
of times shared by all widths, with the optimal stopping time :math:`t^*`, and runs the
exact simulation (:func:`~w2s_theory._src.simulation.simulate`, method ``exact``) at a
few log-spaced times and at :math:`t^*`. The time grid, unless given, runs from
:math:`10^{-2}/\lambda_{\max}` (nothing learned yet) to :math:`10^{4}/\nu` of the widest
teacher (the end of the engine's search range for :math:`t^*`, where the student is
well on its way back to :math:`L_T`).

>>> from w2s_theory._src.report.settings import build_setting
>>> s = build_setting({"dim": 6, "teacher_width": [50], "simulation": False,
...                    "time_points": 20})
>>> data = compute_report(s)
>>> w = data.widths[0]
>>> bool(w.curve.optimal_student_risk < w.curve.teacher_risk)
True
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..targets import IrreducibleFloorWarning, parse_target
from ..theory import risk_curve
from .settings import ReportSetting

__all__ = ["WidthResult", "ReportData", "compute_report", "planned_steps", "simulated_pgr",
           "gain_grid_table",
           "simulated_widths", "spectrum_table", "resolve_time_range"]


@dataclass(frozen=True)
class WidthResult:
    """One teacher width: the theory on the grid, and the simulation (or ``None``)."""

    teacher_width: int
    curve: object                    # RiskCurve on the time grid (primary student width)
    simulation: object = None        # SimulationResult at sim_times, or None
    sim_times: tuple = ()
    t_star_index: int | None = None  # index of t* in sim_times
    other_curves: tuple = ()         # ((student width or None, RiskCurve), ...): the rest

    @property
    def sim_teacher(self):
        return None if self.simulation is None else self.simulation.teacher_risk

    def sim_at_t_star(self):
        """Summary of the simulated student at the theory's t* (or ``None``)."""
        if self.simulation is None or self.t_star_index is None:
            return None
        return self.simulation.student_risk[self.t_star_index]

    def sim_pgr_at_t_star(self):
        """``(mean, stderr)`` over seeds of ``(L_T - L_S(t*)) / (L_T - L_ceil)``."""
        s = self.sim_at_t_star()
        if s is None:
            return None
        return simulated_pgr(self.simulation, self.t_star_index)


def simulated_pgr(sim, index):
    """``(mean, stderr)`` over the seeds of a simulation of
    ``(L_T - L_S) / (L_T - L_ceil)`` at its time ``index`` (each seed's own teacher and,
    for a finite student, its own ceiling; the infinite student's ceiling is the
    floor, 0 in the simulated families' exact-in-input sums)."""
    lt = np.asarray([r.teacher_risk for r in sim.runs])
    ls = np.asarray([r.student_risk[index] for r in sim.runs])
    ceil = np.asarray([r.student.get("ceiling_risk", 0.0) for r in sim.runs])
    pgr = (lt - ls) / (lt - ceil)
    se = float(np.std(pgr, ddof=1) / math.sqrt(len(pgr))) if len(pgr) > 1 else None
    return float(np.mean(pgr)), se


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows; ``setting`` has the time range resolved."""

    setting: ReportSetting
    times: tuple
    widths: tuple
    spectrum: dict
    target_energy: float
    floor: float
    grid: dict = field(default_factory=dict)   # PGR(t*) over teacher x student widths
    warnings: tuple = ()
    seconds: dict = field(default_factory=dict)


def spectrum_table(spectrum, target, nus=()) -> dict:
    r"""Eigenvalues, multiplicities and target energies of the first blocks.

    Degrees ``0..40`` on the sphere, every block of a finite spectrum (at most 400), the
    first 200 of a power law. ``nus`` (the teachers' effective regularizations) are
    stored beside them: degrees with :math:`\lambda_k \gg \nu` are learned by the teacher.
    """
    from ..spectra import GaussianInputSpectrum, SphereSpectrum

    harmonic = isinstance(spectrum, (SphereSpectrum, GaussianInputSpectrum))
    K = 41 if harmonic else 200
    if spectrum.n_blocks is not None:
        K = min(spectrum.n_blocks, 400)
    b = spectrum.blocks(K)
    bt = parse_target(target).bind(spectrum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IrreducibleFloorWarning)
        log_a, _ = bt.amplitudes(K)
    lam = np.exp(np.asarray(b.log_lam, dtype=float))
    mult = np.exp(np.asarray(b.log_mult, dtype=float))
    energy = np.exp(2 * np.asarray(log_a, dtype=float))
    return {"kind": spectrum.describe()["kind"],
            "label": "degree k" if harmonic else "index i",
            "index": [int(i) for i in np.asarray(b.index)],
            "eigenvalue": [float(x) for x in lam],
            "multiplicity": [int(round(x)) if x < 2 ** 53 else float(x) for x in mult],
            "target_energy": [float(x) for x in energy],
            "nu": [float(x) for x in nus]}


def resolve_time_range(setting: ReportSetting, spectrum, curves0) -> tuple:
    """The time range: the setting's, or ``(1e-2/lambda_max, 1e4/nu_min)``."""
    if setting.time_range is not None:
        return tuple(float(x) for x in setting.time_range)
    # the engine searches t* in (1e-3/lambda_max, 1e4/nu)
    n = 41 if spectrum.n_blocks is None else min(spectrum.n_blocks, 4096)
    lam_max = float(np.exp(np.max(np.asarray(spectrum.blocks(n).log_lam, dtype=float))))
    lo = 1e-2 / lam_max
    hi = 1e4 / min(float(c.nu_teacher) for c in curves0)
    lo, hi = _round_down(lo), _round_up(hi)
    return (lo, hi)


def _round_down(x):
    e = math.floor(math.log10(x))
    return float(f"{math.floor(x / 10 ** e):.0f}e{e}")


def _round_up(x):
    e = math.floor(math.log10(x))
    m = math.ceil(x / 10 ** e)
    return float(f"{m:.0f}e{e}") if m < 10 else float(f"1e{e + 1}")


def _sim_times(lo, hi, n, t_star):
    base = list(np.geomspace(lo, hi, n)) if n > 1 else [math.sqrt(lo * hi)]
    ts = sorted(set(float(t) for t in base))
    idx = None
    if t_star is not None and math.isfinite(float(t_star)):
        ts.append(float(t_star))
        ts.sort()
        idx = ts.index(float(t_star))
    return tuple(ts), idx


def simulated_widths(setting: ReportSetting) -> list:
    """The teacher widths that are simulated (all up to ``sim_max_width``)."""
    return [M for M in setting.teacher_width
            if setting.simulation and M <= setting.sim_max_width]


def _grid_simulated(setting: ReportSetting) -> list:
    """The (teacher width, student width) cells of the heat map simulated at t* besides
    the curves' own: simulated teacher widths, finite student widths up to
    ``sim_max_width`` wider than the teacher, and the infinite student."""
    return [(M, M_S) for M in simulated_widths(setting)
            for M_S in setting.student_widths[1:]
            if M_S is None or M < M_S <= setting.sim_max_width]


def planned_steps(setting: ReportSetting) -> int:
    """Steps :func:`compute_report` reports to its tracker: two theory passes per width,
    one per further student width, and one step per simulated seed."""
    n_s = len(setting.student_widths)
    return (len(setting.teacher_width) * (1 + n_s)
            + (len(simulated_widths(setting)) + len(_grid_simulated(setting)))
            * setting.seeds)


def compute_report(setting: ReportSetting, *, tracker=None, workers=None) -> ReportData:
    """Theory and simulations for every teacher width of ``setting``.

    ``tracker`` (a :class:`~w2s_theory._src.progress.Tracker`) is advanced by :func:`planned_steps`
    steps as the work proceeds; ``workers`` is passed to the simulations.
    """
    from ..simulation import simulate
    from ..progress import Tracker

    stages = tracker if tracker is not None else Tracker()
    t_start = time.perf_counter()
    spectrum = setting.spectrum()
    widths = setting.teacher_width
    simulated = simulated_widths(setting)
    stages.advance(0, "theory")
    caught_all = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IrreducibleFloorWarning)
        first = []
        for M in widths:
            first.append(risk_curve(setting.setting(M), optimal_stopping=False))
            stages.advance(1, f"theory M_T={M}")
        lo, hi = resolve_time_range(setting, spectrum, first)
        grid = tuple(float(t) for t in np.geomspace(lo, hi, setting.time_points))
        curves, others = [], []
        for M in widths:
            curves.append(risk_curve(setting.setting(M), times=grid))
            stages.advance(1, f"theory M_T={M}")
            row = []
            for M_S in setting.student_widths[1:]:
                row.append((M_S, risk_curve(setting.setting(M, M_S), times=grid)))
                stages.advance(1, f"theory M_T={M}, M_S={'inf' if M_S is None else M_S}")
            others.append(tuple(row))
        caught_all += [str(w.message) for w in caught
                       if issubclass(w.category, IrreducibleFloorWarning)]
    t_theory = time.perf_counter() - t_start
    results = []

    def run(M, M_S, ts, what):
        base = stages.done

        def cb(done, total):
            stages.advance_to(base + done, f"simulating {what}: {done}/{total} seeds")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IrreducibleFloorWarning)
            sim = simulate(setting.setting(M, M_S), times=list(ts), method="exact",
                           seeds=setting.seeds, seed=setting.seed, workers=workers,
                           progress=cb, optimal_stopping=False)
        stages.advance_to(base + setting.seeds, f"simulated {what}")
        return sim

    for M, curve, other in zip(widths, curves, others):
        if M not in simulated:
            results.append(WidthResult(M, curve, other_curves=other))
            continue
        ts, idx = _sim_times(lo, hi, setting.sim_points, curve.optimal_time)
        sim = run(M, setting.student_widths[0], ts, f"M_T={M}")
        results.append(WidthResult(M, curve, sim, ts, idx, other))
    cells = {}
    for M, M_S in _grid_simulated(setting):
        c = dict(next(w.other_curves for w in results if w.teacher_width == M))[M_S]
        if c.optimal_time is None or not math.isfinite(float(c.optimal_time)):
            continue
        sim = run(M, M_S, [float(c.optimal_time)], f"M_T={M}, M_S={M_S or 'inf'}")
        cells[(M, M_S)] = simulated_pgr(sim, 0)
    t_sim = time.perf_counter() - t_start - t_theory
    table = spectrum_table(spectrum, setting.target, [float(c.nu_teacher) for c in curves])
    resolved = setting.replace(time_range=(lo, hi))
    return ReportData(
        setting=resolved, times=grid, widths=tuple(results), spectrum=table,
        target_energy=float(curves[0].target_energy), floor=float(curves[0].floor),
        warnings=tuple(sorted(set(caught_all))),
        seconds={"theory": t_theory, "simulation": t_sim},
        grid=gain_grid_table(setting, results, cells))


def gain_grid_table(setting: ReportSetting, results, cells) -> dict:
    """The heat map's numbers: per teacher width (rows) and student width (columns),
    the theory's PGR(t*), L_S(t*), t* and ceiling, and the simulated PGR at t* (mean,
    standard error) where it was simulated."""
    def num(x):
        return None if x is None or not math.isfinite(float(x)) else float(x)

    rows = []
    for w in results:
        by_width = dict(((setting.student_widths[0], w.curve),) + w.other_curves)
        row = []
        for M_S in setting.student_widths:
            c = by_width[M_S]
            sim = w.sim_pgr_at_t_star() if M_S == setting.student_widths[0] else \
                cells.get((w.teacher_width, M_S))
            row.append({"student_width": "inf" if M_S is None else M_S,
                        "pgr": num(c.optimal_pgr),
                        "optimal_student_risk": num(c.optimal_student_risk),
                        "optimal_time": num(c.optimal_time),
                        "ceiling_risk": num(c.student_ceiling_risk),
                        "sim_pgr": None if sim is None else sim[0],
                        "sim_pgr_stderr": None if sim is None else sim[1]})
        rows.append({"teacher_width": w.teacher_width,
                     "teacher_risk": float(w.curve.teacher_risk), "cells": row})
    return {"student_widths": list(setting.student_width), "rows": rows}
