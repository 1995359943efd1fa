r"""The risk curve: teacher and student risks, gain, PGR, optimal stopping.

:func:`risk_curve` is the engine's entry point. It chooses the cut ``K`` between
explicit blocks and the summed tail from the teacher's effective regularization and the
largest time, solves for :math:`\nu`, evaluates :math:`L_S(t)` on the requested times,
and finds the optimal stopping time :math:`t^*` (:mod:`.stopping`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from dataclasses import dataclass, field

import mpmath
import numpy as np

from ..errors import InvalidArgument
from ..precision import FLOAT64, number_formatter
from ..setting import Setting
from ..targets import IrreducibleFloorWarning
from .resolvent import student_kernel, table_rank
from .stopping import search_optimum
from .table import build_table, series_plan, time_plan
from .teacher import solve_log_nu, teacher_sums
from .trajectory import Trajectory

__all__ = ["RiskCurve", "risk_curve", "setting_of"]


@dataclass(frozen=True)
class RiskCurve:
    """Result of :func:`risk_curve` (immutable; ``.replace(...)``, ``.to_dict()``)."""

    setting: Setting
    digits: int | None
    teacher_width: int
    student_width: int | None
    student_ceiling_risk: object
    nu_teacher: object
    nu_student: object
    student_top_edge: object
    lr: object
    steps: tuple
    teacher_risk: object
    target_energy: object
    floor: object
    times: tuple
    student_risk: tuple
    gain: tuple
    pgr: tuple
    optimal_time: object
    optimal_steps: object
    optimal_student_risk: object
    win_intervals: tuple
    lower_bound: tuple | None = None
    gain_upper_bound: object = None
    pgr_upper_bound: object = None
    error_bound: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)

    def replace(self, **changes) -> "RiskCurve":
        return dataclasses.replace(self, **changes)

    optimal_gain: object = None
    optimal_pgr: object = None
    #: finite samples (docs/finite_samples.md): the samples and trainings (None: the
    #: population theory), the student's ridge penalties (then ``times`` is empty and
    #: ``student_risk`` follows the penalties; ``win_intervals`` are intervals of
    #: penalties) and the optimal penalty
    samples: dict | None = None
    student_ridges: tuple = ()
    optimal_student_ridge: object = None

    def to_dict(self, as_strings: bool = False) -> dict:
        """Plain dict; numbers as floats, or (``as_strings``) as decimal strings carrying
        the result's digits. Infinite values (``t* = inf``, open win intervals) are
        ``None``."""
        conv = number_formatter(self.digits if as_strings else None)
        opt = None if self.optimal_student_risk is None else conv
        out = {
            "setting": self.setting.to_dict(),
            "digits": self.digits,
            "teacher_width": self.teacher_width,
            "student_width": "inf" if self.student_width is None else self.student_width,
            "student_ceiling_risk": conv(self.student_ceiling_risk),
            "nu_student": conv(self.nu_student),
            "student_top_edge": conv(self.student_top_edge),
            "lr": None if self.lr is None else conv(self.lr),
            "steps": list(self.steps),
            "nu_teacher": conv(self.nu_teacher),
            "teacher_risk": conv(self.teacher_risk),
            "target_energy": conv(self.target_energy),
            "floor": conv(self.floor),
            "times": [conv(t) for t in self.times],
            "student_risk": [conv(x) for x in self.student_risk],
            "gain": [conv(x) for x in self.gain],
            "pgr": [conv(x) for x in self.pgr],
            "optimal_time": conv(self.optimal_time),
            "optimal_steps": None if self.optimal_steps is None or
            math.isinf(float(self.optimal_steps)) else int(self.optimal_steps),
            "optimal_time_is_infinite": self.optimal_time is not None and
            math.isinf(float(self.optimal_time)),
            "optimal_student_risk": conv(self.optimal_student_risk),
            "optimal_gain": opt and opt(self.optimal_gain),
            "optimal_pgr": opt and opt(self.optimal_pgr),
            "win_intervals": [[conv(a), conv(b)] for a, b in self.win_intervals],
            "lower_bound": None if self.lower_bound is None else
            [None if x is None else conv(x) for x in self.lower_bound],
            "gain_upper_bound": conv(self.gain_upper_bound),
            "pgr_upper_bound": conv(self.pgr_upper_bound),
            "error_bound": {k: float(v) for k, v in self.error_bound.items()},
            "diagnostics": self.diagnostics,
        }
        if self.samples is not None:
            out["samples"] = {k: v if v is None or isinstance(v, (str, int)) else conv(v)
                              for k, v in self.samples.items()}
            out["student_ridge"] = [conv(x) for x in self.student_ridges]
            out["optimal_student_ridge"] = conv(self.optimal_student_ridge)
        return out

    def to_json(self, as_strings: bool = False) -> str:
        return json.dumps(self.to_dict(as_strings), allow_nan=False)


def setting_of(setting=None, /, **given):
    """The :class:`~w2s_theory._src.setting.Setting` of an entry point's arguments: a
    setting (with ``given`` keys replaced), or one built from keyword arguments (``None``
    values are "not given"). ``spectrum`` may be a Spectrum object or a setting."""
    if isinstance(given.get("spectrum"), Setting):
        setting = given.pop("spectrum")
    given = {k: v for k, v in given.items() if v is not None}
    if setting is None:
        return Setting.from_values(given)
    if not isinstance(setting, Setting):
        raise InvalidArgument("setting", f"expected a Setting, got {setting!r}")
    return setting.replace(**given) if given else setting


def _choose_table(spectrum, bt, M, t_max, precision, log_nu_guess=None, start=None,
                  student=None):
    """Build the table with ``lambda_bar <= min(rho nu, rho_t/t_max)`` at the solution.

    ``student = (M_S, log nu_S guess or None)`` for a student of finite width: the cut
    then also serves its kernel (``lambda_bar <= rho nu_S``; ``rho_t <= 0.1``, so that
    the resolvent's tail series, geometric in ``t lambda_bar / c``, converges fast on
    power-law spectra too), and ``M`` counts the wider of the two.
    """
    rho, _ = series_plan(precision)
    rho_t, Q = time_plan(spectrum, precision)
    M_S, log_nu_S = student if student is not None else (None, None)
    if M_S is not None:
        rho_t = min(rho_t, 0.1)
    K = max(bt.min_tail_start, spectrum.min_tail_start, 8)
    if spectrum.n_blocks is not None:
        K = spectrum.n_blocks
    elif start is not None:
        K = max(K, start)
        if log_nu_guess is not None:
            # the cut this precision needs at the guessed nu
            with precision.context():
                guess = precision.scalar(log_nu_guess)
                if log_nu_S is not None:
                    guess = min(guess, precision.scalar(log_nu_S))
                thr = precision.log(precision.scalar(rho)) + guess
                if t_max is not None and math.isfinite(float(t_max)) and t_max > 0:
                    thr = min(thr, precision.log(precision.scalar(rho_t) /
                                                 precision.scalar(t_max)))
            K = spectrum.start_for(float(thr) - 0.5, FLOAT64, start=K)
    if spectrum.n_blocks is not None:
        K = spectrum.n_blocks
    elif start is None:
        # enough explicit directions for the width equation to have its root in range:
        # more than 2 M non-zero eigendirections below the cut
        widest = max(M, M_S or 0)
        while True:
            b = spectrum.blocks(K, FLOAT64)
            dims = np.exp(np.asarray(b.log_mult, dtype=float))[np.isfinite(
                np.asarray(b.log_lam, dtype=float))]
            if dims.sum() > 2 * widest or K > 1 << 22:
                break
            K *= 2
    log_nu = None if log_nu_guess is None else precision.scalar(log_nu_guess)
    for _ in range(12):
        table = build_table(spectrum, bt, K, Q, precision)
        log_nu = solve_log_nu(table, M, log_nu)
        if not table.has_tail:
            return table, log_nu
        with precision.context():
            smallest = log_nu
            if M_S is not None:
                log_nu_S = solve_log_nu(table, M_S, log_nu_S)
                smallest = min(log_nu, log_nu_S)
            thr = precision.log(precision.scalar(rho)) + smallest
            if t_max is not None and t_max > 0 and math.isfinite(float(t_max)):
                thr = min(thr, precision.log(precision.scalar(rho_t) /
                                             precision.scalar(t_max)))
            if table.spec_tail.log_lambda_bar <= thr:
                return table, log_nu
            K_new = spectrum.start_for(thr, precision, start=K)
        if K_new <= K:
            K_new = 2 * K
        K = K_new
    raise ArithmeticError("could not place the spectral cut")


def risk_curve(spectrum=None, target=None, teacher_width=None, times=None, *,
               setting=None, optimal_stopping=True, search_range=None,
               **keywords) -> RiskCurve:
    r"""Teacher and student risks (``THEORY.md`` sections 3 and 3b).

    The setting is given either as a :class:`~w2s_theory._src.setting.Setting`
    (``risk_curve(setting)``, or ``setting=``; other arguments then replace its keys) or
    by its keys as keyword arguments (see :data:`~w2s_theory._src.parameters.PARAMS`).

    Parameters
    ----------
    spectrum : Spectrum or Setting, optional
        The feature family; or give ``activation`` and ``dim`` for features on the
        sphere, ``variances``, ``eigenvalues``, or ``power_law``.
    target : str or Target
        ``degree:1`` (default), ``energies:0=0.5,1=1``, ``single-index:relu``, sums with
        ``+``.
    teacher_width : int
        :math:`M_T`, a positive integer (default 100).
    times : sequence
        Stopping times of the student (``>= 0``; ``inf`` allowed). Decimal strings and
        fractions are exact at any precision.
    digits : int or Precision, optional
        ``None`` for float64, or the number of significant digits (>= 15).
    optimal_stopping : bool
        Search for the optimal stopping time :math:`t^*` (certified).
    search_range : (float, float), optional
        Where to search for :math:`t^*` (default :math:`(10^{-3}/\lambda_{max},
        10^4/\nu)`).

    >>> c = risk_curve(activation="relu", dim=6, target="degree:1", teacher_width=100,
    ...                times=[0, float("inf")])
    >>> bool(abs(c.student_risk[0] - 1.0) < 1e-12)                # L_S(0) = ||f*||^2
    True
    >>> bool(abs(c.student_risk[1] - c.teacher_risk) < 1e-12)     # L_S(inf) = L_T
    True
    """
    setting = setting_of(setting, spectrum=spectrum, target=target,
                         teacher_width=teacher_width, times=times, **keywords)
    if setting.loss is not None:
        # the loss without 1/2: the same computation at times 2t or rate 2 lr
        # (Setting.half_loss), reported in the caller's units
        f = setting.time_factor()
        rng = None if search_range is None else tuple(f * float(x) for x in search_range)
        try:
            curve = risk_curve(setting.half_loss(), optimal_stopping=optimal_stopping,
                               search_range=rng)
        except InvalidArgument as exc:
            if exc.argument not in ("lr", "times", "teacher_time"):
                raise
            # the message speaks of the half loss's numbers: say so, in both units
            raise InvalidArgument(exc.argument, f"with loss = {setting.loss} every rate "
                                  f"and time acts as {f} times itself (the half loss's "
                                  f"units), and in those units: {exc.message}") from None
        return _in_caller_units(curve, setting)
    if setting.has_samples:                   # finite samples: docs/finite_samples.md
        from .samples import sample_risk_curve
        return sample_risk_curve(setting, optimal_stopping, search_range)
    precision = setting.precision
    digits = precision.digits
    spectrum, bt, M = setting.spectrum, setting.bound_target, setting.teacher_width
    M_S, descent = setting.student_width, setting.lr is not None
    with precision.context():
        lr = precision.scalar(setting.lr) if descent else None
        # the points of the training: times (gradient flow) or step counts (descent)
        pts = list(setting.steps) if descent else \
            [precision.scalar(t) for t in (setting.times or ())]
        # descent's times lr * steps, exact before the one rounding (as the simulator's)
        ts = [precision.scalar(t) for t in setting.training_times()] if descent else pts
    finite_ts = [float(t) for t in ts if math.isfinite(float(t))]
    # 1. float64 pass: nu (and nu_S), the search range for t*, and the cut K
    student = None if M_S is None else (M_S, None)
    table, log_nu = _choose_table(spectrum, bt, M, None, FLOAT64, student=student)
    lam_max_f = float(np.exp(table.log_lambda_max))
    nu_f = float(np.exp(log_nu))
    if search_range is None:
        t_lo_f, t_hi_f = 1e-3 / lam_max_f, 1e4 / nu_f
    else:
        t_lo_f, t_hi_f = (float(x) for x in search_range)
    t_max = max(finite_ts + [t_hi_f]) if optimal_stopping else (max(finite_ts) if finite_ts
                                                                else None)
    has_init = setting.init_variance(M_S) != 0
    if (M_S is not None or descent or has_init) and t_max is not None:
        t_max = 2 * t_max                      # the general path needs e(2t) as well
    if M_S is not None:
        student = (M_S, _log_nu_student(table, M_S))
    table, log_nu = _choose_table(spectrum, bt, M, t_max, FLOAT64, log_nu_guess=log_nu,
                                  student=student)
    # 2. in mpmath, one table at the cut the working precision needs, nu from the guess
    if not precision.is_float:
        table, log_nu = _choose_table(spectrum, bt, M, t_max, precision,
                                      log_nu_guess=log_nu, start=table.K, student=student)
    teacher = teacher_sums(table, log_nu, M)
    kernel = student_kernel(table, M_S)
    with precision.context():
        # the student's initial top layer (its variance per output weight; 0: from zero)
        init = precision.scalar(setting.init_variance(M_S))
    noise = None
    if setting.batch is not None:          # online SGD: theory/sgd.py
        if M_S is not None:
            raise InvalidArgument("batch", "online SGD's noise has a deterministic "
                                  "equivalent for an infinitely wide student only (a "
                                  "finite student needs the joint law of its Gram "
                                  "spectrum and the labels); the exact simulation gives "
                                  "its expectation for Gaussian features")
        from ..spectra import FiniteSpectrum
        from .sgd import SGDNoise
        if not isinstance(spectrum, FiniteSpectrum):
            raise InvalidArgument("batch", "online SGD's noise has an exact equivalent "
                                  "for Gaussian features with a finite spectrum "
                                  "(variances or eigenvalues) only: features on the "
                                  "sphere are not Gaussian (their fourth moments do not "
                                  "close) and a power law has infinitely many directions")
        noise = SGDNoise(table, teacher, lr, setting.batch, init)
        if not noise.stable:
            warnings.warn(f"online SGD with lr {float(lr):g} and batch {setting.batch} "
                          "diverges: its noise grows by a factor "
                          f"{max(float(t) for t in noise.theta):.6g} per step (lower lr or "
                          "raise the batch)", RuntimeWarning, stacklevel=2)
    traj = Trajectory(table, teacher, kernel, lr, init, noise)
    with precision.context():
        t_lo, t_hi = precision.scalar(t_lo_f), precision.scalar(t_hi_f)
        if descent:
            t_lo, t_hi = t_lo / lr, t_hi / lr
        energy = precision.exp(table.log_energy)
        floor = teacher.floor
        if float(floor) > 1e-12 * float(energy):
            warnings.warn(f"{float(floor / energy):.3g} of the target's energy lies in "
                          "eigenspaces the kernel cannot represent (lambda_k = 0): an "
                          "irreducible floor of every risk", IrreducibleFloorWarning,
                          stacklevel=2)
        if pts:
            ls, err = traj.risk(pts)
        else:
            ls, err = precision.array([]), np.array([])
        L_T = teacher.teacher_risk
        # the ceiling: the same student trained on f* (the teacher's formula at M_S;
        # infinitely wide or spanning every direction: the floor)
        ceiling = floor if kernel.log_nu is None or float(kernel.log_nu) == -math.inf \
            else teacher_sums(table, kernel.log_nu, M_S).teacher_risk
        gains = [L_T - x for x in ls]
        pgrs = [_ratio(g, L_T - ceiling, precision) for g in gains]
        if optimal_stopping:
            p_star, l_star, wins, search = search_optimum(traj, t_lo, t_hi, precision)
            t_star = p_star * lr if descent and math.isfinite(float(p_star)) else p_star
            if descent:
                wins = [(a * lr, b * lr if math.isfinite(float(b)) else b) for a, b in wins]
            g_star = L_T - l_star
            pgr_star = _ratio(g_star, L_T - ceiling, precision)
        else:
            p_star = t_star = l_star = g_star = pgr_star = None
            wins, search = (), {}
        nu_out = precision.exp(log_nu) if not precision.is_float else float(np.exp(log_nu))
        edge = kernel.top_edge
    lb, gub, pub = _bounds(pts, L_T, energy, ceiling, edge, lr, precision)
    diag = {"K": table.K, "series_terms": table.Q,
            "lambda_bar_over_nu": float(np.exp(float(table.spec_tail.log_lambda_bar)
                                               - float(log_nu))) if table.has_tail else 0.0,
            "spectrum": spectrum.describe(), **search}
    errb = {"teacher_risk": teacher.error,
            "student_risk": float(np.max(err)) if len(err) else 0.0,
            "tail_moments": max(table.spec_tail.rel_error, table.tgt_tail.rel_error)}
    if optimal_stopping and math.isfinite(float(p_star)):
        # L_S(t*) is a value of the same trajectory: its own error bound
        _, e_star = traj.risk([p_star])
        errb["optimal_student_risk"] = float(e_star[0])
    if M_S is not None:
        errb["student_width_equation"] = kernel.nu_error
    return RiskCurve(
        setting=setting, digits=digits, teacher_width=M, student_width=M_S,
        student_ceiling_risk=ceiling, nu_teacher=nu_out, nu_student=kernel.nu,
        student_top_edge=edge, lr=lr, steps=tuple(setting.steps or ()),
        teacher_risk=L_T, target_energy=energy, floor=floor, times=tuple(ts),
        student_risk=tuple(ls), gain=tuple(gains), pgr=tuple(pgrs), optimal_time=t_star,
        optimal_steps=p_star if descent else None,
        optimal_student_risk=l_star, win_intervals=tuple(wins), lower_bound=lb,
        gain_upper_bound=gub, pgr_upper_bound=pub, optimal_gain=g_star,
        optimal_pgr=pgr_star, error_bound=errb, diagnostics=diag)


def _in_caller_units(curve: RiskCurve, setting: Setting) -> RiskCurve:
    """A curve computed for :meth:`Setting.half_loss` with its times (and learning rate)
    divided by :meth:`Setting.time_factor` (exact: a power of two), and the caller's
    setting; step counts, penalties and risks are unchanged."""
    f = setting.time_factor()
    if f == 1:
        return curve.replace(setting=setting)
    p = setting.precision
    ridge_mode = bool(curve.student_ridges)

    def back(t):
        if t is None:
            return None
        with p.context():
            return t / f

    diag = dict(curve.diagnostics)
    descent = curve.lr is not None
    if not descent and not ridge_mode:
        for key in ("search_range", "win_points"):
            if key in diag:
                diag[key] = [[x / f for x in v] if isinstance(v, list) else v / f
                             for v in diag[key]]
        if diag.get("optimal_point") is not None:
            diag["optimal_point"] = diag["optimal_point"] / f
    samples = None
    if curve.samples is not None:
        samples = dict(curve.samples)
        if samples.get("teacher_time") is not None:
            samples["teacher_time"] = back(samples["teacher_time"])
    return curve.replace(
        setting=setting, lr=back(curve.lr), times=tuple(back(t) for t in curve.times),
        optimal_time=back(curve.optimal_time),
        win_intervals=curve.win_intervals if ridge_mode else
        tuple((back(a), back(b)) for a, b in curve.win_intervals),
        diagnostics=diag, samples=samples)


def _log_nu_student(table, M_S):
    """``log nu_S`` on a float64 table (``None`` if the student spans every direction
    or the table is too shallow to say yet)."""
    rank = table_rank(table)
    if rank is not None and M_S >= rank:
        return None
    return solve_log_nu(table, M_S)


def _ratio(gain, gap, precision):
    """PGR: ``gain / gap``, undefined (nan) when there is no gap to recover."""
    if gap > 0:
        return gain / gap
    return float("nan") if precision.is_float else mpmath.nan


def _bounds(points, L_T, energy, ceiling, edge, lr, precision):
    r"""The student lower bound per point, and the gain and PGR upper bounds (alpha = 1).

    At a time ``t`` of gradient flow the student is :math:`A = 1 - e^{-tK_S}`, so
    :math:`\alpha = 1 - e^{-t\|K_S\|}` with the equivalent's top edge :math:`s_+` for
    :math:`\|K_S\|` (the largest eigenvalue for an infinite student); after ``k``
    steps of gradient descent :math:`\alpha = 1 - (1 - \eta s_+)^k` while
    :math:`\eta s_+ \le 1` (beyond, the filter overshoots 1 and the bound, which needs
    :math:`\alpha \le 1`, says nothing: ``None``)."""
    from .. import bounds as B

    conv = (lambda v: float(v)) if precision.is_float else (lambda v: mpmath.mpf(v))
    with precision.context():
        lt, en = conv(L_T), conv(energy)
        if not points:
            lb = []
        elif precision.is_float:
            lb = _float_lower_bounds(points, lt, en, edge, lr, precision)
        else:
            lb = []
            for t in points:
                alpha = _descent_alpha(lr, edge, t) if lr is not None else \
                    1 - mpmath.exp(-t * edge)
                lb.append(None if alpha is None else
                          B.student_lower_bound(lt, en, alpha, precision=precision))
        gub = B.gain_upper_bound(lt, en, 1, precision=precision)
        pub = B.pgr_upper_bound(lt, en, 1, ceiling_risk=conv(ceiling),
                                precision=precision) if ceiling < L_T else None
    return tuple(lb), gub, pub


def _descent_alpha(lr, edge, k):
    r""":math:`\alpha = 1 - (1 - \eta s_+)^k` after ``k`` steps (1 at ``k = inf``), or
    ``None`` when :math:`\eta s_+ > 1` (the filter overshoots 1)."""
    base = 1 - lr * edge
    if base < 0:
        return None
    return 1 if math.isinf(float(k)) else 1 - base ** int(k)


def _float_lower_bounds(points, lt, en, edge, lr, precision):
    """:func:`_bounds`'s lower bounds at every point in one float64 call (``None`` where
    a descent's filter overshoots)."""
    from .. import bounds as B

    pts = np.array([float(t) for t in points])
    if lr is None:
        alpha = B.alpha_from_time(pts, float(edge))
    else:
        alphas = [_descent_alpha(lr, edge, k) for k in pts]
        if alphas[0] is None:
            return [None] * len(pts)
        alpha = np.array(alphas, dtype=float)
    lower = B.student_lower_bound(lt, en, alpha, precision=precision)
    return [float(v) for v in np.atleast_1d(lower)]
