r"""How long a computation will take, estimated before it starts (issue 15 item 2).

:func:`estimate` gives the expected wall-clock seconds of a risk curve, a simulation or a
report from measured cost models; :func:`check` refuses a request whose estimate is
beyond a limit (the command line's ``--max-seconds``) up front, with the estimate and
the option that raises the limit. The commands show the estimate in their progress bar
(:class:`~w2s_theory._src.progress.ProgressBar`).

The models and their constants (``benchmarks/calibrate_cost.py`` measures the points and
fits them; measured on the development machine, 2 cores shared with other jobs, one BLAS
thread, numpy/OpenBLAS, mpmath with its Python backend):

* **Risk curve** (:func:`risk_seconds`). float64: ``0.06 s + 1.3e-4 s`` per time
  ``+ 0.05 s`` for the search of t* (``+ 0.2 s`` for a finite student's); activations
  without a closed form (tanh, erf, ...) add ``1.5 s`` for their Funk-Hecke projection.
  At ``D`` digits (``x = D/100``) the spectral tail sums and the table at the working
  precision dominate: ``4.8 x + 2.3 x^3`` seconds (terms ``~ D/3`` times quadrature
  nodes ``~ D`` times an mpmath operation ``~ D``), plus ``0.015 x`` seconds per block
  evaluation, ``K = 20`` blocks per time and about 20 times for the t* search. Measured
  at 30, 50, 80, 120 and 300 digits (d = 6), 20 times, the search, d = 3 and 12, M_T = 10
  and 1000: within a factor of 1.5 for d = 6, 3 across dimensions (d = 3 is the slowest
  seen: its tail sums take longer).
  Only features on the sphere pay the tail sums (finite spectra have no tail, power
  laws take theirs from the Hurwitz zeta function).
* **Spectrum** (:func:`spectrum_seconds`, ``w2s spectrum``): at ``D`` digits on the
  sphere, its tail mass costs ``3.2 x + 1.7 x^3`` seconds (measured at 30, 60, 100 and
  150 digits, d = 3, 6, 10: within a factor of 1.3; 1000 digits ran past 9 minutes,
  the model says 29); float64 and other families: ``0.05 s``.
* **Exact simulation** (:func:`simulate_seconds`), per seed: ``0.023 s + 0.30 s *
  (M_T^3 + M_S^3) / 1e9 + 0.17 s * (M_T^2 + M_S^2 + M_T M_S) / 1e6`` (the
  eigendecompositions, ``~ 2 m^3`` flops at 6.7 GFlop/s, and the Gram and cross kernels,
  ``~ m^2`` kernel evaluations); the seeds split over the workers the simulator will use;
  plus the theory beside it and ``0.1 s`` to start a pool. Measured for M_T from 200 to
  1500, M_S from 500 to 1500 and infinite (ReLU, d = 6): within a factor of 1.4.
* **Sampled simulation**: a coarse model (the teacher's SGD runs until its loss stops
  improving): teacher ``min(max_steps, 10 M_T^2)`` steps at ``9e-5 s`` per step per 100
  features, student ``5e-3 s`` per unit of training time per 200 features. Within a
  factor of about 3 on the settings measured (M_T = 20 and 100).
* **Report**: the risk curves of every teacher width (one pass without and one with the
  search, on ``time_points`` times), the simulations of the simulated widths, and
  ``3 s`` for the figures. ``w2s latex --all`` (sympy): 7.5 s measured, ``8 s``.

>>> from w2s_theory._src.setting import Setting
>>> s = Setting(dim=6, teacher_width=100, times=[10])
>>> estimate(s, "risk") < 1 < estimate(s.replace(precision=300), "risk")
True
>>> check(700.0, 600, "this risk curve")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
w2s_theory._src.errors.InvalidArgument: --max-seconds: this risk curve: estimated 12 min
(700 s), beyond the limit of 600 s; raise it with --max-seconds (e.g. --max-seconds 1400)
"""

from __future__ import annotations

import math

from .errors import InvalidArgument, check_int

__all__ = ["estimate", "check", "risk_seconds", "simulate_seconds", "report_seconds",
           "spectrum_seconds",
           "format_seconds", "DEFAULT_MAX_SECONDS", "parse_max_seconds", "LATEX_DOCUMENT"]

#: the default of ``--max-seconds``
DEFAULT_MAX_SECONDS = 600.0

# -- constants (see the module docstring; fitted by benchmarks/calibrate_cost.py) ---------
RISK_FLOAT_BASE = 0.06          # s: one float64 risk curve
RISK_FLOAT_PER_TIME = 1.3e-4    # s per time
RISK_FLOAT_SEARCH = 0.05        # s: the search for t*
RISK_FINITE_SEARCH = 0.2        # s: the search for t* of a finite student
RISK_PROJECTION = 1.5           # s: Funk-Hecke projection of an activation without a
#                                 closed form (float64; per process)
RISK_MP_LINEAR = 4.8            # s * (D/100): tail sums, table at D digits
RISK_MP_CUBIC = 2.3             # s * (D/100)^3
RISK_MP_BLOCK = 0.015           # s * (D/100) per block evaluation
RISK_BLOCKS = 20                # blocks per time evaluation (nominal)
RISK_SEARCH_EVALS = 20          # time evaluations of the search for t*

SIM_SEED = 0.023                # s per seed
SIM_CUBIC = 0.30                # s per 1e9 (M_T^3 + M_S^3)
SIM_SQUARE = 0.17               # s per 1e6 (M_T^2 + M_S^2 + M_T M_S)
SIM_POOL = 0.1                  # s to start a pool
SAMPLED_TEACHER_STEP = 9e-5     # s per SGD step per 100 features
SAMPLED_STUDENT_TIME = 5e-3     # s per unit of training time per 200 features
SAMPLED_SEED = 0.3              # s per seed

SPECTRUM_BASE = 0.05            # s
SPECTRUM_MP_LINEAR = 3.2        # s * (D/100): the tail mass on the sphere at D digits
SPECTRUM_MP_CUBIC = 1.7         # s * (D/100)^3

REPORT_FIGURES = 3.0            # s: matplotlib and the figures
LATEX_DOCUMENT = 8.0            # s: ``w2s latex --all`` (sympy builds every expression)


def format_seconds(seconds: float) -> str:
    """``"12 s"``, ``"3.4 min"``, ``"5.1 h"``, ``"2.3e+03 h"``."""
    if not math.isfinite(seconds):
        return "forever"
    if seconds < 100:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.2g} min"
    hours = seconds / 3600
    return f"{hours:.2g} h"


def _closed_form(setting) -> bool:
    """Whether the features have closed-form coefficients (no projection needed)."""
    if setting.family != "sphere":
        return True
    act = setting.activation
    if isinstance(act, str):
        from .activations import get_activation

        act = get_activation(act)
    return getattr(act, "family", None) is not None


def risk_seconds(setting, *, optimal_stopping: bool = True, times: int | None = None) \
        -> float:
    """Seconds of :func:`~w2s_theory._src.theory.risk_curve` for ``setting`` (see the
    module docstring). ``times``: the number of times (default: the setting's; ``w2s
    risk`` without times evaluates a grid of 25)."""
    n = times if times is not None else len(setting.times or setting.steps or ()) or 25
    finite = setting.student_width is not None or setting.lr is not None
    search = bool(optimal_stopping)
    out = RISK_FLOAT_BASE + RISK_FLOAT_PER_TIME * n
    if search:
        out += RISK_FINITE_SEARCH if finite else RISK_FLOAT_SEARCH
    if not _closed_form(setting):
        out += RISK_PROJECTION
    digits = setting.precision.digits
    if digits is not None:
        x = digits / 100
        evals = n + (RISK_SEARCH_EVALS if search else 0)
        out += RISK_MP_BLOCK * x * RISK_BLOCKS * evals
        if setting.family == "sphere":
            out += RISK_MP_LINEAR * x + RISK_MP_CUBIC * x ** 3
        if not _closed_form(setting):
            out += RISK_PROJECTION * x ** 3
    return out


def spectrum_seconds(spectrum, precision=None) -> float:
    """Seconds of ``w2s spectrum`` for a spectrum at ``precision`` (see the module
    docstring)."""
    from .precision import as_precision
    from .spectra import GaussianInputSpectrum, SphereSpectrum

    digits = as_precision(precision).digits
    if digits is None or not isinstance(spectrum, (SphereSpectrum, GaussianInputSpectrum)):
        return SPECTRUM_BASE
    x = digits / 100
    return SPECTRUM_BASE + SPECTRUM_MP_LINEAR * x + SPECTRUM_MP_CUBIC * x ** 3


def _workers(method, seeds, widest, M_T, workers):
    """The workers :func:`~w2s_theory._src.simulation.simulate` will use (its rule:
    the cores for a job of more than about a second, memory permitting)."""
    if workers is not None:
        return max(1, min(check_int("workers", workers, minimum=1), seeds))
    heavy = (method == "sampled" or seeds * widest ** 3 >= 2e9
             or seeds * M_T ** 2 * 64 >= 2e9)
    if not heavy:
        return 1
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                                      # pragma: no cover
        cores = os.cpu_count() or 1
    return max(1, min(cores, seeds))


def simulate_seconds(setting, *, method: str = "exact", seeds: int = 10, workers=None,
                     n: int | None = None, max_steps: int = 200_000,
                     optimal_stopping: bool = True) -> float:
    """Seconds of :func:`~w2s_theory._src.simulation.simulate` (see the module
    docstring)."""
    seeds = check_int("seeds", seeds, minimum=1)
    M_T, M_S = setting.teacher_width, setting.student_width
    widest = max(M_T, M_S or 0)
    w = _workers(method, seeds, widest, M_T, workers)
    if method == "sampled":
        steps = min(max_steps, 10 * M_T ** 2)
        t_max = max([float(t) for t in setting.training_times()
                     if math.isfinite(float(t))] or [0.0])
        width = M_S if M_S is not None else (n or 200)
        per_seed = (SAMPLED_SEED + SAMPLED_TEACHER_STEP * steps * max(M_T, 20) / 100
                    + SAMPLED_STUDENT_TIME * t_max * max(width, 200) / 200)
    else:
        S = M_S or 0
        per_seed = (SIM_SEED + SIM_CUBIC * (M_T ** 3 + S ** 3) / 1e9
                    + SIM_SQUARE * (M_T ** 2 + S ** 2 + M_T * S) / 1e6)
    theory = risk_seconds(setting.replace(precision=None),
                          optimal_stopping=optimal_stopping) if n is None else 0.0
    return theory + math.ceil(seeds / w) * per_seed + (SIM_POOL * w if w > 1 else 0.0)


def report_seconds(report_setting, *, workers=None) -> float:
    """Seconds of ``w2s report`` for a :class:`~w2s_theory._src.report.settings.
    ReportSetting` (see the module docstring)."""
    from .report.compute import simulated_widths

    simulated = set(simulated_widths(report_setting))
    out = REPORT_FIGURES
    for M in report_setting.teacher_width:
        s = report_setting.setting(M)
        out += risk_seconds(s, optimal_stopping=False, times=1)
        out += risk_seconds(s, optimal_stopping=True, times=report_setting.time_points)
        if M in simulated:
            out += simulate_seconds(s, seeds=report_setting.seeds, workers=workers,
                                    optimal_stopping=False) - \
                risk_seconds(s.replace(precision=None), optimal_stopping=False)
    return out


def estimate(setting, kind: str = "risk", **options) -> float:
    """Estimated seconds of a computation: ``kind`` ``"risk"`` (:func:`risk_seconds`;
    options ``optimal_stopping``, ``times``), ``"simulate"`` (:func:`simulate_seconds`;
    options ``method``, ``seeds``, ``workers``, ``n``, ``max_steps``,
    ``optimal_stopping``), ``"report"`` (a report setting; option ``workers``) or
    ``"spectrum"`` (a spectrum; option ``precision``)."""
    if kind == "risk":
        return risk_seconds(setting, **options)
    if kind == "simulate":
        return simulate_seconds(setting, **options)
    if kind == "report":
        return report_seconds(setting, **options)
    if kind == "spectrum":
        return spectrum_seconds(setting, **options)
    raise InvalidArgument("kind", "must be 'risk', 'simulate', 'report' or 'spectrum', "
                          f"got {kind!r}")


def parse_max_seconds(value, name: str = "--max-seconds") -> float:
    """A limit in seconds: a number > 0, or ``inf`` (no limit)."""
    from .setting import parse_number

    return float(parse_number(name, value, minimum=0, strict=True, allow_inf=True))


def check(estimate_seconds: float, limit_seconds, what: str,
          option: str = "--max-seconds") -> float:
    """Refuse (``InvalidArgument`` naming ``option``) a computation estimated to take
    longer than ``limit_seconds`` (``None`` or ``inf``: no limit); returns the
    estimate."""
    if limit_seconds is None or not math.isfinite(float(limit_seconds)):
        return estimate_seconds
    if estimate_seconds > float(limit_seconds):
        suggestion = _round_up(2 * estimate_seconds)
        shown = format_seconds(estimate_seconds)
        if estimate_seconds >= 100:
            shown += f" ({_plain_seconds(estimate_seconds)})"
        raise InvalidArgument(option, f"{what}: estimated {shown}, beyond the limit of "
                              f"{_plain_seconds(float(limit_seconds))}; raise it with "
                              f"{option} (e.g. {option} {suggestion})")
    return estimate_seconds


def _plain_seconds(x: float) -> str:
    return f"{x:.0f} s" if x < 1e5 else f"{x:.2g} s"


def _round_up(x: float) -> str:
    """A round number of seconds above ``x`` (two significant digits)."""
    if not math.isfinite(x):
        return "inf"
    e = max(0, int(math.floor(math.log10(max(x, 1)))) - 1)
    return str(int(math.ceil(x / 10 ** e)) * 10 ** e)
