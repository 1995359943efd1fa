r"""Optimal stopping: the certified minimum of :math:`L_S(t)` and the winning intervals.

.. math:: t^* = \arg\min_{t \ge 0} L_S(t)

is found by a certified search in :math:`\log t`: :math:`L_S` is evaluated on a grid whose
spacing ``h`` and the Lipschitz bound
:math:`|dL_S/d\log t| \le \tfrac{2}{e}\big(\sum_k (1-s_k) B_k + \sum_k F_k\big)` guarantee
that no grid interval can hide a value below the best grid value by more than the
requested tolerance (intervals that could are subdivided); the best point is then
polished by safeguarded Newton steps on :math:`dL_S/d\log t = 0`. Beyond the grid's end
``t_hi`` the risk can fall by at most :func:`.student.gain_beyond`, which is reported.
The intervals where the student beats the teacher come from sign changes of
:math:`L_S - L_T` on the same points, each end polished by Newton.

That Lipschitz bound is the infinitely wide student's (its risk is a sum of
exponentials in ``t`` whose rates are the eigenvalues). For a student of finite width,
whose :math:`e_k(t)` are mixtures of exponentials over the spectrum of :math:`K_S`, the
search bounds each interval :math:`[a, b]` from below by the monotone envelope
:math:`L_S^\circ + D(b) + I(a)` (:mod:`.trajectory`) instead, with the same
subdivision. Gradient descent (``lr``) is searched over integer step counts: the same
certified grid in :math:`\log k`, then an integer search between the best point's
neighbours.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

__all__ = ["search_optimum", "win_intervals"]


def _lipschitz_buckets(table, teacher, width: float = 0.05):
    r"""Blocks grouped by :math:`\log\lambda` into buckets of the given width (float64).

    Returns per bucket ``lam_lo, lam_hi``, the largest ``r``-factor ingredients and
    ``sum B``, ``sum F``; :func:`_local_lipschitz` bounds each bucket by its worst member.
    Cached on the teacher solution.
    """
    cache = teacher.__dict__.setdefault("_lipschitz_buckets", {})
    if id(table) in cache:
        return cache[id(table)][1]
    f = lambda x: np.asarray([float(v) for v in np.ravel(x)])  # noqa: E731
    pos = table.positive
    log_lam = f(table.log_lam)[pos]
    B = np.exp(f(table.log_B)[pos])
    F = np.exp(f(table.log_mult)[pos] + log_lam + 2 * f(teacher.log_s)[pos]) * abs(
        float(teacher.C))
    nu = math.exp(float(teacher.log_nu))
    key = np.floor(log_lam / width)
    buckets = []
    for kv in np.unique(key):
        sel = key == kv
        lo, hi = float(np.exp(log_lam[sel].min())), float(np.exp(log_lam[sel].max()))
        buckets.append((lo, hi, float(B[sel].sum()), float(F[sel].sum())))
    arr = np.array(buckets, dtype=float).reshape(-1, 4)
    lam_lo, lam_hi, sB, sF = arr.T
    out = {"lam_lo": lam_lo, "lam_hi": lam_hi, "B": sB, "F": sF,
           "s_lo": nu / (lam_lo + nu),                # s at the bucket's smallest lambda
           "oms_hi": lam_hi / (lam_hi + nu)}          # 1 - s at its largest lambda
    cache[id(table)] = (table, out)
    return out


def _local_lipschitz(table, teacher, ua, ub):
    r"""Bounds on :math:`|dL_S/du|`, :math:`u = \log t`, over intervals ``[ua_i, ub_i]``.

    Per block, :math:`|d(r^2 B)/du| = 2 r\, t\lambda e^{-t\lambda} (1-s) B` and
    :math:`|d(a^2F)/du| = 2 a\, t\lambda e^{-t\lambda} F`, where
    :math:`r = 1 - (1-s)(1-e^{-t\lambda})` decreases in ``t`` and in :math:`\lambda`,
    :math:`1 - s` and :math:`a = 1-e^{-t\lambda}` increase in both. Blocks are grouped
    by :math:`\log\lambda` (:func:`_lipschitz_buckets`) and each group is bounded by
    those monotonicities at its ends, with :math:`\max t\lambda e^{-t\lambda}` over the
    box equal to ``1/e`` if :math:`t\lambda = 1` inside, else the larger corner value.
    The tail (where :math:`t\lambda \le t_b\bar\lambda`) adds at most
    :math:`2 t_b\bar\lambda (U_0 + |C| T_1)`. Float64 (a bound needs no more), with a
    relative safety margin of 1e-6, vectorized over the intervals.
    """
    bk = _lipschitz_buckets(table, teacher)
    ta = np.exp(np.array([float(v) for v in ua]))[:, None]
    tb = np.exp(np.array([float(v) for v in ub]))[:, None]
    lo, hi = bk["lam_lo"][None, :], bk["lam_hi"][None, :]
    x_lo, x_hi = ta * lo, tb * hi                      # the range of t*lambda in the box
    inside = (x_lo <= 1) & (x_hi >= 1)
    m = np.where(inside, 1 / math.e,
                 np.maximum(x_lo * np.exp(-x_lo), x_hi * np.exp(-x_hi)))
    r_max = 1 - (1 - bk["s_lo"][None, :]) * (1 - np.exp(-x_lo))
    a_max = 1 - np.exp(-x_hi)
    out = np.sum(2 * m * (r_max * bk["oms_hi"][None, :] * bk["B"][None, :]
                          + a_max * bk["F"][None, :]), axis=1)
    if table.has_tail:
        bar = math.exp(float(table.spec_tail.log_lambda_bar))
        mass = math.exp(float(table.tgt_tail.log_mass)) + abs(float(teacher.C)) * math.exp(
            float(table.spec_tail.log_mass))
        out = out + tb[:, 0] * (2 * bar * mass)
    return out * (1 + 1e-6) + 1e-300


def search_optimum(traj, t_lo, t_hi, precision):
    """Certified grid search in log t, Newton polish, and the winning intervals, for a
    :class:`~.trajectory.Trajectory`; returns ``(t*, L_S(t*), wins, diagnostics)``
    (``t*`` a step count for gradient descent)."""
    if traj.descent:
        return _search_steps(traj, t_lo, t_hi, precision)
    p = precision
    table, teacher = traj.table, traj.teacher
    with p.context():
        u_lo, u_hi = p.log(t_lo), p.log(t_hi)
        n = 241
        us = [u_lo + (u_hi - u_lo) * i / (n - 1) for i in range(n)]
        vals, env = _values(traj, [p.exp(u) for u in us])
        L_T = teacher.teacher_risk
        best = min(vals)
        # certify that no other region of the range is lower than the best grid value by
        # more than 0.1% of the gain (the Newton polish then finds the local minimum)
        tol = p.scalar(1e-3) * abs(L_T - best) + p.scalar(10.0) ** (-p.working_digits + 3)
        pts = list(zip(us, vals, env))
        intervals = [(pts[i], pts[i + 1]) for i in range(len(pts) - 1)]

        def flag(intervals, thr):
            if not traj.closed_form:
                return [iv for iv in intervals if _envelope(iv) < thr]
            ua = [a[0] for a, _ in intervals]
            ub = [b[0] for _, b in intervals]
            lip = _local_lipschitz(table, teacher, ua, ub)
            return [iv for iv, L in zip(intervals, lip)
                    if (float(iv[0][1]) + float(iv[1][1])) / 2
                    - L * float(iv[1][0] - iv[0][0]) / 2 < thr]

        new, best, refined, uncertified = _branch_and_bound(
            intervals, best, tol, flag, lambda a, b: (a[0] + b[0]) / 2,
            lambda us: _values(traj, [p.exp(u) for u in us]))
        pts += new
        pts = sorted(pts, key=lambda x: float(x[0]))
        k = int(np.argmin([float(x[1]) for x in pts]))
        u_star = pts[k][0]
        if 0 < k < len(pts) - 1:
            u_star = _newton_log_t(traj, u_star, pts[k - 1][0], pts[k + 1][0], p,
                                   target=None)
        t_star = p.exp(u_star)
        [l_star], _ = traj.risk([t_star])
        # beyond the grid: can L_S still go lower?
        beyond = traj.decrease_beyond(t_hi)
        l_end = pts[-1][1]
        at_end = k == len(pts) - 1
        if at_end or l_end - beyond < l_star:
            # no interior minimum: the best is approached as t -> infinity
            l_inf = traj.limit()
            if l_inf <= l_star:
                t_star, l_star = (float("inf") if p.is_float else mpmath.inf), l_inf
        wins = win_intervals(traj, pts, L_T, p)
        search = {"search_range": [float(t_lo), float(t_hi)], "refinements": refined,
                  "uncertified_intervals": uncertified,
                  "decrease_bound_beyond_range": float(beyond)}
        return t_star, l_star, wins, search


def _branch_and_bound(intervals, best, tol, flag, middle, evaluate, keep=None,
                      cap=4000):
    """Subdivide the intervals whose lower bound (``flag(intervals, threshold)`` returns
    those below ``best - tol``) could hide a value lower than the best found, one
    vectorized round per level, until none is left or ``cap`` points were added.
    ``middle(a, b)`` splits an interval, ``evaluate(points)`` gives ``(values, data)``,
    ``keep(interval)`` drops intervals that cannot be split (integers). Returns the new
    points ``(x, value, data)``, the best value, the number of points added and the
    number of intervals left uncertified."""
    new, refined, uncertified = [], 0, 0
    while intervals:
        flagged = flag(intervals, float(best - tol))
        if not flagged:
            break
        if refined + len(flagged) > cap:
            uncertified = len(flagged)
            break
        mids = [middle(a, b) for a, b in flagged]
        vm, em = evaluate(mids)
        refined += len(flagged)
        intervals = []
        for (a, b), x, v, e in zip(flagged, mids, vm, em):
            pt = (x, v, e)
            new.append(pt)
            best = min(best, v)
            intervals += [iv for iv in ((a, pt), (pt, b)) if keep is None or keep(iv)]
    return new, best, refined, uncertified


def _values(traj, ts):
    """``L_S`` at ``ts`` and, for the general path, each point's envelope data
    ``(const, D, I, error)`` (float64)."""
    if traj.closed_form:
        vals, _ = traj.risk(ts)
        return vals, [None] * len(ts)
    out = traj.evaluate(ts)
    env = [(out["const"], d, i, e) for d, i, e in zip(out["D"], out["I"], out["error"])]
    return out["values"], env


def _envelope(interval):
    r"""Lower bound of :math:`L_S` on an interval ``[a, b]`` of time (or steps):
    :math:`L_S^\circ + D(b) + I(a)` less both ends' error bounds."""
    (_, _, (c, _, i_a, e_a)), (_, _, (_, d_b, _, e_b)) = interval
    return c + d_b + i_a - e_a - e_b


def _newton_log_t(traj, u, a, b, p, target=None):
    """Safeguarded Newton in ``u = log t`` inside ``(a, b)``.

    ``target=None``: a stationary point of ``L_S`` (``dL/du = 0``); otherwise a root of
    ``L_S(e^u) = target``. Bisection replaces any step that leaves the bracket.
    """
    # requested accuracy in u (the working precision carries guard digits beyond it)
    tol = p.scalar(10.0) ** (-(p.digits or 15))
    f_a = None
    for _ in range(200):
        t = p.exp(u)
        v, d1, d2, _ = traj.risk([t], derivatives=2)
        if target is None:
            g, h = t * d1[0], t * d1[0] + t * t * d2[0]
            go_left = g > 0
        else:
            g, h = v[0] - target, t * d1[0]
            if f_a is None:
                f_a = traj.risk([p.exp(a)])[0][0] - target
            go_left = (g > 0) == (f_a < 0)
        if go_left:
            b = u
        else:
            a = u
        newton_ok = h != 0 and (target is not None or h > 0)
        if newton_ok and abs(g / h) <= tol * max(1, abs(u)):
            return u - g / h                 # converged: the Newton step is negligible
        new = u - g / h if newton_ok else (a + b) / 2
        if not (a < new < b):
            new = (a + b) / 2
        if b - a <= tol * max(1, abs(u)):
            return new

        u = new
    return u


def win_intervals(traj, pts, L_T, p):
    """Intervals of t where L_S(t) < L_T, from sign changes on the grid (Newton)."""
    out = []
    inside = None
    for pa, pb in zip(pts[:-1], pts[1:]):
        (ua, va), (ub, vb) = pa[:2], pb[:2]
        fa, fb = va - L_T, vb - L_T
        if inside is None and fa < 0:
            inside = p.exp(ua)
        if fa >= 0 and fb < 0:
            inside = p.exp(_newton_log_t(traj, (ua + ub) / 2, ua, ub, p, L_T))
        elif fa < 0 and fb >= 0:
            out.append((inside, p.exp(_newton_log_t(traj, (ua + ub) / 2, ua, ub, p,
                                                    L_T))))
            inside = None
    if inside is not None:
        out.append((inside, float("inf") if p.is_float else mpmath.inf))
    return out


# --------------------------------------------------------------------------------------
# gradient descent: integer step counts


def _search_steps(traj, k_lo, k_hi, precision):
    r"""The best step count :math:`k^*` of gradient descent in ``[k_lo, k_hi]``.

    A log grid of integers, certified by the monotone envelope as for gradient flow
    (valid when every :math:`(1-\eta s)` on the spectrum is in ``[0, 1)``, i.e.
    :math:`\eta s_+ \le 1`; otherwise the oscillating top directions make the search
    uncertified, and ``uncertified_intervals`` says so), then an integer search between
    the best point's neighbours (ternary while the bracket is wide, then exhaustive).
    """
    p = precision
    k_lo, k_hi = max(1, int(math.floor(float(k_lo)))), max(2, int(math.ceil(float(k_hi))))
    grid = sorted({int(round(x)) for x in np.geomspace(k_lo, k_hi, 241)})
    monotone = float(traj.lr) * float(traj.kernel.top_edge) <= 1
    with p.context():
        vals, env = _values(traj, grid)
        L_T = traj.teacher.teacher_risk
        best = min(vals)
        tol = p.scalar(1e-3) * abs(L_T - best) + p.scalar(10.0) ** (-p.working_digits + 3)
        pts = {k: (k, v, e) for k, v, e in zip(grid, vals, env)}
        intervals = [(pts[a], pts[b]) for a, b in zip(grid[:-1], grid[1:]) if b - a > 1]
        if monotone:
            new, best, refined, uncertified = _branch_and_bound(
                intervals, best, tol,
                lambda ivs, thr: [iv for iv in ivs if _envelope(iv) < thr],
                lambda a, b: (a[0] + b[0]) // 2, lambda ks: _values(traj, ks),
                keep=lambda iv: iv[1][0] - iv[0][0] > 1)
            pts.update((x[0], x) for x in new)
        else:
            refined, uncertified = 0, len(grid) - 1
        keys = sorted(pts)
        i = int(np.argmin([float(pts[k][1]) for k in keys]))
        lo = keys[max(i - 1, 0)]
        hi = keys[min(i + 1, len(keys) - 1)]
        k_star, l_star = _integer_minimum(traj, lo, hi, pts)
        beyond = traj.decrease_beyond(k_hi)
        if i == len(keys) - 1 or float(pts[keys[-1]][1]) - beyond < float(l_star):
            l_inf = traj.limit()
            if l_inf <= l_star:
                k_star, l_star = (float("inf") if p.is_float else mpmath.inf), l_inf
        wins = _step_wins(traj, [pts[k] for k in keys], L_T, p)
        search = {"search_range": [k_lo, k_hi], "refinements": refined,
                  "uncertified_intervals": uncertified,
                  "decrease_bound_beyond_range": float(beyond)}
        return (p.scalar(k_star) if not isinstance(k_star, float) or
                math.isfinite(k_star) else k_star), l_star, wins, search


def _integer_minimum(traj, lo, hi, pts):
    """The smallest value of :math:`L_S` over the integers of ``[lo, hi]`` (unimodal
    there): ternary search down to a few points, then all of them."""
    def value(k):
        if k not in pts:
            v, e = _values(traj, [k])
            pts[k] = (k, v[0], e[0])
        return pts[k][1]

    while hi - lo > 8:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if value(m1) <= value(m2):
            hi = m2
        else:
            lo = m1
    rest = [k for k in range(lo, hi + 1) if k not in pts]
    if rest:
        vr, er = _values(traj, rest)
        for k, v, e in zip(rest, vr, er):
            pts[k] = (k, v, e)
    k_star = min(range(lo, hi + 1), key=lambda k: float(pts[k][1]))
    return k_star, pts[k_star][1]


def _step_wins(traj, pts, L_T, p):
    """Step counts where :math:`L_S < L_T`: ``[(first k, last k + 1)]`` from sign changes
    on the points, each end found by integer bisection."""
    def first_below(a, b, below):
        # the first k in (a, b] whose sign is `below` (the sign at a is not)
        while b - a > 1:
            m = (a + b) // 2
            v, _ = _values(traj, [m])
            if (v[0] < L_T) == below:
                b = m
            else:
                a = m
        return b

    out, inside = [], None
    for pa, pb in zip(pts[:-1], pts[1:]):
        fa, fb = pa[1] < L_T, pb[1] < L_T
        if inside is None and fa:
            inside = pa[0]
        if not fa and fb:
            inside = first_below(pa[0], pb[0], True)
        elif fa and not fb:
            out.append((p.scalar(inside), p.scalar(first_below(pa[0], pb[0], False))))
            inside = None
    if inside is not None:
        out.append((p.scalar(inside), float("inf") if p.is_float else mpmath.inf))
    return out
