"""The finite-width student's deterministic equivalent (issue 11) against the exact
simulation (``THEORY.md`` section 5): relu on the sphere (d = 10, degree-1 target) and
linear features on Gaussian data (variances i^-1.5, D = 400, energies B_i = i^-2.5).

Quantities: the relative gap ``(simulation - theory) / theory`` of L_S(t*) (t* the
theory's optimal stopping time for that student) and of min_t L_S (the theory's
``optimal_student_risk`` is ``min_t E L_S(t)``; the simulation's estimate is the
minimum of the estimated mean curve over a log grid t* 2^(k/4), |k| <= 8, refined by a
parabola in log t; its standard error is the one at the minimising grid time).

Estimator (as in ``benchmarks/finite_student_gap.py``): the per-seed spread of L_S(t*)
is 20-50% (mostly the teacher's draw), so the mean over the ``n`` finite-student seeds
is corrected by a control variate, the infinite-width student of the same teacher at
the same time, whose mean is taken over ``N`` seeds of the same root seed (the first
``n`` share their teachers with the finite-student run: the simulator spawns seed i the
same way in runs of any length). The standard error ``se`` accounts for both samples.
``own`` is the error of the finite-width increment alone,
``mean(L^{M_S} - L^inf) - (theory^{M_S} - theory^inf)`` over the paired seeds, at t*:
the part of the gap that the student's equivalent (THEORY.md 3b) is responsible for;
the rest is the infinite-width theory's own error at that time (the teacher's
equivalent, section 3). Fixed root seeds, different from the benchmark's: the test is
deterministic.

Tolerance of a gap: ``|gap| <= allowance + 4 se`` with ``se <= 2.5%``. The allowance is
the equivalent's error measured at the same (M_T, M_S) by the benchmark (3,200
infinite-width and 800 finite-width seeds, independent of these; ``docs/simulations.md``
section 7), plus two of its standard errors:

* relu, d = 10: +4.1 +- 0.7% at (25, 50), +3.8 +- 0.9% at (25, 400), +9.0 +- 0.6% at
  (100, 400). No O(1/M) form fits here: the gap *grows* from M_T = 25 to 100 (it is the
  infinite-width theory's late-time error, ``docs/simulations.md`` section 3, carried
  into the finite student, and shrinks only from M_T ~ 400 on), so the allowance is the
  value measured at that size, not an extrapolated constant;
* linear features: +8.1 +- 0.9% at (8, 32), +1.1 +- 0.4% at (64, 256). Here the gap is
  O(1/M_T): M_T x gap(t*) stays between 0.65 and 1.2 for M_T = 8 ... 64 and every M_S,
  and the student's own part is within +-1.8% (within 2 se of 0 from M_S = 4 M_T on).

Shrinking (each fails if the difference is not larger than 2 combined standard errors,
i.e. if the data do not show the decrease at the one-sided 2.3% level):

1. linear features: the gap of L_S(t*) and of min_t L_S at (M_T, M_S) = (64, 256) is
   below the gap at (8, 32) (benchmark: 8.1 +- 0.9% against 1.1 +- 0.4%);
2. relu, d = 10, M_T = 25: the student's own error at M_S = 400 is below the one at
   M_S = 50 (benchmark: +2.1 +- 0.6% against -0.1 +- 0.1%; about 1/M_S).

Not asserted, because it is false in this range: the *total* relu gap at d = 10 does not
shrink from (25, 100) to (100, 400) (+3.7% to +9.0%, benchmark), for the reason above.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import w2s_theory as w2s

GRID = 2.0 ** (np.arange(-8, 9) / 4)         # t / t*, a factor 4 either side
MID = 8                                       # index of t*


def linear_power_law(D=400, alpha=1.5, beta=2.5):
    i = np.arange(1, D + 1, dtype=float)
    theta = i ** ((alpha - beta) / 2)
    return dict(variances=[float(v) for v in i ** -alpha],
                target="linear:" + ",".join(f"{x:.17g}" for x in theta))


RELU = dict(activation="relu", dim=10, target="degree:1")
LINEAR = linear_power_law()


def _quiet(fn, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", w2s.IrreducibleFloorWarning)
        return fn(**kw)


def control_variate(Y, Xn, XR):
    """Mean of Y (n seeds) corrected by the control X (the same n seeds, and XR on
    N - n other seeds), per column; returns (estimate, se)."""
    n, m = len(Y), len(XR)
    f = n / (n + m)
    vx = Xn.var(axis=0, ddof=1)
    cov = ((Y - Y.mean(0)) * (Xn - Xn.mean(0))).sum(0) / (n - 1)
    b = cov / vx * (1 - f)
    est = Y.mean(0) - b * (Xn.mean(0) - XR.mean(0))
    var = (Y - b * Xn).var(axis=0, ddof=1) / n + b ** 2 * XR.var(axis=0, ddof=1) / m
    return est, np.sqrt(var)


def refined_min(y, log_t):
    j = int(np.argmin(y))
    assert 0 < j < len(y) - 1, "the minimum must be inside the grid"
    y0, y1, y2 = y[j - 1], y[j], y[j + 1]
    return float(y1 - (y0 - y2) ** 2 / (8 * (y0 - 2 * y1 + y2))), j


def measure(kw, M_T, widths, n, N, seed):
    """Gaps at t* and of min_t for each M_S in ``widths`` (``n[M_S]`` seeds), with the
    infinite-width control on ``N`` seeds."""
    theories = {M: _quiet(w2s.risk_curve, **kw, teacher_width=M_T, student_width=M,
                          times=[]) for M in widths}
    grids = {M: float(theories[M].optimal_time) * GRID for M in widths}
    union = np.unique(np.concatenate(list(grids.values())))
    r_inf = _quiet(w2s.simulate, **kw, teacher_width=M_T, times=list(union), seeds=N,
                   seed=seed, workers=1, optimal_stopping=False)
    L_inf = np.array([run.student_risk for run in r_inf.runs])
    th_inf = np.array([float(x) for x in r_inf.theory.student_risk])
    col = {float(t): i for i, t in enumerate(union)}
    out = {}
    for M in widths:
        grid = grids[M]
        r = _quiet(w2s.simulate, **kw, teacher_width=M_T, student_width=M,
                   times=list(grid), seeds=n[M], seed=seed, workers=1)
        idx = [col[float(t)] for t in grid]
        Y = np.array([run.student_risk for run in r.runs])
        X = L_inf[:, idx]
        th = np.array([float(x) for x in r.theory.student_risk])
        est, se = control_variate(Y, X[:n[M]], X[n[M]:])
        cmin, j = refined_min(est, np.log(grid))
        opt = float(theories[M].optimal_student_risk)
        inc = Y[:, MID] - X[:n[M], MID]
        th_inc = th[MID] - th_inf[idx[MID]]
        out[M] = dict(
            t=((est[MID] - th[MID]) / th[MID], se[MID] / th[MID]),
            min=((cmin - opt) / opt, se[j] / opt),
            own=((inc.mean() - th_inc) / th[MID],
                 inc.std(ddof=1) / math.sqrt(n[M]) / th[MID]))
    return out


# -- allowances: the benchmark's gap at the same size plus two of its standard errors ----
# (benchmarks/finite_student_gap.py, root seeds 11 + 7919 M_T, docs/simulations.md
# section 7; relative gaps of L_S(t*) and of min_t L_S)
ALLOWANCE = {
    ("relu", 25, 50): (0.041 + 2 * 0.007, 0.040 + 2 * 0.007),
    ("relu", 25, 400): (0.038 + 2 * 0.009, 0.038 + 2 * 0.009),
    ("relu", 100, 400): (0.090 + 2 * 0.006, 0.090 + 2 * 0.006),
    ("linear", 8, 32): (0.081 + 2 * 0.009, 0.081 + 2 * 0.009),
    ("linear", 64, 256): (0.011 + 2 * 0.004, 0.011 + 2 * 0.004),
}


RUNS = (   # family, setting, M_T, {M_S: finite seeds}, infinite seeds N, root seed
    ("relu", RELU, 25, {50: 2500, 400: 150}, 2600, 501),
    ("relu", RELU, 100, {400: 100}, 500, 502),
    ("linear", LINEAR, 8, {32: 200}, 2000, 601),
    ("linear", LINEAR, 64, {256: 150}, 1000, 602),
)


def measure_all():
    out = {}
    for name, kw, M_T, n, N, seed in RUNS:
        for M_S, v in measure(kw, M_T, list(n), n, N, seed).items():
            out[(name, M_T, M_S)] = v
    return out


@pytest.fixture(scope="module")
def gaps():
    return measure_all()


def test_gap_within_measured_equivalent_error(gaps):
    for size, (a_t, a_min) in ALLOWANCE.items():
        for (g, se), a in ((gaps[size]["t"], a_t), (gaps[size]["min"], a_min)):
            assert se <= 0.025, (size, se)
            assert abs(g) <= a + 4 * se, (size, g, se, a)


def test_linear_gap_shrinks_with_widths(gaps):
    for q in ("t", "min"):
        (g0, s0), (g1, s1) = gaps[("linear", 8, 32)][q], gaps[("linear", 64, 256)][q]
        assert abs(g0) - abs(g1) > 2 * math.hypot(s0, s1), (q, g0, s0, g1, s1)


def test_relu_own_error_shrinks_with_student_width(gaps):
    (g0, s0), (g1, s1) = gaps[("relu", 25, 50)]["own"], gaps[("relu", 25, 400)]["own"]
    assert abs(g0) - abs(g1) > 2 * math.hypot(s0, s1), (g0, s0, g1, s1)
