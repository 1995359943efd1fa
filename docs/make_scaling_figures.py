"""Regenerate the numbers and the figure of docs/scaling_laws.md (issue 13, deliver 3):
exponents of the teacher's risk and of the best weak-to-strong student's for power-law
spectra, predicted by power counting of the deterministic equivalent and measured on the
package's risks.

    OPENBLAS_NUM_THREADS=1 python docs/make_scaling_figures.py   # about 4 minutes, 1 core

prints every number of the page (Markdown tables, in the page's order) and writes
``docs/img/scaling_regions.png``.

Setting: eigenvalues ``lambda_i = i^-alpha``, target energies ``B_i = i^-beta``
(``power-law:beta``), label noise ``sigma^2 = 0.1`` on the teacher's ``n`` samples,
teacher width ``M = n^q``, the teacher at its best ridge penalty; the student infinitely
wide, on ``n_S = n^p`` fresh inputs (``p = inf``: on the population), at its best ridge
penalty. The risks are the package's float64 deterministic equivalents, computed along the
path of ``benchmarks/scaling_finite_samples.py`` (one spectral table per size, the
teacher's labels, the student's ``SampleTrajectory``), which equals the public
``risk_curve`` (``tests/test_scaling_laws.py`` checks a point); the widths and sample sizes
are the real numbers ``n^q``, ``n^p`` (the equivalent is a function of them), so that the
local exponents carry no rounding of ``M``. Best penalties: Brent's method in
``log10(lambda)`` (to ``1e-4``) after a walk from a guess, with ``lambda = 0`` compared for
the teacher and a finite-sample student. The local exponent at ``n`` is the secant
``-[log L(n 10^h) - log L(n 10^-h)] / (2 h log 10)``, ``h = 1/4``.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "derivations"))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402

from w2s_theory._src.precision import FLOAT64  # noqa: E402
from w2s_theory._src.setting import Setting  # noqa: E402
from w2s_theory._src.simulation.runner import blas_threads  # noqa: E402
from w2s_theory._src.theory.sample_moments import flow_weights, teacher_labels  # noqa: E402
from w2s_theory._src.theory.samples import SampleTrajectory, _model, _table  # noqa: E402

from _markdown import g, section, table  # noqa: E402  (docs/_markdown.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img")
INF = float("inf")
NOISE = 0.1
H = 0.25

# --------------------------------------------------------------------------------------
# Predicted exponents (docs/scaling_laws.md, sections 2-4)
# --------------------------------------------------------------------------------------


from scaling_exponents import (source, student_exponent_closed,  # noqa: E402,F401
                               teacher_exponent)  # (derivations/, on sys.path above)


def _maxmin(lines, lo, hi):
    """``max_{lo <= x <= hi} min_j (a_j + b_j x)`` (exact: the optimum of a concave
    piecewise-linear function is at an end or at a crossing). Returns ``(value, x)``."""
    cands = {lo, hi}
    for (a1, b1), (a2, b2) in itertools.combinations(lines, 2):
        if b1 != b2 and lo < (a2 - a1) / (b1 - b2) < hi:
            cands.add((a2 - a1) / (b1 - b2))
    best = None
    for x in sorted(cands):
        v = min(a + b * x for a, b in lines)
        if best is None or v > best[0] + 1e-12:
            best = (v, x)
    return best


def teacher_terms(alpha, beta, q):
    """Exponents ``a + b kappa`` of the teacher's bias, approximation and variance."""
    s = source(alpha, beta)
    g = max(0.0, 1 + alpha - beta)
    return [(0.0, s), (q, alpha - 1 - g), (1.0, -1.0)]


def teacher_optimum(alpha, beta, q, kappa=None):
    """``(gamma_T, kappa_T)``; with ``kappa`` given: a teacher at that effective dimension
    (``kappa = min(q, 1)``: ridgeless)."""
    lines = teacher_terms(alpha, beta, q)
    if kappa is not None:
        return min(a + b * kappa for a, b in lines), kappa
    return _maxmin(lines, 0.0, min(q, 1.0))


def student_exponent(alpha, beta, q, p=INF, kappa=None):
    """``(gamma_S, kappa_S, gamma_T, kappa_T)``: the best student's exponent by the
    max-min of section 4 (teacher at its best ridge, or at effective dimension
    ``n^kappa``)."""
    s = source(alpha, beta)
    g = max(0.0, 1 + alpha - beta)
    gT, k = teacher_optimum(alpha, beta, q, kappa)
    A = q + (alpha - 1 - g) * k                # the teacher's approximation term
    # kappa_S <= k: mean bias, retained feature fluctuations, retained noise
    L1 = [(0.0, s), (q + 2 * alpha * k - g * k, -(1 + alpha)), (1.0, -1.0)]
    if p < INF:      # the student's variance (k_S/n_S) x (f_T's energy beyond k_S)
        L1 += [(p, s - 1), (p + A, -1.0), (p + 1 - k, -1.0), (p + 1 + q - 2 * k, -1.0)]
    best = _maxmin(L1, 0.0, min(k, p))
    if p > k:        # kappa_S >= k: the teacher's terms, and the variance
        L2 = [(s * k, 0.0), (A, 0.0), (1 - k, 0.0)]
        if p < INF:
            L2 += [(p - max(0.0, 2 * alpha + 1 - beta) * k, 2 * alpha - 1),
                   (p - 2 * alpha * k, 2 * alpha + beta - 2),
                   (p + q - g * k, alpha - 2),
                   (p + 1 - 2 * alpha * k, 2 * alpha - 2),
                   (p + 1 + q - (1 + alpha) * k, alpha - 2)]
        b2 = _maxmin(L2, k, p if p < INF else max(k, 1.0))
        if b2[0] > best[0] + 1e-12:
            best = b2
    return best[0], best[1], gT, k


def check_closed_forms():
    """The closed forms against the max-min on a grid (they are the same function), and
    ``p = 1`` against ``p = inf``."""
    worst = 0.0
    for alpha in (1.25, 1.5, 2.0, 3.0):
        for beta in np.linspace(1.3, 9.0, 78):
            if min(abs(beta - alpha - 1), abs(beta - 2 * alpha - 1), abs(beta - 2)) < 1e-9:
                continue
            for q in np.linspace(0.02, 2.0, 100):
                gs, _, gt, _ = student_exponent(alpha, beta, q)
                worst = max(worst, abs(gt - teacher_exponent(alpha, beta, q)),
                            abs(gs - student_exponent_closed(alpha, beta, q)),
                            abs(student_exponent(alpha, beta, q, 1.0)[0] - gs))
    assert worst < 1e-9, worst
    return worst


# --------------------------------------------------------------------------------------
# The package's risks
# --------------------------------------------------------------------------------------

_SETTINGS = {}
EVALS = [0]


def _setting(alpha, beta):
    key = (alpha, beta)
    if key not in _SETTINGS:
        _SETTINGS[key] = Setting(power_law=alpha, target=f"power-law:{beta}",
                                 teacher_width=10, samples=20, noise=str(NOISE), ridge=0,
                                 student_samples=10, student_ridge=[1])
    return _SETTINGS[key]


def _argmin(f, guess, lo, hi, step=0.5, xtol=1e-4):
    """Minimum of ``f`` over ``[lo, hi]``: walk downhill from ``guess`` by ``step`` until
    bracketed, then Brent. Returns ``(x, f(x), at_edge)``."""
    x0 = min(max(guess, lo), hi)
    f0 = f(x0)
    xr = min(hi, x0 + step)
    fr = f(xr) if xr > x0 else math.inf
    if fr < f0:
        d, prev, cur = step, (x0, f0), (xr, fr)
    else:
        xl = max(lo, x0 - step)
        fl = f(xl) if xl < x0 else math.inf
        if fl >= f0:
            if xl < x0 < xr:
                r = minimize_scalar(f, bracket=(xl, x0, xr), method="brent",
                                    options={"xtol": xtol})
                return r.x, r.fun, False
            return x0, f0, True
        d, prev, cur = -step, (x0, f0), (xl, fl)
    while True:
        x = cur[0] + d
        if x < lo - 1e-12 or x > hi + 1e-12:
            return cur[0], cur[1], True
        nxt = (x, f(x))
        if nxt[1] >= cur[1]:
            a, c = sorted((prev[0], nxt[0]))
            r = minimize_scalar(f, bracket=(a, cur[0], c), method="brent",
                                options={"xtol": xtol})
            return r.x, r.fun, False
        prev, cur = cur, nxt


def point(alpha, beta, n, M, n_S=INF, student=True, teacher_ridge=None, below=1.0):
    """Best-ridge teacher (or one at ``teacher_ridge``) and best-ridge student at one size.
    ``M = None``: an infinitely wide teacher; ``n_S = inf``: the student on the
    population (its search then reaches ``nu_0^T 10^-below``)."""
    s = _setting(alpha, beta)
    nS = None if math.isinf(n_S) else n_S
    m0 = n if M is None else min(M, n)
    table = _table(s.spectrum, s.bound_target, m0, nS, None, FLOAT64, True)
    model = _model(table, M, n, "teacher_width", "samples")
    nu0 = float(model.eq.nu0)
    if student and nS is None:
        table = _table(s.spectrum, s.bound_target, m0, None, 10 ** below / nu0, FLOAT64,
                       True)
        model = _model(table, M, n, "teacher_width", "samples")
    floor = math.exp(float(table.log_null))
    energy = math.exp(float(table.log_energy))
    labels = {}

    def log_LT(u):
        EVALS[0] += 1
        nodes = model.ridge(0.0 if u < -299 else 10.0 ** u)
        lab = teacher_labels(model, nodes, flow_weights(FLOAT64, nodes, None), NOISE, floor)
        labels[u] = lab
        risk = float(lab.risk)       # infinite at the interpolation threshold M = n
        return math.log(risk) if 0 < risk < math.inf else math.inf

    if teacher_ridge is not None:
        uT = -300.0 if teacher_ridge == 0 else math.log10(teacher_ridge)
        lT, edgeT = log_LT(uT), False
    else:
        uT, lT, edgeT = _argmin(log_LT, math.log10(nu0) + 0.5, math.log10(nu0) - 4, 1.0)
        l0 = log_LT(-300.0)
        if l0 <= lT:
            uT, lT, edgeT = -300.0, l0, False
    out = {"L_T": math.exp(lT), "ridge_T": 0.0 if uT < -299 else 10 ** uT,
           "edge_T": edgeT, "K": table.K}
    if not student:
        return out
    if uT not in labels:
        log_LT(uT)
    lab = labels[uT]
    nuT = float(model.eq.solve_ridge(out["ridge_T"]))
    smodel = _model(table, None, nS, "student_width", "student_samples")
    traj = SampleTrajectory(smodel, lab, energy, "ridge", lab.risk)

    def log_LS(u):
        EVALS[0] += 1
        t = math.inf if u < -299 else 10.0 ** -u
        risk = float(traj.risk([t])[0][0])
        return math.log(risk) if 0 < risk < math.inf else math.inf

    if nS is None:
        lo = math.log10(nu0) - below
    else:
        lo = math.log10(float(smodel.eq.nu0)) - 4
    uS, lS, edgeS = _argmin(log_LS, max(lo, math.log10(nuT) + 0.5), lo, 1.0)
    if nS is not None:
        l0 = log_LS(-300.0)
        if l0 <= lS:
            uS, lS, edgeS = -300.0, l0, False
    out.update({"L_S": math.exp(lS), "ridge_S": 0.0 if uS < -299 else 10 ** uS,
                "edge_S": edgeS, "nu_T": nuT})
    return out


def local(alpha, beta, q, n, p=INF, student=True, **kw):
    """Local exponents of ``L_T`` and ``L_S`` at ``n`` (``M = n^q``, ``n_S = n^p``;
    ``q = inf``: an infinitely wide teacher)."""
    pts = []
    for x in (n * 10 ** -H, n * 10 ** H):
        M = None if math.isinf(q) else x ** q
        pts.append(point(alpha, beta, x, M, x ** p if p < INF else INF, student, **kw))
    d = 2 * H * math.log(10)
    eT = -math.log(pts[1]["L_T"] / pts[0]["L_T"]) / d
    eS = -math.log(pts[1]["L_S"] / pts[0]["L_S"]) / d if student else None
    return eT, eS, pts[1]


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------








def predicted_table():
    section("1. Predicted exponents (closed forms; max-min of section 4 for finite p)")
    print(f"<!-- closed forms = max-min on a grid of 30,000 (alpha, beta, q): "
          f"largest difference {check_closed_forms():.1e} -->")
    rows = []
    for alpha, beta in ((1.5, 2.25), (1.5, 3.0), (1.5, 5.0), (2.0, 2.5), (2.0, 6.0),
                        (3.0, 8.0)):
        s = source(alpha, beta)
        qs = ((1 / beta,) if beta <= alpha + 1 else
              (1 / (alpha + 1), (s + 1 - alpha) / (s + 1),
               (s + 1 + alpha) / ((s + 1) * (1 + 2 * alpha))))
        for q in (0.25, 0.5, 1.0):
            gs, ks, gt, kt = student_exponent(alpha, beta, q)
            rows.append([alpha, beta, s, ", ".join(f"{x:.3f}" for x in qs), q,
                         f"{gt:.4f}", f"{kt:.3f}", f"{gs:.4f}", f"{ks:.3f}",
                         f"{student_exponent(alpha, beta, q, 0.2)[0]:.4f}",
                         f"{student_exponent(alpha, beta, q, 0.5)[0]:.4f}"])
    print(table(["alpha", "beta", "s", "boundaries in q", "q", "gamma_T", "kappa_T",
                 "gamma_S (p=inf)", "kappa_S", "gamma_S (p=0.2)", "gamma_S (p=0.5)"], rows))


TEACHER_CASES = [  # (alpha, beta, q, exponents of n)
    (1.5, 5.0, 0.25, (6, 8, 10, 12, 14)),
    (1.5, 2.25, 0.25, (6, 8, 10, 12, 14)),
    (3.0, 8.0, 0.25, (6, 8, 10, 12, 13)),
    (1.5, 5.0, 0.5, (4, 5, 6, 7, 8)),
    (2.0, 2.5, 1.5, (3, 3.5, 4, 4.5)),
    (1.5, 3.0, 1.5, (3, 3.5, 4, 4.5)),
]


def teacher_tables():
    section("2. Teacher at its best ridge: local exponent of L_T")
    rows = []
    for alpha, beta, q, es in TEACHER_CASES:
        gt = teacher_exponent(alpha, beta, q)
        for e in es:
            n = 10.0 ** e
            eT, _, r = local(alpha, beta, q, n, student=False)
            rows.append([alpha, beta, q, f"1e{e:g}", g(min(n ** q, n)), g(r["L_T"]),
                         g(r["ridge_T"], 3), f"{eT:.4f}", f"{gt:.4f}", f"{eT - gt:+.4f}"])
    print(table(["alpha", "beta", "q", "n", "min(M, n)", "L_T", "best ridge", "local exp.",
                 "predicted", "difference"], rows))


STUDENT_CASES = [  # (alpha, beta, q, exponents of n): student on the population
    (1.5, 5.0, 0.25, (6, 8, 10, 12, 14)),
    (2.0, 6.0, 0.25, (6, 8, 10, 12, 14)),
    (3.0, 8.0, 0.25, (6, 8, 10, 11, 12)),
    (2.0, 6.0, 0.45, (4, 5, 6, 7, 8)),
    (1.5, 2.25, 0.25, (6, 8, 10, 12, 14)),
    (2.0, 2.5, 1.5, (3, 3.5, 4)),
]


def student_tables():
    section("3. Best student, infinitely wide on the population (p = inf)")
    rows = []
    out = {}
    for alpha, beta, q, es in STUDENT_CASES:
        gs, ks, gt, kt = student_exponent(alpha, beta, q)
        for e in es:
            n = 10.0 ** e
            eT, eS, r = local(alpha, beta, q, n)
            out[(alpha, beta, q, e)] = (eT, eS)
            rows.append([alpha, beta, q, f"1e{e:g}", g(min(n ** q, n)), g(r["L_T"]),
                         g(r["L_S"]), g(r["ridge_S"] / r["nu_T"], 3)
                         + ("*" if r["edge_S"] else ""),
                         f"{eT:.4f} ({gt:.4f})", f"{eS:.4f}", f"{gs:.4f}",
                         f"{eS - gs:+.4f}", f"{eS - eT:+.4f}"])
    print(table(["alpha", "beta", "q", "n", "min(M, n)", "L_T", "L_S",
                 "lambda_S/nu_T", "teacher exp. (pred.)", "student exp.", "predicted",
                 "difference", "student - teacher"], rows))
    print("\n(*: the student's best penalty at the end of its search range, "
          "nu_0^T/10: it copies the teacher)")
    return out


def finite_p_tables():
    section("4. Best student on n_S = n^p fresh inputs (alpha = 1.5, beta = 5, q = 1/4)")
    rows = []
    for p, es in ((0.1, (8, 11, 14)), (0.2, (8, 11, 14, 16)), (0.3, (8, 11, 14)),
                  (0.75, (5, 6))):
        gs, ks, gt, kt = student_exponent(1.5, 5.0, 0.25, p)
        for e in es:
            n = 10.0 ** e
            eT, eS, r = local(1.5, 5.0, 0.25, n, p)
            rows.append([p, f"1e{e:g}", g(n ** 0.25), g(n ** p), g(r["L_S"]),
                         g(r["ridge_S"], 3), f"{eS:.4f}", f"{gs:.4f}", f"{eS - gs:+.4f}"])
    print(table(["p", "n", "M", "n_S", "L_S", "best student ridge", "student exp.",
                 "predicted", "difference"], rows))


def interpolating_teacher():
    section("5. A ridgeless teacher with M = n^1.5 > n (alpha = 1.5, beta = 3; p = inf)")
    rows = []
    gs, ks, gt, _ = student_exponent(1.5, 3.0, 1.5, kappa=1.0)
    for e in (3, 3.5, 4):
        n = 10.0 ** e
        eT, eS, r = local(1.5, 3.0, 1.5, n, teacher_ridge=0)
        rows.append([f"1e{e:g}", g(r["L_T"]), g(r["L_S"]), f"{eT:.4f} ({gt:.0f})",
                     f"{eS:.4f}", f"{gs:.4f}"])
    print(table(["n", "L_T", "L_S", "teacher exp. (pred.)", "student exp.",
                 "predicted"], rows))


ALPHA = 1.5
GRID_Q = [round(0.1 * i, 1) for i in range(1, 11)]
GRID_BETA = [1.75, 2.25, 3.0, 3.5, 4.5, 5.5]
M_CAP = 5000.0
SLICE_BETAS = (2.25, 4.5)
SMALL_CAP = 300.0


def grid_n(q, cap):
    """The size whose upper secant point has ``min(M, n) = cap``."""
    return cap ** (1 / min(q, 1.0)) / 10 ** H


def grid():
    section(f"6. The (q, beta) plane at alpha = {ALPHA}: local exponents at "
            f"min(M, n) = {M_CAP:g} (figure)")
    res = {}
    for beta in GRID_BETA:
        for q in GRID_Q:
            n = grid_n(q, M_CAP)
            eT, eS, r = local(ALPHA, beta, q, n)
            res[(q, beta)] = (eT, eS, n)
    rows = []
    for beta in GRID_BETA:
        row = [beta]
        for q in GRID_Q:
            eT, eS, _ = res[(q, beta)]
            gs, _, gt, _ = student_exponent(ALPHA, beta, q)
            row.append(f"{eT:.3f}/{eS:.3f} ({gt:.3f}/{gs:.3f})")
        rows.append(row)
    print(table(["beta \\ q"] + [str(q) for q in GRID_Q], rows))
    print("\n(entries: measured teacher/student (predicted teacher/student); "
          f"n = {M_CAP:g}^(1/min(q, 1)) / 10^(1/4))")
    small = {}
    for beta in SLICE_BETAS:
        for q in GRID_Q:
            eT, eS, _ = local(ALPHA, beta, q, grid_n(q, SMALL_CAP))
            small[(q, beta)] = (eT, eS)
    print(f"\nslices at min(M, n) = {SMALL_CAP:g}: " + "; ".join(
        f"beta = {b}: " + ", ".join(f"q={q}: {small[(q, b)][0]:.3f}/{small[(q, b)][1]:.3f}"
                                    for q in GRID_Q) for b in SLICE_BETAS))
    return res, small


class Transcription:
    """An independent numpy transcription of the same equivalent (not the package), for
    sizes beyond the engine's reach: the teacher's ``L_T`` at its feature-level penalty
    ``nu`` (docs/finite_samples.md) and the population student's ``L_S`` written as a
    sum of non-negative terms, ``sum_i B_i (1 - a_i m_i)^2 + a_i^2 W_i`` (no
    cancellation, unlike ``||f*||^2 + D + I``); explicit sums over ``i <= N``, the rest
    by the midpoint Euler-Maclaurin integral (``scipy.integrate.quad``)."""

    def __init__(self, alpha, beta, N=2_000_000):
        from scipy.integrate import quad
        self.alpha, self.beta, self.N, self.quad = alpha, beta, N, quad
        i = np.arange(1, N + 1, dtype=float)
        self.lam, self.B = i ** -alpha, i ** -beta

    def _tail(self, f):
        x0 = self.N + 0.5
        # x = x0 e^t; the integrands fall at least like x^(1 - alpha): t <= 600 suffices
        return self.quad(lambda t: f(x0 * math.exp(t)) * x0 * math.exp(t), 0, 600,
                         limit=400, epsabs=0, epsrel=1e-12)[0]

    def teacher(self, M, n, nu):
        a, b = self.alpha, self.beta
        lam, B = self.lam, self.B
        r = lam / (lam + nu)

        def both(head, f):
            return float(np.sum(head)) + self._tail(f)
        df = both(r, lambda x: x ** -a / (x ** -a + nu))
        T = both(lam / (lam + nu) ** 2, lambda x: x ** -a / (x ** -a + nu) ** 2)
        DS = both(r * r, lambda x: (x ** -a / (x ** -a + nu)) ** 2)
        S = both(lam * B / (lam + nu) ** 2, lambda x: x ** (-a - b) / (x ** -a + nu) ** 2)
        Bs = both(B / (lam + nu) ** 2, lambda x: x ** -b / (x ** -a + nu) ** 2)
        sig, gam = S / (M - DS), T / (M - DS)
        beta_T = nu * nu * (Bs + sig * T)
        D = DS + gam * nu * nu * T
        C = (beta_T + NOISE) / (n - D)
        return {"L_T": beta_T + (beta_T + NOISE) * D / (n - D), "df": df, "sig": sig,
                "gam": gam, "C": C, "nu": nu}

    def student(self, t, lam_S):
        a, b, nu = self.alpha, self.beta, t["nu"]
        sig, gam, C = t["sig"], t["gam"], t["C"]

        def term(lam, B):
            sT = nu / (lam + nu)
            W = lam * sT ** 2 * sig + C * ((1 - sT) ** 2 + gam * lam * sT ** 2)
            aS = lam / (lam + lam_S)
            return B * (1 - aS * (1 - sT)) ** 2 + aS ** 2 * W
        return float(np.sum(term(self.lam, self.B))) + self._tail(
            lambda x: term(x ** -a, x ** -b))

    def best(self, M, n):
        from scipy.optimize import brentq
        lo = brentq(lambda u: self.teacher(M, n, math.exp(u))["df"] - min(M, n)
                    * (1 - 1e-9), -80, 5, xtol=1e-12)
        r = minimize_scalar(lambda u: math.log(self.teacher(M, n, math.exp(u))["L_T"]),
                            bounds=(lo, 3), method="bounded", options={"xatol": 1e-7})
        t = self.teacher(M, n, math.exp(r.x))
        u0 = math.log(t["nu"])
        xs = np.arange(u0 - 3, 3, 0.5)
        vs = [math.log(self.student(t, math.exp(u))) for u in xs]
        i = int(np.argmin(vs))
        rs = minimize_scalar(lambda u: math.log(self.student(t, math.exp(u))),
                             bounds=(xs[max(i - 1, 0)], xs[min(i + 1, len(xs) - 1)]),
                             method="bounded", options={"xatol": 1e-7})
        return t["L_T"], math.exp(rs.fun)


def transcription_table():
    section("7. Beyond the engine's reach: an independent transcription "
            "(alpha = 1.5, beta = 5, q = 1/4)")
    tr = Transcription(1.5, 5.0)
    gs, _, gt, _ = student_exponent(1.5, 5.0, 0.25)
    rows = []
    for e in (14, 16, 18, 20):
        n = 10.0 ** e
        lo = tr.best((n * 10 ** -H) ** 0.25, n * 10 ** -H)
        hi = tr.best((n * 10 ** H) ** 0.25, n * 10 ** H)
        d = 2 * H * math.log(10)
        eT, eS = (-math.log(hi[j] / lo[j]) / d for j in (0, 1))
        extra = ""
        if e == 14:
            pk = point(1.5, 5.0, n * 10 ** H, (n * 10 ** H) ** 0.25)
            extra = (f" (package: {pk['L_T']:.10g}, {pk['L_S']:.10g})")
        rows.append([f"1e{e}", g(n ** 0.25), f"{hi[0]:.10g}, {hi[1]:.10g}{extra}",
                     f"{eT:.4f} ({gt:.4f})", f"{eS:.4f}", f"{gs:.4f}", f"{eS - gs:+.4f}"])
    print(table(["n", "M", "L_T, L_S at n 10^(1/4)", "teacher exp. (pred.)",
                 "student exp.", "predicted", "difference"], rows))


# --------------------------------------------------------------------------------------
# Figure
# --------------------------------------------------------------------------------------


def boundaries(ax, alpha, qmax):
    """Regime boundaries in the (q, beta) plane."""
    b_lo = np.linspace(1.05, alpha + 1, 100)
    ax.plot(1 / b_lo, b_lo, "k-", lw=1)                          # q* = 1/beta
    b_hi = np.linspace(alpha + 1, 7, 200)
    s = np.minimum(b_hi - 1, 2 * alpha)
    ax.plot(np.full_like(b_hi, 1 / (alpha + 1)), b_hi, "k--", lw=1)  # ridgeless edge
    ax.plot((s + 1 - alpha) / (s + 1), b_hi, "k-", lw=1)        # teacher reaches s/(s+1)
    ax.plot((s + 1 + alpha) / ((s + 1) * (1 + 2 * alpha)), b_hi, "C3:", lw=1.5)  # student
    ax.axhline(alpha + 1, color="0.4", lw=0.8, ls="-.")
    ax.axhline(2 * alpha + 1, color="0.6", lw=0.8, ls="-.")
    ax.set_xlim(0.05, qmax)
    ax.set_ylim(1.5, 6.0)
    ax.set_xlabel("q  (M = n^q)")
    ax.set_ylabel("beta  (B_i = i^-beta)")


def figure(res, small):
    fig, axes = plt.subplots(2, 2, figsize=(12, 9.4))
    qq = np.linspace(0.05, 1.05, 201)
    bb = np.linspace(1.5, 6.0, 181)
    PT = np.array([[teacher_exponent(ALPHA, b, q) for q in qq] for b in bb])
    PS = np.array([[student_exponent_closed(ALPHA, b, q) for q in qq] for b in bb])
    vmax = 2 * ALPHA / (2 * ALPHA + 1)
    Qs = np.array([q for q, b in res])
    Bs = np.array([b for q, b in res])
    ET = np.array([v[0] for v in res.values()])
    ES = np.array([v[1] for v in res.values()])
    panels = ((axes[0, 0], PT, ET, "(a) teacher at its best ridge: exponent of L_T"),
              (axes[0, 1], PS, ES, "(b) best student, p = inf: exponent of L_S"))
    for ax, P, E, title in panels:
        im = ax.pcolormesh(qq, bb, P, cmap="viridis", vmin=0, vmax=vmax, shading="auto")
        ax.scatter(Qs, Bs, c=E, cmap="viridis", vmin=0, vmax=vmax, s=120,
                   edgecolors="w", linewidths=0.8)
        for q, b, e in zip(Qs, Bs, E):
            ax.text(q, b - 0.25, f"{e:.2f}", fontsize=6, ha="center",
                    bbox={"facecolor": "w", "alpha": 0.7, "pad": 0.4, "edgecolor": "none"})
        boundaries(ax, ALPHA, 1.05)
        ax.set_title(title + f" (alpha = {ALPHA})\nbackground: predicted; discs: "
                     f"package at min(M, n) = {M_CAP:g}", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
    ax = axes[0, 0]
    for x, y, text in ((0.12, 5.8, "alpha q"), (0.5, 5.8, "(alpha-1+q)/alpha"),
                       (0.85, 5.8, "s/(s+1)"), (0.15, 2.38, "(beta-1) q"),
                       (0.85, 2.38, "(beta-1)/beta")):
        ax.text(x, y, text, fontsize=7, color="k", ha="center",
                bbox={"facecolor": "w", "alpha": 0.8, "pad": 0.5, "edgecolor": "none"})
    ax = axes[1, 0]
    D = PS - PT
    im = ax.pcolormesh(qq, bb, D, cmap="magma_r", vmin=0, vmax=0.25, shading="auto")
    ax.scatter(Qs, Bs, c=ES - ET, cmap="magma_r", vmin=0, vmax=0.25, s=120,
               edgecolors="k", linewidths=0.6)
    for q, b, e in zip(Qs, Bs, ES - ET):
        ax.text(q, b - 0.25, f"{e:+.2f}", fontsize=6, ha="center",
                bbox={"facecolor": "w", "alpha": 0.7, "pad": 0.4, "edgecolor": "none"})
    boundaries(ax, ALPHA, 1.05)
    ax.set_title("(c) student exponent - teacher exponent: > 0 where weak-to-strong "
                 "improves the rate\n(measured < 0: pre-asymptotic, both tend to s/(s+1))",
                 fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax = axes[1, 1]
    qf = np.linspace(0.02, 1.05, 300)
    for i, beta in enumerate(SLICE_BETAS):
        ax.plot(qf, [teacher_exponent(ALPHA, beta, q) for q in qf], "-", color=f"C{2 * i}",
                lw=1.2, label=f"beta = {beta}: teacher, predicted")
        ax.plot(qf, [student_exponent_closed(ALPHA, beta, q) for q in qf], "--",
                color=f"C{2 * i + 1}", lw=1.2, label=f"beta = {beta}: student, predicted")
        for cap, src, mk in ((SMALL_CAP, small, "o"), (M_CAP, res, "s")):
            qs = [q for q in GRID_Q if (q, beta) in src]
            for j in (0, 1):
                ax.plot(qs, [src[(q, beta)][j] for q in qs], mk, color=f"C{2 * i + j}",
                        ms=4.5, mfc="none" if cap == SMALL_CAP else f"C{2 * i + j}")
    ax.plot([], [], "ko", mfc="none", ms=4.5, label=f"package, min(M, n) = {SMALL_CAP:g}")
    ax.plot([], [], "ks", ms=4.5, label=f"package, min(M, n) = {M_CAP:g}")
    ax.set_xlabel("q  (M = n^q)")
    ax.set_ylabel("exponent of L")
    ax.set_title(f"(d) slices, alpha = {ALPHA}: the measured exponents move towards the "
                 "lines\nas n grows (open -> filled)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xlim(0, 1.05)
    fig.text(0.01, 0.004, "Lines in (a)-(c): solid black, the teacher's regime edges "
             "q = 1/beta and q = (s+1-alpha)/(s+1); dashed, q = 1/(alpha+1); dotted red, "
             "the student's edge q = (s+1+alpha)/((s+1)(1+2 alpha));\ndash-dot, "
             "beta = alpha+1 (the target enters the RKHS) and beta = 2 alpha+1 (ridge "
             "saturation, s = 2 alpha above). s = min(beta-1, 2 alpha).", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = os.path.join(IMG, "scaling_regions.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {os.path.relpath(path, ROOT)}")


def main():
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    steps = []
    for f in (predicted_table, teacher_tables, student_tables, finite_p_tables,
              interpolating_teacher, transcription_table):
        t = time.perf_counter()
        f()
        steps.append(f"{f.__name__} {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    res, small = grid()
    steps.append(f"grid {time.perf_counter() - t:.0f} s")
    figure(res, small)
    print(f"\n<!-- {'; '.join(steps)}; total {time.perf_counter() - t0:.0f} s, "
          f"{EVALS[0]} risk evaluations -->")


if __name__ == "__main__":
    with blas_threads(1):
        main()
