"""The finite-width student in the risk engine (``THEORY.md`` 3b, issue 11).

Against independent computations:

* the real-axis spectral-integration reference of ``tests/_finite_student_reference.py``
  (no contour, no continuation; polynomial roots for the resolvent's branch) for the
  risk, the ceiling, the limit ``t -> inf``, gradient descent and the top edge, on finite
  spectra, within the engine's reported error bound plus the reference's accuracy
  (``10^-(dps-5)`` at ``dps`` = 25: negligible against float64);
* the infinite-width engine, as the limit ``M_S -> inf``, at the rate the derivation
  gives (``derivations/finite_width_student.py``: the O(1/M_S) coefficient in closed
  form, so the remainder ``M_S (L_S - L_S^inf) - c`` must shrink like ``1/M_S``);
* the closed-form infinite-width path against the general path the finite student uses;
* 30 digits against 60 digits; the lower bound; a dense grid for ``t*``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import _finite_student_reference as ref
from w2s_theory import risk_curve
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.setting import Setting
from w2s_theory._src.theory.curve import _choose_table
from w2s_theory._src.theory.resolvent import student_kernel
from w2s_theory._src.theory.teacher import teacher_sums
from w2s_theory._src.theory.trajectory import Trajectory
from w2s_theory._src.precision import FLOAT64

#: finite spectra: (eigenvalues, multiplicities, energies, M_T, M_S)
CASES = [
    ([1.0, 0.3, 0.05], [10, 30, 60], [0.5, 0.3, 0.2], 20, 50),
    ([1.0, 0.3, 0.05], [10, 30, 60], [0.5, 0.3, 0.2], 20, 100),      # M_S = D: nu_S = 0
    ([2.0, 0.5, 0.1, 0.02], [3, 8, 20, 40], [0.1, 0.6, 0.2, 0.1], 8, 30),
]
DPS = 25                       # the reference's digits (its error ~1e-20, negligible)


def _setting(lam, N, B, M_T, M_S, **kw):
    energies = ",".join(f"{k}={b}" for k, b in enumerate(B))
    return Setting(eigenvalues=lam, multiplicities=N, target=f"energies:{energies}",
                   teacher_width=M_T, student_width=M_S, **kw)


@pytest.mark.parametrize("case", CASES)
def test_risk_against_the_real_axis_reference(case):
    lam, N, B, M_T, M_S = case
    times = [0.5, 3.0, 20.0, 150.0]
    c = risk_curve(_setting(lam, N, B, M_T, M_S, times=times + ["inf"]))
    tol = c.error_bound["student_risk"] + 1e-15 * c.target_energy
    for t, got in zip(times, c.student_risk):
        want = float(ref.student_risk(lam, N, B, M_T, M_S, t, dps=DPS))
        assert abs(got - want) <= tol, (t, got, want)
    assert abs(c.student_risk[-1] - float(ref.student_limit(lam, N, B, M_T, M_S,
                                                             dps=DPS))) <= tol
    assert abs(c.student_ceiling_risk - float(ref.student_ceiling(lam, N, B, M_S,
                                                                   dps=DPS))) <= 1e-14
    assert abs(c.teacher_risk - float(ref.teacher(lam, N, B, M_T, dps=DPS)["L_T"])) \
        <= 1e-14
    assert abs(c.student_top_edge / float(ref.top_edge(lam, N, M_S, dps=DPS)) - 1) < 1e-12


@pytest.mark.parametrize("case", CASES[:2])
def test_gradient_descent_against_the_reference(case):
    lam, N, B, M_T, M_S = case
    edge = float(ref.top_edge(lam, N, M_S, dps=DPS))
    lr = 0.5 / edge                                      # monotone steps: lr s_+ < 1
    steps = [1, 7, 60, 500]
    c = risk_curve(_setting(lam, N, B, M_T, M_S, lr=lr, steps=steps))
    tol = c.error_bound["student_risk"] + 1e-15
    for k, got in zip(steps, c.student_risk):
        want = float(ref.gd_risk(lam, N, B, M_T, M_S, lr, k, dps=DPS))
        assert abs(got - want) <= tol, (k, got, want)
    assert c.times == tuple(lr * k for k in steps)


def test_learning_rate_limits():
    lam, N, B, M_T, M_S = CASES[0]
    edge = float(ref.top_edge(lam, N, M_S, dps=DPS))
    with pytest.raises(InvalidArgument, match=r"lr.*2/s_\+|divergent") as info:
        risk_curve(_setting(lam, N, B, M_T, M_S, lr=2.01 / edge, steps=[3]))
    assert info.value.argument == "lr"
    # the infinite student: gradient descent converges up to 2/lambda_max
    c = risk_curve(_setting(lam, N, B, M_T, None, lr=1.9 / max(lam), steps=[3, 30]))
    assert c.diagnostics["uncertified_intervals"] > 0   # oscillating: said, not hidden
    with pytest.raises(InvalidArgument, match="lr"):
        risk_curve(_setting(lam, N, B, M_T, None, lr=2.0 / max(lam), steps=[3]))


def test_infinite_width_descent_is_the_closed_form():
    """``(1 - eta lambda)^k`` per block, summed by hand (section 3 with that filter)."""
    lam, N, B, M_T, _ = CASES[0]
    tch = ref.teacher(lam, N, B, M_T, dps=DPS)
    lr, steps = 0.7, [1, 10, 100]
    c = risk_curve(_setting(lam, N, B, M_T, None, lr=lr, steps=steps))
    for k, got in zip(steps, c.student_risk):
        e = [(1 - lr * x) ** k for x in lam]
        want = sum((1 - (1 - ek) * (1 - float(s))) ** 2 * b + (1 - ek) ** 2 * float(F)
                   for ek, s, b, F in zip(e, tch["s"], B, tch["F"]))
        assert abs(got - want) <= 1e-14, (k, got, want)


def test_student_spanning_everything_and_wider():
    lam, N, B, M_T, _ = CASES[0]
    c = risk_curve(_setting(lam, N, B, M_T, 100, times=[1e9]))
    assert c.student_ceiling_risk == 0 and c.nu_student == 0
    # wider than the rank: the same path, nu_S = 0 (tests/test_student_wider_than_rank.py)
    wide = risk_curve(_setting(lam, N, B, M_T, 101, times=[1e9]))
    assert wide.student_ceiling_risk == 0 and wide.nu_student == 0


# --------------------------------------------------------------------------------------
# limits


def test_wide_student_tends_to_the_infinite_one_at_the_derived_rate():
    """``e_k(t) = e^{-t lambda_k} + C_k(t)/M_S + O(M_S^-2)`` with
    ``C_k = lambda_k sum_j N_j lambda_j D_t(lambda_k, lambda_j)``, ``D_t`` the second
    divided difference of ``exp(-t s)`` (derivations/finite_width_student.py, step 3d'),
    so ``M_S (L_S - L_S^inf) -> c = sum_k alpha_k C_k(t) + beta_k C_k(2t)`` (the weights
    of the linear form, trajectory.py). On the sphere (unbounded rank; on a finite
    spectrum the rank caps the range of ``M_S`` below it), with ``c``
    summed independently over 3,000 degrees (``N_j lambda_j`` decays like ``j^-4`` for
    relu at d = 4: the rest is below 1e-10): the remainder
    ``|M_S (L_S - L_S^inf) - c|`` halves per doubling of ``M_S`` (O(1/M_S))."""
    from scipy.optimize import brentq

    from w2s_theory import SphereSpectrum

    d, M_T, t, K = 4, 20, 30.0, 3000
    b = SphereSpectrum("relu", d).blocks(K)
    lam_all = np.exp(np.asarray(b.log_lam, dtype=float))
    N_all = np.exp(np.asarray(b.log_mult, dtype=float))
    B_all = np.zeros(K)
    B_all[1] = 1.0
    nu = brentq(lambda v: np.sum(N_all * lam_all / (lam_all + v)) - M_T, 1e-14, 1.0,
                xtol=1e-300, rtol=1e-15)
    pos = lam_all > 0
    lam, N, B = lam_all[pos], N_all[pos], B_all[pos]
    s = nu / (lam + nu)
    S = np.sum(lam * B / (lam + nu) ** 2)
    D2 = np.sum(N * lam ** 2 / (lam + nu) ** 2)
    F = nu ** 2 * N * lam / (lam + nu) ** 2 * S / (M_T - D2)

    def C(tt):
        a, m = lam[:, None], lam[None, :]
        x = -tt * (m - a)
        small = np.abs(x) < 1e-3
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            big = (np.exp(-tt * m) - np.exp(-tt * a) * (1 + x)) / (m - a) ** 2
        Dt = np.where(small, tt * tt * np.exp(-tt * a) * (0.5 + x / 6 + x * x / 24), big)
        return lam * np.sum((N * lam)[None, :] * Dt, axis=1)

    alpha = 2 * s * (1 - s) * B - 2 * F
    beta = (1 - s) ** 2 * B + F
    coef = float(np.sum(alpha * C(t) + beta * C(2 * t)))
    kw = dict(activation="relu", dim=d, target="degree:1", teacher_width=M_T, times=[t],
              optimal_stopping=False)
    Linf = risk_curve(**kw).student_risk[0]
    widths = (2_000, 4_000, 8_000, 16_000)
    rem = [abs(M * (risk_curve(student_width=M, **kw).student_risk[0] - Linf) - coef)
           for M in widths]
    for a_, b_ in zip(rem[:-1], rem[1:]):
        assert 1.6 < a_ / b_ < 2.6, (rem, coef)


def test_general_path_reproduces_the_closed_form():
    """The infinite student under gradient flow has a closed form; the general path
    (linear in e(t), e(2t), by the resolvent's weighted sums) must agree with it."""
    s = Setting(activation="relu", dim=6, target="degree:1 + 0.3*degree:2",
                teacher_width=60, times=[1.0])
    table, log_nu = _choose_table(s.spectrum, s.bound_target, 60, 1e7, FLOAT64)
    teacher = teacher_sums(table, log_nu, 60)
    closed = Trajectory(table, teacher, student_kernel(table, None))
    general = Trajectory(table, teacher, student_kernel(table, None))
    general.closed_form = False
    general._weights()
    ts = list(np.geomspace(1.0, 1e7, 25))
    a, ea = closed.risk(ts)
    b, eb = general.risk(ts)
    # both are float64 sums of terms bounded by ||f*||^2 + sum F <= 2 ||f*||^2: a few
    # dozen ulps of ||f*||^2, plus the reported tail and quadrature bounds
    scale = 2 * float(np.exp(float(table.log_energy)))
    tol = 64 * np.finfo(float).eps * scale
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) <= tol + ea.max() + eb.max()
    _, d1a, d2a, _ = closed.risk(ts, derivatives=2)
    _, d1b, d2b, _ = general.risk(ts, derivatives=2)
    t = np.asarray(ts)                      # t dL/dt and t^2 d2L/dt2 are O(||f*||^2)
    assert np.max(np.abs(t * (d1a - d1b))) <= 1e-12 * scale
    assert np.max(np.abs(t * t * (d2a - d2b))) <= 1e-12 * scale


# --------------------------------------------------------------------------------------
# precision, optimum, bound


def test_30_and_60_digits_agree():
    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=40,
              student_width=160, times=["3", "300"], optimal_stopping=False)
    c30 = risk_curve(precision=30, **kw)
    c60 = risk_curve(precision=60, **kw)
    with mpmath.workdps(70):
        for a, b in zip(c30.student_risk + (c30.student_ceiling_risk,),
                        c60.student_risk + (c60.student_ceiling_risk,)):
            assert abs(a - b) <= abs(b) * mpmath.mpf(10) ** -25
    f = risk_curve(**kw)
    for a, b in zip(f.student_risk, c60.student_risk):
        assert abs(a - float(b)) <= f.error_bound["student_risk"] + 1e-15 * abs(a)


def test_optimal_time_beats_a_dense_grid_and_bound_holds():
    c = risk_curve(activation="relu", dim=10, target="degree:1", teacher_width=50,
                   student_width=400, times=list(np.geomspace(10, 1e6, 400)))
    grid = np.asarray(c.student_risk)
    gain = c.teacher_risk - c.optimal_student_risk
    # certified to 0.1% of the gain, then polished: no grid point is lower by more
    assert c.optimal_student_risk <= grid.min() + 1e-3 * gain
    assert c.diagnostics["uncertified_intervals"] == 0
    assert all(lb <= ls for lb, ls in zip(c.lower_bound, c.student_risk))
    a, b = c.win_intervals[0]
    for t in (a, b):
        if math.isfinite(t):
            v = risk_curve(activation="relu", dim=10, target="degree:1", teacher_width=50,
                           student_width=400, times=[t], optimal_stopping=False)
            assert abs(v.student_risk[0] - c.teacher_risk) <= 1e-9 * c.teacher_risk
