"""The practitioner's conventions (``derivations/practitioner_conventions.py``): the loss
without 1/2, a random initial top layer, and online SGD's exact expectation.

1. ``loss = "mse"`` (torch's ``MSELoss``) is the half loss at times ``2t`` and rate
   ``2 lr``, mapped in one place (``Setting.half_loss``): risks equal bit for bit, times,
   rates, ``t*`` and win intervals reported in the caller's units (halved exactly: a
   power of two), decimals doubled exactly; the same for ``simulate`` (same seeds) and
   ``w2s risk``.
2. ``init``: the theory's init energy ``v E tr(K_S g(K_S)^2)`` against independent
   computations: a numpy sum on a finite Gaussian spectrum and a direct sum over degrees
   on the sphere (infinite student); the real-axis spectral-integration reference of
   ``tests/_finite_student_reference.py`` and the free moments (finite student); the
   exact simulation, pairing seeds so that only the initial layer differs.
3. ``sgd_excess`` against an independent Monte Carlo of online SGD on Gaussian linear
   regression, and its expansion in ``1/B``.
4. Bad input names the argument (or the option) the user typed.

Tolerances, each argued where it is used:

* ``rounding(...)``: float64 rounding of one risk value. The engine returns a sum of
  ``n = 4 (K + Q) + 2`` float64 terms (four weighted sums over ``K`` explicit blocks and
  ``Q`` tail-series coefficients, the constant, the init sum; a finite student's terms
  are each again a sum over the contour rule's nodes, counted too), whose magnitudes add
  up to at most ``8 S``, ``S = ||f*||^2 + v tr Sigma`` (every weight is bounded by the
  target's block energies ``B_k``, the teacher's variance ``F_k``, whose sum is at most
  ``L_T <= ||f*||^2``, or the init's ``v N_k lambda_k``; each ``e_k`` lies in
  ``[0, 1]``). The classical bound for a float64 sum is ``n eps sum |x_i|``.
* The engine's own bound ``error_bound["student_risk"]`` (quadrature, tail series) of
  each curve entering a comparison; a reference's stated accuracy.
* Monte Carlo: 4 standard errors (a two-sided 6e-5 false-alarm rate per comparison for
  a Gaussian mean), plus, for the finite-width deterministic equivalent, its O(1/M_S)
  error argued in the test.
"""

from __future__ import annotations

import json
import math
import warnings
from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import _finite_student_reference as ref
import w2s_theory as w2s
from w2s_theory._src.cli import main as cli
from w2s_theory._src.errors import DecimalFloat, InvalidArgument
from w2s_theory._src.setting import Setting
from w2s_theory._src.simulation.exact import sgd_excess

EPS = np.finfo(float).eps
#: the finite student's contour rules use a few dozen nodes (QuadraturePlan: 26 for the
#: spectra below); counted generously in ``rounding``
NODES = 64

#: linear features on Gaussian data (a finite spectrum; the infinite student's init energy
#: is the explicit sum v sum_i lambda_i g(lambda_i)^2)
GAUSS = dict(variances=[1.0, 0.5, 0.3, 0.1, 0.02], target="linear:1,1,1,1,1",
             teacher_width=3)
#: three blocks of Gaussian features (derivations/practitioner_conventions.py section 3)
LAM, MULT = [1.0, 0.3, 0.05], [10, 30, 60]
BLOCKS = dict(eigenvalues=LAM, multiplicities=MULT, target="energies:0=1,1=0.5,2=0.2",
              teacher_width=20)
SPHERE = dict(activation="relu", dim=4, teacher_width=20)


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", w2s.IrreducibleFloorWarning)
        return fn(*args, **kw)


def curve(**kw):
    return quiet(w2s.risk_curve, optimal_stopping=False, **kw)


def rounding(c, scale, nodes=1):
    """float64 rounding of one risk of curve ``c`` (module docstring)."""
    n = (4 * (c.diagnostics["K"] + c.diagnostics["series_terms"]) + 2) * nodes
    return n * EPS * 8 * scale


def increase(a, z):
    """``L_S(init) - L_S(zero)`` per point, float64."""
    return np.array(a.student_risk, dtype=float) - np.array(z.student_risk, dtype=float)


def engine_error(*curves):
    return sum(c.error_bound["student_risk"] for c in curves)


# ---------------------------------------------------------------------------------------
# 1. The loss without 1/2
# ---------------------------------------------------------------------------------------

def test_half_loss_doubles_times_rates_and_teacher_time_exactly():
    s = Setting(**BLOCKS, times=["0.1", Fraction(1, 3), "inf", 3, 2.5], loss="mse",
                precision=30)
    h = s.half_loss()
    assert (s.loss_name, h.loss, h.loss_name) == ("mse", None, "half")
    assert (s.time_factor(), h.time_factor()) == (2, 1)
    assert h.half_loss() is h
    t = h.times
    assert isinstance(t[0], DecimalFloat) and Decimal(t[0].decimal) == Decimal("0.2")
    assert t[1] == Fraction(2, 3) and math.isinf(t[2])
    assert t[3] == 6 and isinstance(t[3], int) and t[4] == 5.0
    assert h.replace(loss="mse", times=s.times) == s            # nothing else changed
    d = Setting(**BLOCKS, lr="0.15", steps=[3, 7], loss="mse").half_loss()
    assert Decimal(d.lr.decimal) == Decimal("0.3") and d.steps == (3, 7)
    # the teacher's training time doubles; ridge penalties (defined on the mean squared
    # error either way) do not
    s = Setting(**BLOCKS, samples=50, teacher_time="0.35", student_ridge=["0.1", 0],
                loss="mse")
    h = s.half_loss()
    assert Decimal(h.teacher_time.decimal) == Decimal("0.7")
    assert h.student_ridge == s.student_ridge and h.times is None
    s = Setting(**BLOCKS, samples=50, ridge="0.01", times=[1], loss="mse")
    assert s.half_loss().ridge == s.ridge and s.half_loss().times == (2,)
    # both conventions survive TOML
    s = Setting(**BLOCKS, times=[1], loss="mse", init="uniform:0.3")
    assert Setting.from_toml(s.to_toml()) == s


#: (setting, how its half-loss twin differs): infinite and finite student, flow and
#: descent; the finite ones with a random initial layer (its energy is mapped too)
LOSS_CASES = {
    "infinite-flow": (dict(**SPHERE, times=[3, 50]), dict(times=[6, 100])),
    "finite-flow": (dict(**SPHERE, student_width=40, times=[3, 50], init="normal:0.5"),
                    dict(times=[6, 100])),
    "infinite-descent": (dict(**SPHERE, lr="0.5", steps=[3, 50]), dict(lr=1)),
    "finite-descent": (dict(**SPHERE, student_width=40, lr="0.5", steps=[3, 50],
                            init="uniform:0.5"), dict(lr=1)),
}


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_mse_risk_curve_is_the_half_loss_at_double_time(case):
    kw, twin = LOSS_CASES[case]
    m = quiet(w2s.risk_curve, **kw, loss="mse")
    h = quiet(w2s.risk_curve, **{**kw, **twin})              # written by hand, not mapped
    assert m.setting == Setting(**kw, loss="mse")             # the caller's setting
    # the same computation: bit for bit
    for key in ("student_risk", "teacher_risk", "student_ceiling_risk",
                "optimal_student_risk", "gain", "pgr", "lower_bound"):
        assert getattr(m, key) == getattr(h, key), key
    # reported in the caller's units: halved exactly (division by 2 is exact in binary)
    assert all(2 * a == b for a, b in zip(m.times, h.times))
    assert 2 * m.optimal_time == h.optimal_time
    assert len(m.win_intervals) == len(h.win_intervals) > 0
    for (a, b), (c, d) in zip(m.win_intervals, h.win_intervals):
        assert (2 * a, 2 * b) == (c, d)
    if "lr" in kw:
        assert m.lr == 0.5 and h.lr == 1 and m.optimal_steps == h.optimal_steps
        assert m.times == tuple(0.5 * k for k in kw["steps"]) and m.steps == h.steps
    else:
        assert m.times == tuple(float(t) for t in kw["times"]) and m.lr is None
        # the range searched for t*, a time range too
        assert [2 * x for x in m.diagnostics["search_range"]] == \
            h.diagnostics["search_range"]


def test_mse_at_high_precision_doubles_the_decimal():
    # at 30 digits a doubled float 0.1 (0.2000000000000000111...) would show: the mapping
    # must double the decimal the user wrote
    for width in (None, 6):
        kw = dict(BLOCKS, teacher_width=8, student_width=width, precision=30)
        m = curve(**kw, times=["0.1", Fraction(1, 3)], loss="mse")
        h = curve(**kw, times=["0.2", Fraction(2, 3)])
        f = curve(**kw, times=[0.2])                           # the binary 0.2
        assert m.student_risk == h.student_risk
        assert f.student_risk[0] != h.student_risk[0]         # the test can tell
        # the caller's times: the half loss's halved exactly, the decimal 0.1 to the
        # working precision (30 digits)
        with mpmath.workdps(60):                  # (t / 2 is exact at this precision)
            assert m.times == tuple(t / 2 for t in h.times)
            assert abs(m.times[0] - mpmath.mpf(1) / 10) < mpmath.mpf(10) ** -30


#: (simulate keywords, the half-loss twin's changes)
SIM_LOSS_CASES = {
    "sphere-infinite-flow": (dict(**SPHERE, times=[3, 50]), dict(times=[6, 100])),
    "sphere-finite-flow-init": (dict(**SPHERE, student_width=20, times=[3, 50],
                                     init="normal:0.5"), dict(times=[6, 100])),
    "gauss-finite-descent-init": (dict(**GAUSS, student_width=4, lr="0.1", steps=[3, 50],
                                       init="uniform:0.3"), dict(lr="0.2")),
    "gauss-infinite-descent-init": (dict(**GAUSS, lr="0.1", steps=[3, 50],
                                         init="normal:0.3"), dict(lr="0.2")),
    "gauss-finite-sgd": (dict(**GAUSS, student_width=4, lr="0.1", steps=[3, 50],
                              student_batch_size=2), dict(lr="0.2")),
}


@pytest.mark.parametrize("case", list(SIM_LOSS_CASES))
def test_simulate_mse_is_the_half_loss_at_double_time(case):
    kw, twin = SIM_LOSS_CASES[case]
    run = dict(seeds=3, seed=5, workers=1, optimal_stopping=False)
    m = quiet(w2s.simulate, **kw, loss="mse", **run)
    h = quiet(w2s.simulate, **{**kw, **twin}, **run)
    assert [r.student_risk for r in m.runs] == [r.student_risk for r in h.runs]
    assert [r.teacher_risk for r in m.runs] == [r.teacher_risk for r in h.runs]
    assert m.theory.student_risk == h.theory.student_risk
    assert all(2 * a == b for a, b in zip(m.times, h.times))     # the caller's times
    if "lr" in kw:
        assert m.times == (0.3, 5.0)               # lr * steps with lr = 1/10 exactly
    else:
        assert m.times == (3.0, 50.0)


def test_cli_risk_reports_mse_in_the_callers_time(capsys):
    base = ["risk", "--dim", "4", "--teacher-width", "20", "--json"]
    assert cli.main(base + ["--time", "50", "--loss", "mse"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert cli.main(base + ["--time", "100"]) == 0
    h = json.loads(capsys.readouterr().out)
    assert m["student_risk"] == h["student_risk"] and m["times"] == [50.0]
    assert 2 * m["optimal_time"] == h["optimal_time"]
    assert m["setting"]["loss"] == "mse"


# ---------------------------------------------------------------------------------------
# 2. A random initial top layer
# ---------------------------------------------------------------------------------------

def test_init_energy_of_the_infinite_student_on_a_gaussian_spectrum():
    lam = np.array(GAUSS["variances"])
    flow = dict(times=[0, 0.3, 1, 10, 100, "inf"])
    descent = dict(lr="0.5", steps=[0, 1, 5, 30])          # lr < 2/lambda_max = 2
    for init, v in (("normal:0.7", Fraction(49, 100)),
                    ("uniform:0.7", Fraction(49, 300))):
        assert Setting(**GAUSS, init=init).init_variance(None) == v   # exact
        v = float(v)
        for train in (flow, descent):
            a, z = curve(**GAUSS, **train, init=init), curve(**GAUSS, **train)
            if train is flow:
                t = np.array([float(x) for x in flow["times"]])[:, None]
                with np.errstate(invalid="ignore"):
                    g2 = np.where(np.isinf(t), 0.0, np.exp(-2 * t * lam))
            else:
                g2 = (1 - 0.5 * lam) ** (2 * np.array(descent["steps"]))[:, None]
            direct = v * np.sum(lam * g2, axis=1)              # v sum_i lambda_i g^2
            S = a.target_energy + v * lam.sum()
            tol = engine_error(a, z) + rounding(a, S) + rounding(z, S)
            assert np.all(np.abs(increase(a, z) - direct) <= tol), (init, train)


def test_init_energy_of_the_infinite_student_on_the_sphere():
    # v sum_k N_k lambda_k exp(-2 t lambda_k) summed directly over degrees k < 4000 of the
    # spectrum; the rest lies in [0, v T_1(4000)] (T_1 = sum_{k >= 4000} N_k lambda_k, the
    # spectrum's tail moment, whose relative error it reports; exp(...) <= 1)
    v, K = 0.25, 4000
    times = [0, 1.0, 10.0, 100.0, 1e3, 1e4, float("inf")]
    a = curve(**SPHERE, times=times, init="normal:0.5")
    z = curve(**SPHERE, times=times)
    sp = a.setting.spectrum
    bl = sp.blocks(K)
    lam, N = np.exp(np.asarray(bl.log_lam, float)), np.exp(np.asarray(bl.log_mult, float))
    tail = sp.tail_moments(K, 1)
    T1 = math.exp(float(tail.log_mass)) * (1 + float(tail.rel_error))
    direct = np.array([0.0 if math.isinf(t) else
                       v * np.sum(N * lam * np.exp(-2 * t * lam)) for t in times])
    trace = 1 / (2 * SPHERE["dim"])          # tr Sigma = E relu(<w, x>)^2 = 1/(2d)
    S = a.target_energy + v * trace
    tol = (engine_error(a, z) + rounding(a, S) + rounding(z, S)
           # the tail moments the engine used, to their relative error
           + max(a.error_bound["tail_moments"], z.error_bound["tail_moments"]) * S)
    J = increase(a, z)
    gap = J - direct
    fin = np.isfinite(times)
    assert np.all(gap[fin] >= -tol) and np.all(gap[fin] <= v * T1 + tol), gap
    assert abs(J[-1]) <= tol                                  # t = inf: nothing left
    assert abs(J[0] - v * trace) <= tol                       # t = 0: v tr Sigma


def test_torch_init_leaves_the_infinite_student_unchanged():
    # torch's variance 1/(3 m) vanishes for an infinitely wide model: bit for bit
    z = quiet(w2s.risk_curve, **SPHERE, times=[3, 50])
    t = quiet(w2s.risk_curve, **SPHERE, times=[3, 50], init="torch")
    for key in ("student_risk", "optimal_time", "win_intervals", "optimal_student_risk"):
        assert getattr(t, key) == getattr(z, key), key
    kw = dict(**GAUSS, lr="0.5", steps=[1, 30])
    assert curve(**kw, init="torch").student_risk == curve(**kw).student_risk
    run = dict(seeds=2, seed=1, workers=1, optimal_stopping=False)
    for skw in (dict(**SPHERE, times=[3, 50]), dict(**GAUSS, times=[1, 10])):
        a = quiet(w2s.simulate, **skw, init="torch", **run)
        b = quiet(w2s.simulate, **skw, **run)
        assert [r.student_risk for r in a.runs] == [r.student_risk for r in b.runs]


def free_moments(M):
    """``E tr K_S^n``, n = 1, 2, 3, under the deterministic equivalent (the free
    Marchenko-Pastur law of ``K_S``: free cumulants ``kappa_j = tr Sigma^j / M``, moments
    ``M sum over non-crossing partitions of prod kappa_|b|``)."""
    lam, N = np.array(LAM), np.array(MULT)
    p1, p2, p3 = (float(np.sum(N * lam ** j)) for j in (1, 2, 3))
    return p1, p2 + p1 ** 2 / M, p3 + 3 * p1 * p2 / M + p1 ** 3 / M ** 2


def test_init_energy_of_the_finite_student_against_independent_references():
    # the reference (tests/_finite_student_reference.py) integrates x g(x)^2 against the
    # equivalent spectral measure of K_S seen from each block, on the real axis: J =
    # v sum_k N_k int x g(x)^2 mu_k(dx); accurate to 10^-(dps-5) relative (its docstring,
    # self-tested in tests/test_finite_student_reference.py)
    M_S, dps, lr = 40, 20, 0.3
    kw = dict(**BLOCKS, student_width=M_S)
    trace = float(np.dot(LAM, MULT))                               # tr Sigma; v = 1
    ref_tol = 10.0 ** -(dps - 5) * trace

    def check(a, z, want):
        S = a.target_energy + trace
        tol = engine_error(a, z) + rounding(a, S, NODES) + rounding(z, S, NODES) + ref_tol
        assert np.all(np.abs(increase(a, z) - want) <= tol), (increase(a, z), want, tol)

    times = [0.5, 2.0, 10.0]
    a = curve(**kw, times=[0] + times, init="normal:1")
    z = curve(**kw, times=[0] + times)
    want = [trace] + [float(sum(n * x for n, x in zip(MULT, ref.spectral_integral(
        LAM, MULT, M_S, lambda x, t=t: x * mpmath.exp(-2 * t * x), dps=dps,
        scale=2 * t)))) for t in times]
    check(a, z, want)                               # t = 0: E tr K_S = tr Sigma, exactly
    steps = [0, 1, 4, 20]
    a = curve(**kw, lr=lr, steps=steps, init="normal:1")
    z = curve(**kw, lr=lr, steps=steps)
    m1, m2, m3 = free_moments(M_S)
    want = [trace, m1 - 2 * lr * m2 + lr ** 2 * m3]  # one step: a cubic, free moments
    want += [float(sum(n * x for n, x in zip(MULT, ref.spectral_integral(
        LAM, MULT, M_S, lambda x, k=k: x * (1 - lr * x) ** (2 * k), dps=dps,
        scale=2 * lr * k)))) for k in steps[2:]]
    check(a, z, want)
    # torch: variance 1/(3 M_S) per weight at finite width; the energy is linear in v
    t = curve(**kw, lr=lr, steps=steps, init="torch")
    J, Jt = increase(a, z), increase(t, z)
    # each of the three curves off by its bound and rounding; Jt's error scaled by 3 M_S
    tol = 3 * M_S * (engine_error(a, t, z) + 3 * rounding(a, a.target_energy + trace,
                                                          NODES))
    assert np.all(np.abs(3 * M_S * Jt - J) <= tol)


def test_init_energy_is_non_increasing():
    # a mixture of decaying exponentials (flow), of (1 - lr x)^(2k) with 0 <= lr x < 1
    # (descent, lr < 1/s_+ as the engine requires): non-increasing, up to each value's
    # error bound and rounding
    kw = dict(**BLOCKS, student_width=40)
    trace = float(np.dot(LAM, MULT))
    for train in (dict(times=[0.0] + list(np.geomspace(0.01, 1e3, 30))),
                  dict(lr=0.3, steps=list(range(0, 61, 3)))):
        a = curve(**kw, **train, init="normal:1")
        z = curve(**kw, **train)
        J = increase(a, z)
        S = a.target_energy + trace
        tol = engine_error(a, z) + rounding(a, S, NODES) + rounding(z, S, NODES)
        assert np.all(np.diff(J) <= 2 * tol), np.diff(J).max()     # two values each
        assert abs(J[0] - trace) <= tol and J[-1] >= -tol


#: the finite student against the exact simulation: twice the blocks above (D = 200,
#: M_T = 40, M_S = 80), seeds paired (init = zero vs the law)
SIM = dict(eigenvalues=LAM, multiplicities=[20, 60, 120],
           target="energies:0=1,1=0.5,2=0.2", teacher_width=40, student_width=80)


@pytest.mark.parametrize("train, init", [
    (dict(times=[0.0, 0.5, 2.0, 10.0]), "uniform:1.5"),
    (dict(lr=0.3, steps=[0, 1, 4, 20]), "normal:1"),
], ids=["flow", "descent"])
def test_init_increase_of_the_finite_student_against_the_exact_simulation(train, init):
    # Same root seed, so the same teacher and student weights: a(0) is drawn last (the
    # teacher risks are checked equal). The per-seed difference L_S(a(0)) - L_S(0) has
    # the mean v E tr(K_S g(K_S)^2) over a(0) and W_S exactly. Tolerance: 4 standard
    # errors plus the deterministic equivalent's error, allowed J / M_S: it is exact at
    # t = 0 (E tr K_S = tr Sigma; no allowance there), and beyond it drops the
    # non-planar terms of the real Gaussian moments, which are O(1/M_S) relative: e.g.
    # E tr K_S^2 exceeds its equivalent by exactly tr Sigma^2 / M_S, at most 1/M_S of it;
    # on this spectrum (D / M_S = 2.5) derivations/practitioner_conventions.py measures
    # it at <= 0.6 / M_S (M_S = 40 and 160).
    seeds, M_S = 200, SIM["student_width"]
    run = dict(seeds=seeds, seed=11, workers=1)
    a = quiet(w2s.simulate, **SIM, **train, init=init, **run)
    z = quiet(w2s.simulate, **SIM, **train, **run)
    assert [r.teacher_risk for r in a.runs] == [r.teacher_risk for r in z.runs]
    d = np.array([r.student_risk for r in a.runs]) - np.array([r.student_risk
                                                               for r in z.runs])
    mean, se = d.mean(0), d.std(0, ddof=1) / math.sqrt(seeds)
    J = increase(a.theory, z.theory)
    allowance = np.where(np.arange(len(J)) == 0, 0.0, J / M_S)
    assert np.all(np.abs(mean - J) <= 4 * se + allowance), ((mean - J) / se, J)


def test_init_increase_of_the_infinite_student_against_the_exact_simulation():
    # Gaussian features: the simulation draws f_0 = sqrt(v lambda_i) xi_i per coordinate;
    # the per-seed difference has the mean v sum_i lambda_i e^(-2 t lambda_i) exactly
    # (the cross term has mean zero given the teacher): 4 standard errors, no allowance
    run = dict(seed=4, workers=1, optimal_stopping=False)
    times = [0, 0.5, 3.0, 30.0]
    kw = dict(**GAUSS, times=times)
    a = quiet(w2s.simulate, **kw, init="normal:0.5", seeds=1000, **run)
    z = quiet(w2s.simulate, **kw, seeds=1000, **run)
    d = np.array([r.student_risk for r in a.runs]) - np.array([r.student_risk
                                                               for r in z.runs])
    mean, se = d.mean(0), d.std(0, ddof=1) / math.sqrt(len(d))
    J = increase(a.theory, z.theory)
    assert np.all(np.abs(mean - J) <= 4 * se), (mean - J) / se
    # the sphere: the simulation adds the expected energy itself, summed over the degrees
    # it keeps, the rest within its reported bound (per seed)
    kw = dict(**SPHERE, times=times)
    a = quiet(w2s.simulate, **kw, init="normal:0.5", seeds=3, **run)
    z = quiet(w2s.simulate, **kw, seeds=3, **run)
    J = increase(a.theory, z.theory)
    S = a.theory.target_energy + 0.25 / (2 * SPHERE["dim"])          # v tr Sigma = v/(2d)
    # the simulation's risks: sums over its degrees of four terms each (the same count)
    n_sim = 4 * a.diagnostics["degrees"] + 2
    tol = engine_error(a.theory, z.theory) + rounding(a.theory, S) \
        + rounding(z.theory, S) + 2 * n_sim * EPS * 8 * S
    for ra, rz in zip(a.runs, z.runs):
        got = np.array(ra.student_risk) - np.array(rz.student_risk)
        assert np.all(np.abs(got - J) <= np.array(ra.bound) + np.array(rz.bound) + tol)


# ---------------------------------------------------------------------------------------
# 3. Online SGD's exact expectation
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch", [1, 4])
def test_sgd_excess_against_monte_carlo(batch):
    # SGD on y = <u, a*> + noise, u ~ N(0, C) with C = Q diag(c) Q^T (not diagonal: the
    # recursion is written in C's eigenbasis), a(0) ~ N(0, v I), fresh batches; the risk
    # (a - a*)^T C (a - a*) averaged over R runs, against gradient descent's from zero
    # plus sgd_excess (mean0 = c (Q^T a*)^2, var0 = v c). 4 standard errors.
    rng = np.random.default_rng(20 + batch)
    D, R, lr, v, sig2 = 8, 20000, 0.25, 0.3, 0.2
    steps = [0, 1, 3, 10, 30]
    c = np.geomspace(1, 0.05, D)
    Q = np.linalg.qr(rng.standard_normal((D, D)))[0]
    C_half = Q * np.sqrt(c) @ Q.T
    astar = rng.standard_normal(D)
    a = math.sqrt(v) * rng.standard_normal((R, D))
    risk = np.zeros((R, len(steps)))
    for k in range(max(steps) + 1):
        if k in steps:
            r = a - astar
            risk[:, steps.index(k)] = np.einsum("ri,ij,rj->r", r, Q * c @ Q.T, r)
        u = rng.standard_normal((R, batch, D)) @ C_half
        y = u @ astar + math.sqrt(sig2) * rng.standard_normal((R, batch))
        res = np.einsum("rbd,rd->rb", u, a) - y
        a = a - lr * np.einsum("rbd,rb->rd", u, res) / batch
    mean0 = c * (Q.T @ astar) ** 2
    gd = np.array([np.sum(mean0 * (1 - lr * c) ** (2 * k)) for k in steps])
    theory = gd + sgd_excess(c, mean0, v * c, sig2, lr, batch, steps)
    m, se = risk.mean(0), risk.std(0, ddof=1) / math.sqrt(R)
    assert np.all(np.abs(m - theory) <= 4 * se), (m - theory) / se


def test_sgd_excess_in_powers_of_one_over_batch():
    # q(k) is a polynomial in 1/B with non-negative coefficients (the recursion's
    # coefficients (1 - lr c)^2, lr^2 c^2 / B and mu, L are non-negative), zero at 1/B = 0
    # when var0 = 0: B q(B) = a1 + a2/B + ... decreases to a1, and B (B q(B) - a1) =
    # a2 + ... decreases too. a1 from the first-order recursion, written here.
    c = np.geomspace(1, 0.02, 6)
    mean0, sig2, lr, steps = 0.3 * c, 0.1, 0.5, [1, 5, 40]
    assert np.all(sgd_excess(c, mean0, 0 * c, sig2, lr, math.inf, steps) == 0)
    var0 = 0.2 * c                      # B = inf: gradient descent's init energy
    gd = [np.sum(var0 * (1 - lr * c) ** (2 * k)) for k in steps]
    assert np.allclose(sgd_excess(c, mean0, var0, sig2, lr, math.inf, steps), gd,
                       rtol=100 * max(steps) * EPS, atol=0)   # k rounded products
    a1 = []
    q, mu = np.zeros_like(c), mean0.copy()
    for k in range(max(steps) + 1):
        if k in steps:
            a1.append(q.sum())
        q = (1 - lr * c) ** 2 * q + lr ** 2 * c ** 2 * (mu + mu.sum() + sig2)
        mu = (1 - lr * c) ** 2 * mu
    a1 = np.array(a1)
    B = np.array([1, 10, 100, 1000, 10000])[:, None]
    Bq = np.array([b * sgd_excess(c, mean0, 0 * c, sig2, lr, b, steps) for b in B[:, 0]])
    # rounding: each of the k steps rounds q (and a1) by a few ulps (relative; all terms
    # non-negative, no cancellation): 100 k eps relative, for both
    tol = 100 * max(steps) * EPS * Bq
    assert np.all(Bq > 0) and np.all(Bq >= a1 - 2 * tol)
    assert np.all(np.diff(Bq, axis=0) <= tol[:-1] + tol[1:])
    second = B * (Bq - a1)                        # a2 + a3/B + ...: non-increasing, >= 0
    assert np.all(second >= -2 * B * tol)
    assert np.all(np.diff(second, axis=0) <= 2 * B[1:] * (tol[:-1] + tol[1:]))
    # so the first order is reached at rate 1/B: B q(B) - a1 <= (B q(1) - a1 at B = 1) / B
    assert np.all(np.abs(Bq[-1] - a1) <= second[0] / B[-1] + 2 * tol[-1])
    # one step from q = 0 is exactly linear in 1/B (a2 = 0); later steps are not
    assert np.all(np.abs(second[:, 0]) <= 2 * B[:, 0] * tol[:, 0])
    assert np.all(second[-1, 1:] > 2 * B[-1] * tol[-1, 1:])


def test_simulate_online_sgd_excess_is_of_order_one_over_batch():
    # the exact method's online SGD (finite student, Gaussian features): per seed the
    # excess over gradient descent is >= 0 and B x excess does not increase with B (the
    # expansion above, var0 = 0 for init = zero; B >= 2 is what simulate accepts)
    kw = dict(**GAUSS, student_width=4, lr="0.3", steps=[1, 10, 50], seeds=4, seed=2,
              workers=1, optimal_stopping=False)
    gd = np.array([r.student_risk for r in quiet(w2s.simulate, **kw).runs])
    # the simulation adds the excess to the same float64 gradient-descent risk: the
    # difference is the excess up to one rounding of the sum, eps |risk|
    tol = EPS * np.abs(gd) * 2
    prev = None
    for B in (2, 8, 64):
        sgd = np.array([r.student_risk for r in quiet(w2s.simulate, **kw,
                                                      student_batch_size=B).runs])
        ex = B * (sgd - gd)
        assert np.all(ex >= -B * tol) and np.all(ex > 0)
        if prev is not None:
            assert np.all(ex <= prev + (B + prev_B) * tol)
        prev, prev_B = ex, B


# ---------------------------------------------------------------------------------------
# 4. Bad input
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, match", [
    ("init", "normal:-1", r"^init: .*>= 0"),
    ("init", -1, r"^init: .*>= 0"),
    ("init", "foo", r"^init: unknown initialization 'foo'"),
    ("init", "uniform:x", r"^init: .*real number"),
    ("init", "normal:inf", r"^init: .*real number"),
    ("init", "torch:1", r"^init: unknown initialization"),
    ("loss", "l1", r"^loss: unknown loss 'l1'"),
    ("loss", 2, r"^loss: unknown loss"),
])
def test_bad_conventions_name_their_argument(key, value, match):
    assert issubclass(InvalidArgument, ValueError)
    with pytest.raises(ValueError, match=match) as info:
        Setting(dim=6, **{key: value})
    assert isinstance(info.value, InvalidArgument) and info.value.argument == key


@pytest.mark.parametrize("argv, opt", [
    (["--init", "normal:-1"], "--init"),
    (["--init", "foo"], "--init"),
    (["--loss", "l1"], "--loss"),
    (["--init", "normal:1", "--samples", "50"], "--init"),
])
def test_cli_bad_conventions_name_the_option(argv, opt, capsys):
    try:
        code = cli.main(["risk", "--dim", "6", "--teacher-width", "10", "--time", "100",
                         *argv])
    except SystemExit as exc:                    # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"w2s risk: error: {opt}: "), err


def test_init_with_finite_samples_is_refused():
    for extra in (dict(samples=50), dict(samples=50, teacher_time=2),
                  dict(student_samples=50, student_width=10),
                  dict(student_ridge=[0.1], samples=50)):
        kw = dict(dim=6, teacher_width=10, **extra)
        if "student_ridge" not in extra:
            kw["times"] = [1]
        with pytest.raises(InvalidArgument, match=r"^init: .*finite samples") as info:
            Setting(**kw, init="normal:1")
        assert info.value.argument == "init"
        Setting(**kw)                                         # fine without init


def test_online_sgd_in_the_exact_simulation_needs_gaussian_features_and_steps():
    run = dict(seeds=1, workers=1, optimal_stopping=False)
    with pytest.raises(InvalidArgument, match=r"^student_batch_size: .*Gaussian"):
        w2s.simulate(**SPHERE, lr="0.1", steps=[3], student_batch_size=4, **run)
    with pytest.raises(InvalidArgument, match=r"^student_batch_size: .*learning rate"):
        w2s.simulate(**GAUSS, times=[1], student_batch_size=4, **run)


def test_sphere_simulation_bounds_the_initial_layer_beyond_its_cut():
    """The exact simulation's infinite student on the sphere with an initial layer: the
    risk summed to few degrees differs from the one summed to many by no more than the
    bound it reports (the tail of the trace, between its decayed and undecayed values),
    and the teacher's fit is shared, so the difference is the truncation alone."""
    from w2s_theory._src.simulation import exact
    from w2s_theory._src.simulation.runner import build_family

    s = Setting(dim=4, teacher_width=10, times=[0, 1, 30], init="normal:0.5")
    family = build_family(s)
    rng = np.random.default_rng(0)
    W = family.sample_weights(10, rng)
    fit = exact.fit_teacher(family, W)
    few = exact.infinite_student(family, W, fit, s.times, rtol=1e-30, k_max=6,
                                 init_var=0.25)
    many = exact.infinite_student(family, W, fit, s.times, rtol=1e-30, k_max=400,
                                  init_var=0.25)
    assert not few[2]["bound_met"]
    gap = np.abs(few[0] - many[0])
    assert np.all(gap <= few[1] + many[1] + 1e-12)
    assert few[1][0] == 0.0 and few[1][2] > 0          # exact at t = 0 (no decay yet)
    # "bound met" means what it says, the initial layer's tail included
    for k_max in (4, 6, 40):
        risks, bounds, info = exact.infinite_student(family, W, fit, s.times, rtol=1e-6,
                                                     k_max=k_max, init_var=0.25)
        if info["bound_met"]:
            assert np.all(bounds <= 1e-6 * np.abs(risks)), k_max


def test_mse_errors_say_which_units_they_speak():
    with pytest.raises(InvalidArgument, match="half loss's units.*got 0.5") as info:
        w2s.risk_curve(variances=[1, .5, .3, .1, .05, .02], target="linear:1,1,1,1,1,1",
                       teacher_width=3, student_width=5, lr="0.25", steps=[3, 50],
                       loss="mse")
    assert info.value.argument == "lr"


def test_simulate_on_samples_maps_the_loss_too():
    """Fits on samples under ``loss = mse``: the half loss at double times (the student's
    and the teacher's), per seed bit for bit, reported at the caller's times."""
    kw = dict(variances=[1, 0.5, 0.25, 0.1], target="linear:1,1,1,1", teacher_width=2,
              samples=20, student_samples=30, noise=0.1, seeds=6, seed=1, workers=1)
    a = quiet(w2s.simulate, **kw, times=[1, 5], loss="mse", teacher_time="3")
    b = quiet(w2s.simulate, **kw, times=[2, 10], teacher_time="6")
    assert a.times == (1.0, 5.0)
    assert [r.student_risk for r in a.runs] == [r.student_risk for r in b.runs]
    assert [r.teacher_risk for r in a.runs] == [r.teacher_risk for r in b.runs]
    assert a.theory.student_risk == b.theory.student_risk
