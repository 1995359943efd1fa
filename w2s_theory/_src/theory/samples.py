r"""Teacher and student fitted on finitely many samples: the risk curve.

``docs/finite_samples.md`` (derivation: ``derivations/finite_samples.py``). The teacher
(width :math:`M_T`, :math:`n_T` samples with label noise :math:`\sigma^2`, ridge
:math:`\lambda_T` or gradient flow for :math:`t_T`) gives the student labels whose
block moments :mod:`.sample_moments` computes; the student (width :math:`M_S`, finite or
not, :math:`n_S` fresh inputs labelled by the teacher, ridge :math:`\lambda_S` or
gradient flow for :math:`t_S`) is a random linear operator :math:`A`, independent of
the teacher, so that

.. math:: L_S = \|f^*\|^2 \underbrace{- 2\sum_k E[A]_{kk}\, m_k B_k}_{D}
          + \underbrace{\sum_k E[A^*A]_{kk}\, V_k}_{I}.

:math:`E[A]_{kk}` is non-decreasing in the student's time (or in :math:`1/\lambda_S`):
proved exactly for Gaussian features (the derivation, section 2), and :math:`m_k \ge 0`,
so ``D`` is non-increasing; :math:`E[A^*A]_{kk}` is non-decreasing in every computed
case (the part from label noise provably so), and every search checks it on its grid
(``diagnostics["monotone_violations"]``, 0 when it held). The optimal stopping time (or
penalty, searched as ``t = 1/lambda_S``) is then certified by the envelope
:math:`L_S \ge \|f^*\|^2 + D(b) + I(a)` on ``[a, b]`` (:mod:`.stopping`).

With no finite-sample parameter the population engine runs instead, unchanged; the
population results are the ``n -> inf`` limits of this code (tests).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..precision import FLOAT64
from .sample_equation import SampleEquation, check_rank, context, to_hp, to_mp
from .sample_moments import (FitModel, StudentSums, flow_weights, target_labels,
                             teacher_labels, _re)
from .stopping import search_optimum
from .table import build_table, time_plan
from .teacher import solve_log_nu

__all__ = ["SampleTrajectory", "sample_risk_curve"]


class _Teacher:
    """What :func:`.stopping.search_optimum` reads of the teacher."""

    def __init__(self, risk):
        self.teacher_risk = risk


class SampleTrajectory:
    """:math:`L_S` of a student fitted on samples to given labels, at times of gradient
    flow (``mode="flow"``) or at ``t = 1/lambda`` for ridge (``mode="ridge"``)."""

    closed_form = False
    descent = False

    def __init__(self, model: FitModel, labels, energy, mode, teacher_risk):
        self.model, self.labels, self.mode = model, labels, mode
        self.p = model.p
        self.table = model.eq.table
        self.teacher = _Teacher(teacher_risk)
        self.energy = energy
        self._sums = {}
        eq = model.eq
        self.threshold = eq.M is not None and eq.n is not None and eq.M == eq.n and \
            eq.m0 is not None and float(eq.log_nu0) > -math.inf

    def _student(self, nodes):
        key = id(nodes)
        if key not in self._sums:
            self._sums[key] = (nodes, StudentSums(self.model, nodes, self.labels))
        return self._sums[key][1]

    def _parts(self, nodes, W):
        s = self._student(nodes)
        p = self.p
        with context(p):
            D = to_mp(p, -2 * _re(p, W @ s.h))
            I = to_mp(p, _re(p, W @ s.H @ W))
        return D, I, s

    def _error(self, s, W):
        """Float64 estimate: the quadrature bound on the labels' scale, the tail series,
        and rounding of the cancelling node sums."""
        p, plan = self.p, self.model.plan
        Wf = np.abs(np.asarray(W, dtype=complex))
        if not hasattr(s, "_abs"):
            s._abs = (np.abs(np.asarray(s.H, dtype=complex)),
                      np.abs(np.asarray(s.h, dtype=complex)))
        Hf, hf = s._abs
        eps = 1.2e-16 if p.is_float else 10.0 ** -p.working_digits
        quad = 0.0 if len(W) == 1 else 10 * plan.bound_for(0) * s.scale
        return quad + 10 * s.tail_error + 8 * eps * (2 * Wf @ hf + Wf @ Hf @ Wf)

    def evaluate(self, points, derivatives=0) -> dict:
        p = self.p
        n = len(points)
        with p.context():
            zero = p.scalar(0)
            vals, d1s, d2s = [], [], []
            D = np.zeros(n)
            I = np.zeros(n)
            err = np.zeros(n)
            for i, t in enumerate(points):
                tf = float(t)
                if tf == 0:
                    vals.append(self.energy + zero)
                    d1s.append(zero)
                    d2s.append(zero)
                    continue
                if math.isinf(tf) and self.model.eq.m0 is None:
                    # infinitely wide, on the population, to the end: it copies its
                    # labels (nu = 0: A = I)
                    with context(p):
                        Dv = to_mp(p, -2 * self.labels.mB.total())
                        Iv = to_mp(p, self.labels.V.total() + self.labels.noise)
                    vals.append(self.energy + Dv + Iv)
                    D[i], I[i] = float(Dv), float(Iv)
                    d1s.append(zero)
                    d2s.append(zero)
                    continue
                if math.isinf(tf):
                    nodes = self.model.ridge(0)
                    W = flow_weights(p, nodes, None)
                    Dv, Iv, s = self._parts(nodes, W)
                    if self.threshold:
                        Iv = p.scalar(math.inf) if p.is_float else mpmath.inf
                    vals.append(self.energy + Dv + Iv)
                    D[i], I[i] = float(Dv), float(Iv)
                    err[i] = self._error(s, W) if not self.threshold else 0.0
                    d1s.append(zero)
                    d2s.append(zero)
                    continue
                if self.mode == "flow" and self.model.eq.m0 is None:
                    Dv, Iv, e, a, b = self._closed(t, derivatives)
                    vals.append(self.energy + Dv + Iv)
                    D[i], I[i], err[i] = float(Dv), float(Iv), e
                    if derivatives:
                        d1s.append(a)
                        d2s.append(b)
                    continue
                if self.mode == "flow":
                    nodes = self.model.window(int(math.floor(math.log2(tf))))
                    W = flow_weights(p, nodes, t)
                else:
                    nodes = self.model.ridge(1 / t)
                    W = flow_weights(p, nodes, None)
                Dv, Iv, s = self._parts(nodes, W)
                vals.append(self.energy + Dv + Iv)
                D[i], I[i] = float(Dv), float(Iv)
                err[i] = self._error(s, W)
                if derivatives:
                    a, b = self._derivatives(nodes, W, s, t)
                    d1s.append(a)
                    d2s.append(b)
            values = p.array(vals) if p.is_float else np.array(vals, dtype=object)
            out = {"values": values, "error": err, "D": D, "I": I,
                   "const": float(self.energy)}
            if derivatives:
                out["d1"] = np.array(d1s, dtype=float if p.is_float else object)
                out["d2"] = np.array(d2s, dtype=float if p.is_float else object)
            return out

    def _closed(self, t, derivatives):
        r"""Infinitely wide on the population: :math:`E[A] = 1 - e^{-t\lambda}`,
        :math:`E|Ae|^2 = (1 - e^{-t\lambda})^2` exactly; the tail by the exponential
        series (:mod:`.table`'s ``rho_t``). Returns ``D, I, error, dL/dt, d2L/dt2``."""
        p, eq = self.p, self.model.eq
        mB, V = self.labels.mB, self.labels.V
        with context(p):
            t = to_hp(p, t)
            lam = eq.lam
            E1 = np.array([(-t * x).exp() if not p.is_float else math.exp(-t * x)
                           for x in lam], dtype=object if not p.is_float else float) \
                if len(lam) else lam
            Q = eq.Q
            ser = [(-t * eq.bar) ** q / math.factorial(q) for q in range(Q)]
            ser2 = [(-2 * t * eq.bar) ** q / math.factorial(q) for q in range(Q)]

            def total(w, head, series):
                out = np.sum(w.head * head) if len(head) else 0 * t
                for s_, c, m in w.tails:
                    out = out + s_ * sum(sum(c[i] * series[q - i] for i in range(q + 1))
                                         * m[q] for q in range(Q))
                return out
            one = [1 + 0 * t] + [0 * t] * (Q - 1)
            a1 = [o - e for o, e in zip(one, ser)]
            a2 = [o - 2 * e + f for o, e, f in zip(one, ser, ser2)]
            Dv = -2 * total(mB, 1 - E1, a1)
            Iv = total(V, (1 - E1) ** 2, a2)
            d1 = d2 = None
            if derivatives:
                # d/dt: lambda-weighted: mB: lam e; V: 2 lam e (1 - e)
                lser = [0 * t] + [eq.bar * x for x in ser[:Q - 1]]
                l2ser = [0 * t] + [eq.bar * x for x in ser2[:Q - 1]]
                g1 = -2 * total(mB, lam * E1, lser)
                g2 = total(V, 2 * lam * E1 - 2 * lam * E1 * E1,
                           [2 * a - 2 * b for a, b in zip(lser, l2ser)])
                llser = [0 * t, 0 * t] + [eq.bar ** 2 * x for x in ser[:Q - 2]]
                ll2ser = [0 * t, 0 * t] + [eq.bar ** 2 * x for x in ser2[:Q - 2]]
                h1 = -2 * total(mB, -lam * lam * E1, [-x for x in llser])
                h2 = total(V, -2 * lam * lam * E1 + 4 * lam * lam * E1 * E1,
                           [-2 * a + 4 * b for a, b in zip(llser, ll2ser)])
                d1, d2 = to_mp(p, g1 + g2), to_mp(p, h1 + h2)
            x = float(abs(complex(t * eq.bar))) if len(mB.tails) or len(V.tails) else 0.0
            tail = (x ** Q / math.factorial(Q) * math.exp(2 * x) * 4
                    * (abs(complex(mB.total())) + abs(complex(V.total()))))
            eps = 1.2e-16 if p.is_float else 10.0 ** -p.working_digits
            return (to_mp(p, Dv), to_mp(p, Iv), tail + 8 * eps * float(abs(complex(
                V.total()))), d1, d2)

    def _derivatives(self, nodes, W, s, t):
        """``dL/dt``, ``d2L/dt2``: exact weights for gradient flow; for ridge the
        complex-step derivative in the penalty and a difference of two of them."""
        p = self.p
        if self.mode == "flow":
            W1 = flow_weights(p, nodes, t, 1)
            W2 = flow_weights(p, nodes, t, 2)
            with context(p):
                d1 = to_mp(p, _re(p, -2 * (W1 @ s.h) + 2 * (W1 @ s.H @ W)))
                d2 = to_mp(p, _re(p, -2 * (W2 @ s.h) + 2 * (W2 @ s.H @ W)
                                  + 2 * (W1 @ s.H @ W1)))
            return d1, d2
        lam = 1 / t

        def dL(x):
            eps = x * (p.scalar(10) ** (-(p.working_digits + 10)) if not p.is_float
                       else 1e-30)
            nd = self.model.ridge(x, imag_step=eps)
            st = StudentSums(self.model, nd, self.labels)
            one = flow_weights(p, nd, None)
            with context(p):
                v = -2 * (one @ st.h) + one @ st.H @ one
                return (v.imag if p.is_float else to_mp(p, v.imag)) / eps

        g = dL(lam)
        delta = p.scalar(1e-4) if p.is_float else p.scalar(10) ** (-(p.digits // 3 + 2))
        g2 = (dL(lam * (1 + delta)) - dL(lam * (1 - delta))) / (2 * lam * delta)
        # t = 1/lambda: dL/dt = -lambda^2 L', d2L/dt2 = lambda^4 L'' + 2 lambda^3 L'
        return -lam * lam * g, lam ** 4 * g2 + 2 * lam ** 3 * g

    def risk(self, points, derivatives=0):
        out = self.evaluate(points, derivatives)
        if derivatives:
            return out["values"], out["d1"], out["d2"], out["error"]
        return out["values"], out["error"]

    def limit(self):
        inf = float("inf") if self.p.is_float else mpmath.inf
        [v], _ = self.risk([inf])
        return v

    def decrease_beyond(self, t_hi):
        inf = float("inf") if self.p.is_float else mpmath.inf
        out = self.evaluate([t_hi, inf])
        return max(0.0, float(out["values"][0]) - out["const"] - out["D"][1]
                   - out["I"][0])


def monotone_violations(points, D, I, err):
    """Count grid neighbours where ``D`` rises or ``I`` falls by more than the error."""
    order = np.argsort([float(t) for t in points])
    D, I, e = np.asarray(D)[order], np.asarray(I)[order], np.asarray(err)[order]
    tol = e[1:] + e[:-1] + 1e-13 * (np.abs(D[1:]) + np.abs(I[1:]))
    finite = np.isfinite(D[1:]) & np.isfinite(I[1:]) & np.isfinite(D[:-1]) & \
        np.isfinite(I[:-1])
    return int(np.sum(finite & ((D[1:] - D[:-1] > tol) | (I[:-1] - I[1:] > tol))))


def _search(traj, t_lo, t_hi, p):
    t_star, l_star, wins, search = search_optimum(traj, t_lo, t_hi, p)
    grid = [t_lo * (t_hi / t_lo) ** (i / 60) for i in range(61)]
    out = traj.evaluate(grid)
    search["monotone_violations"] = monotone_violations(grid, out["D"], out["I"],
                                                        out["error"])
    return t_star, l_star, wins, search


def _polish(traj, t_f, p):
    """``(t*, L_S(t*))`` at the working precision from a float64 optimum ``t_f``:
    Newton's method in ``log t`` within 5% of it."""
    from .stopping import _newton_log_t

    with p.context():
        if t_f is None or math.isinf(float(t_f)):
            return (p.scalar(math.inf) if p.is_float else mpmath.inf), traj.limit()
        u = p.log(p.scalar(t_f))
        u = _newton_log_t(traj, u, u - p.scalar(0.05), u + p.scalar(0.05), p)
        t = p.exp(u)
        [v], _ = traj.risk([t])
        return t, v


def _root(traj, t_f, target, p):
    """A point where ``L_S = target`` at the working precision, from a float64 one."""
    from .stopping import _newton_log_t

    with p.context():
        if math.isinf(float(t_f)):
            return mpmath.inf
        u = p.log(p.scalar(t_f))
        return p.exp(_newton_log_t(traj, u, u - p.scalar(0.05), u + p.scalar(0.05), p,
                                   target=target))


def _table(spectrum, bt, m_T, m_S, t_max, p, ridge=False):
    r"""The spectral table of a finite-sample computation: the cut ``K`` with
    :math:`\bar\lambda \le \rho\min(\nu_0^T, \nu_0^S)` (the series of
    :mod:`.sample_equation` are geometric in :math:`\bar\lambda/|\nu|`, and every node
    of a model with ``min(M, n)`` finite has :math:`|\nu| \gtrsim \nu_0`), and for a
    student infinitely wide on the population (``m_S = None``) :math:`\bar\lambda \le
    \rho_t/t_{max}` (its gradient flow in closed form, :math:`e^{-t\lambda}`; its ridge
    with :math:`\nu = \lambda_S`). On a power law, whose tail moments cost nothing for
    any number of terms, ``rho = 0.1`` with the power law's longer series (about 20
    terms: ``0.1^20``) and :mod:`.table`'s ``rho_t``; elsewhere the population engine's
    cut (:func:`.curve._choose_table`, ``rho = 1e-3``, 7 terms)."""
    from .curve import _choose_table

    student = None if m_S is None else (m_S, None)
    if getattr(spectrum, "kind", None) != "power-law":
        table, log_nu = _choose_table(spectrum, bt, m_T, t_max, FLOAT64, student=student)
        if not p.is_float:
            table, _ = _choose_table(spectrum, bt, m_T, t_max, p, log_nu_guess=log_nu,
                                     start=table.K, student=student)
        return table
    _, Q = time_plan(spectrum, p)
    K = max(bt.min_tail_start, spectrum.min_tail_start, 8,
            2 * max(m for m in (m_T, m_S) if m is not None) + 1)
    for _ in range(40):
        table = build_table(spectrum, bt, K, Q, p)
        with p.context():
            logs = [solve_log_nu(table, m) for m in (m_T, m_S) if m is not None]
            thr = p.log(p.scalar(0.1)) + min(logs)
            if m_S is None and t_max is not None and math.isfinite(t_max) and t_max > 0:
                rho_t = 0.1 if ridge else time_plan(spectrum, p)[0]
                thr = min(thr, p.log(p.scalar(rho_t) / p.scalar(t_max)))
            if table.spec_tail.log_lambda_bar <= thr:
                return table
            K_new = spectrum.start_for(thr, p, start=K)
        K = K_new if K_new > K else 2 * K
    raise ArithmeticError("could not place the spectral cut")


def _model(table, width, samples, name_width, name_samples):
    check_rank(table, width, name_width)
    return FitModel(SampleEquation(table, width, samples))


def sample_risk_curve(setting, optimal_stopping=True, search_range=None):
    """The :class:`~.curve.RiskCurve` of a setting with finite-sample parameters."""
    from .curve import RiskCurve, _ratio

    p = setting.precision
    ref = None
    if not p.is_float:
        # the searches run in float64 (certified there); their points are then polished
        # by Newton's method at the working precision
        ref = sample_risk_curve(setting.replace(precision=None), optimal_stopping,
                                search_range)
    spectrum, bt = setting.spectrum, setting.bound_target
    M_T, n_T = setting.teacher_width, setting.samples
    M_S, n_S = setting.student_width, setting.student_samples
    ridge_mode = setting.student_ridge is not None
    t_T = setting.teacher_time
    lam_T = setting.ridge if setting.ridge is not None else 0
    with p.context():
        pts = [p.scalar(x) for x in (setting.student_ridge if ridge_mode else
                                     (setting.times or ()))]
    # 1. the cut: lambda_bar below rho * (the smallest nu) and rho_t / (the longest time)
    m0_T = min(M_T, n_T) if n_T is not None else M_T
    m0_S = min(x for x in (M_S, n_S) if x is not None) if (M_S or n_S) else None
    times = [float(x) for x in pts if float(x) > 0]
    scales = [1 / x for x in times] if ridge_mode else times
    if t_T is not None and math.isfinite(float(t_T)):
        scales.append(float(t_T))
    elif float(lam_T) > 0:
        scales.append(1 / float(lam_T))
    table = _table(spectrum, bt, m0_T, m0_S, None, FLOAT64, ridge_mode)
    eqT0 = SampleEquation(table, M_T, n_T)
    nu_T_f = float(eqT0.solve_ridge(float(lam_T) if t_T is None else
                                    (0.0 if math.isinf(float(t_T)) else 1 / float(t_T))))
    lam_max_f = math.exp(float(table.log_lambda_max))
    if search_range is None:
        t_lo_f, t_hi_f = 1e-3 / lam_max_f, 1e4 / nu_T_f
    else:
        t_lo_f, t_hi_f = (float(x) for x in search_range)
    if optimal_stopping:
        scales.append(t_hi_f)
    t_max = max(scales) if scales else None
    table = _table(spectrum, bt, m0_T, m0_S, t_max, p, ridge_mode)
    # 2. the teacher's labels
    teacher = _model(table, M_T, n_T, "teacher_width", "samples")
    eq = teacher.eq
    with p.context():
        floor = p.exp(table.log_null)
        energy = p.exp(table.log_energy)
        if t_T is None or math.isinf(float(t_T)):
            nodes = teacher.ridge(lam_T)
            W = flow_weights(p, nodes, None)
            nu_T = eq.solve_ridge(lam_T)
        else:
            tt = p.scalar(t_T)
            nodes = teacher.window(int(math.floor(math.log2(float(tt)))))
            W = flow_weights(p, nodes, tt)
            nu_T = eq.solve_ridge(1 / tt)
        labels = teacher_labels(teacher, nodes, W, setting.noise or 0, floor)
        L_T = labels.risk
    # 3. the student, its curve, its optimum and its ceiling
    student_model = _model(table, M_S, n_S, "student_width", "student_samples")
    mode = "ridge" if ridge_mode else "flow"
    traj = SampleTrajectory(student_model, labels, energy, mode, L_T)
    with p.context():
        inf = float("inf") if p.is_float else mpmath.inf
        tpts = [(1 / x if x > 0 else inf) for x in pts] if ridge_mode else pts
        ls, err = traj.risk(tpts) if tpts else (p.array([]), np.array([]))
        t_lo, t_hi = p.scalar(t_lo_f), p.scalar(t_hi_f)
        ceil_traj = SampleTrajectory(student_model, target_labels(student_model.eq, floor),
                                     energy, mode, L_T)
        if M_S is None and n_S is None:
            ceiling, ceil_search = floor, {}
        elif not optimal_stopping:
            # the ceiling is itself an optimum over the student's training: searched
            # only with optimal_stopping (PGR is then undefined: nan)
            ceiling, ceil_search = None, {}
        elif ref is None:
            t_c, ceiling, _, ceil_search = _search(ceil_traj, t_lo, t_hi, p)
            ceil_search["optimal_point"] = float(t_c)
        else:
            ceil_search = ref.diagnostics["ceiling_search"]
            ceiling = _polish(ceil_traj, ceil_search["optimal_point"], p)[1]
        gains = [L_T - x for x in ls]
        nan = float("nan") if p.is_float else mpmath.nan
        pgrs = [nan if ceiling is None else _ratio(g, L_T - ceiling, p) for g in gains]
        if optimal_stopping and ref is None:
            t_star, l_star, wins, search = _search(traj, t_lo, t_hi, p)
        elif optimal_stopping:
            search = {k: v for k, v in ref.diagnostics.items() if k in (
                "search_range", "refinements", "uncertified_intervals",
                "decrease_bound_beyond_range", "monotone_violations")}
            t_star, l_star = _polish(traj, ref.diagnostics["optimal_point"], p)
            wins = [tuple(p.scalar(x) if abs(x / t_lo_f - 1) < 1e-12 else
                          _root(traj, x, L_T, p) for x in iv)
                    for iv in ref.diagnostics["win_points"]]
        if optimal_stopping:
            g_star = L_T - l_star
            pgr_star = _ratio(g_star, L_T - ceiling, p)
        else:
            t_star = l_star = g_star = pgr_star = None
            wins, search = (), {}
    lam_star = None
    t_pt, wins_t = t_star, list(wins)
    if ridge_mode and t_star is not None:
        lam_star = 0 * t_star if math.isinf(float(t_star)) else 1 / t_star
        wins = [((0 * a if math.isinf(float(b)) else 1 / b), 1 / a if float(a) > 0 else inf)
                for a, b in wins]
        t_star = None
    nu_S0 = student_model.eq.nu0
    diag = {"K": table.K, "series_terms": table.Q, "spectrum": spectrum.describe(),
            **search, "optimal_point": None if t_pt is None else float(t_pt),
            "win_points": [[float(a), float(b)] for a, b in wins_t],
            "ceiling_search": {k: v for k, v in ceil_search.items()}}
    errb = {"teacher_risk": float(labels.tail_error) + (10 * teacher.plan.bound_for(0)
                                                        * float(energy) if len(W) > 1
                                                        else 0.0),
            "student_risk": float(np.max(err)) if len(err) else 0.0,
            "tail_moments": max(table.spec_tail.rel_error, table.tgt_tail.rel_error)}
    info = {"teacher_samples": n_T, "student_samples": n_S,
            "teacher_training": "ridge" if t_T is None else "flow",
            "teacher_ridge": None if t_T is not None else lam_T,
            "teacher_time": t_T, "noise": setting.noise or 0,
            "student_training": mode, "teacher_nu": nu_T,
            "student_nu_ridgeless": nu_S0}
    return RiskCurve(
        setting=setting, digits=p.digits, teacher_width=M_T, student_width=M_S,
        student_ceiling_risk=ceiling, nu_teacher=nu_T, nu_student=nu_S0,
        student_top_edge=None, lr=None, steps=(), teacher_risk=L_T, target_energy=energy,
        floor=floor, times=() if ridge_mode else tuple(pts), student_risk=tuple(ls),
        gain=tuple(gains), pgr=tuple(pgrs), optimal_time=t_star, optimal_steps=None,
        optimal_student_risk=l_star, win_intervals=tuple(wins),
        lower_bound=tuple(None for _ in pts), gain_upper_bound=None, pgr_upper_bound=None,
        optimal_gain=g_star, optimal_pgr=pgr_star, error_bound=errb, diagnostics=diag,
        samples=info, student_ridges=tuple(pts) if ridge_mode else (),
        optimal_student_ridge=lam_star)
