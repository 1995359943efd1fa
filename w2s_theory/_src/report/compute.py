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

__all__ = ["WidthResult", "ReportData", "compute_report", "planned_steps",
           "simulated_widths", "spectrum_table", "resolve_time_range"]


@dataclass(frozen=True)
class WidthResult:
    """One teacher width: the theory on the grid, and the simulation (or ``None``)."""

    teacher_width: int
    curve: object                    # RiskCurve on the time grid
    simulation: object = None        # SimulationResult at sim_times, or None
    sim_times: tuple = ()
    t_star_index: int | None = None  # index of t* in sim_times

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
        lt = np.asarray(self.simulation.teacher_risk.values)
        ls = np.asarray(s.values)
        ceil = self.simulation.diagnostics.get("student_ceiling_risk", {}).get("mean", 0.0)
        pgr = (lt - ls) / (lt - (ceil or 0.0))
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
    warnings: tuple = ()
    seconds: dict = field(default_factory=dict)


def spectrum_table(spectrum, target, nus=()) -> dict:
    r"""Eigenvalues, multiplicities and target energies of the first blocks.

    Degrees ``0..40`` on the sphere, every block of a finite spectrum (at most 400), the
    first 200 of a power law. ``nus`` (the teachers' effective regularizations) are
    stored beside them: degrees with :math:`\lambda_k \gg \nu` are learned by the teacher.
    """
    from ..spectra import SphereSpectrum

    K = 41 if isinstance(spectrum, SphereSpectrum) else 200
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
            "label": "degree k" if isinstance(spectrum, SphereSpectrum) else "index i",
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


def planned_steps(setting: ReportSetting) -> int:
    """Steps :func:`compute_report` reports to its tracker: two theory passes per width
    and one step per simulated seed."""
    return 2 * len(setting.teacher_width) + len(simulated_widths(setting)) * setting.seeds


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
        curves = []
        for M in widths:
            curves.append(risk_curve(setting.setting(M), times=grid))
            stages.advance(1, f"theory M_T={M}")
        caught_all += [str(w.message) for w in caught
                       if issubclass(w.category, IrreducibleFloorWarning)]
    t_theory = time.perf_counter() - t_start
    results = []
    for M, curve in zip(widths, curves):
        if M not in simulated:
            results.append(WidthResult(M, curve))
            continue
        ts, idx = _sim_times(lo, hi, setting.sim_points, curve.optimal_time)
        base = stages.done

        def cb(done, total, _M=M, _base=base):
            stages.advance_to(_base + done, f"simulating M_T={_M}: {done}/{total} seeds")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IrreducibleFloorWarning)
            sim = simulate(setting.setting(M), times=list(ts), method="exact",
                           seeds=setting.seeds, seed=setting.seed, workers=workers,
                           progress=cb, optimal_stopping=False)
        stages.advance_to(base + setting.seeds, f"simulated M_T={M}")
        results.append(WidthResult(M, curve, sim, ts, idx))
    t_sim = time.perf_counter() - t_start - t_theory
    table = spectrum_table(spectrum, setting.target, [float(c.nu_teacher) for c in curves])
    resolved = setting.replace(time_range=(lo, hi))
    return ReportData(
        setting=resolved, times=grid, widths=tuple(results), spectrum=table,
        target_energy=float(curves[0].target_energy), floor=float(curves[0].floor),
        warnings=tuple(sorted(set(caught_all))),
        seconds={"theory": t_theory, "simulation": t_sim})
