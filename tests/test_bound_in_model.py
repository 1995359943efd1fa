"""The student lower bound inside the random-feature model (issue 5, item 3b).

The bound (THEORY.md section 4) holds for every student f_S = A f_T with
0 <= A <= alpha I and a projection teacher. The exact simulations realize exactly that
situation: the teacher is the L2(mu) projection onto its features, and gradient flow
from zero for time t with the student kernel K_S gives A = I - exp(-t K_S), so
alpha(t) = 1 - exp(-t ||K_S||). Per seed and per time, the simulated risk must therefore
be at least LB(L_T, ||f*||^2, alpha(t)), where L_T is that seed's teacher risk.

||K_S|| is max_k lambda_k for the infinite-width student, and the largest eigenvalue of
G_S / M_S for a width-M_S student (the non-zero spectrum of the operator
M_S^{-1} sum_i phi_i phi_i^T on L2(mu) equals that of the Gram divided by M_S).

Tolerance: each simulated risk is a sum of O(M) float64 terms of size at most
||f*||^2, so rounding is a few hundred ulps of ||f*||^2 at these widths; the infinite
student's degree sums carry their own reported truncation bound, which is added.
"""

import math

import numpy as np
import pytest

from w2s_theory import SphereSpectrum, parse_target, risk_curve, student_lower_bound
from w2s_theory._src.simulation.exact import finite_student, fit_teacher, infinite_student
from w2s_theory._src.simulation.families import make_family

TIMES = [0.0, 10.0, 100.0, 300.0, 1e3, 3e3, 1e4, 1e5, math.inf]
ROUND = 1e-12


def _setting(activation, d, target):
    spec = SphereSpectrum(activation, d)
    bt = parse_target(target).bind(spec)
    fam = make_family(spec, bt)
    la, _ = spec.coefficients(64)
    lam_max = float(np.exp(2 * np.max(la)))          # the largest eigenvalue is below 64
    return spec, fam, lam_max


def _alpha(t, top):
    return 1.0 if math.isinf(t) else -math.expm1(-t * top)


@pytest.mark.parametrize("activation,d,target,M_T", [
    ("relu", 6, "degree:1", 50),
    ("relu", 6, "degree:1", 200),
    ("relu", 4, "single-index:relu", 100),
    ("tanh", 5, "degree:1 + 0.5*degree:3", 80),
])
def test_infinite_width_student_never_below_bound(activation, d, target, M_T):
    spec, fam, lam_max = _setting(activation, d, target)
    rng = np.random.default_rng(1234)
    for _ in range(4):
        W = fam.sample_weights(M_T, rng)
        fit = fit_teacher(fam, W)
        risks, trunc, _ = infinite_student(fam, W, fit, TIMES)
        for t, ls, tb in zip(TIMES, risks, trunc):
            lb = student_lower_bound(fit.teacher_risk, fit.target_energy, _alpha(t, lam_max))
            assert ls >= lb - tb - ROUND * fit.target_energy, (t, ls, lb)
            # alpha = 1 is weaker but must hold too
            assert ls >= student_lower_bound(fit.teacher_risk, fit.target_energy) \
                - tb - ROUND * fit.target_energy


@pytest.mark.parametrize("M_T,M_S", [(40, 40), (40, 200), (100, 400)])
def test_finite_width_student_never_below_bound(M_T, M_S):
    spec, fam, _ = _setting("relu", 6, "degree:1")
    rng = np.random.default_rng(99)
    for _ in range(3):
        W_T = fam.sample_weights(M_T, rng)
        W_S = fam.sample_weights(M_S, rng)
        fit = fit_teacher(fam, W_T)
        risks, _ = finite_student(fam, W_T, fit, W_S, TIMES)
        top = float(np.linalg.eigvalsh(fam.gram(W_S))[-1]) / M_S
        for t, ls in zip(TIMES, risks):
            lb = student_lower_bound(fit.teacher_risk, fit.target_energy, _alpha(t, top))
            assert ls >= lb - ROUND * fit.target_energy, (t, ls, lb)


def test_time_dependent_bound_is_not_vacuous():
    """The check above can fail: early on, alpha(t) is small and the bound is close to
    the student's own risk (at t = 0 both equal ||f*||^2)."""
    spec, fam, lam_max = _setting("relu", 6, "degree:1")
    W = fam.sample_weights(50, np.random.default_rng(5))
    fit = fit_teacher(fam, W)
    risks, _, _ = infinite_student(fam, W, fit, [0.0, 1.0])
    lb0 = student_lower_bound(fit.teacher_risk, fit.target_energy, _alpha(0.0, lam_max))
    assert abs(risks[0] - lb0) <= 1e-12
    lb1 = student_lower_bound(fit.teacher_risk, fit.target_energy, _alpha(1.0, lam_max))
    assert 0 < risks[1] - lb1 < 0.1 * risks[1]


def test_risk_engine_never_below_bound_along_curves():
    times = list(np.logspace(-1, 7, 60)) + [math.inf]
    for d, M in [(3, 30), (6, 100), (6, 3000), (20, 500)]:
        c = risk_curve(activation="relu", dim=d, target="degree:1", teacher_width=M,
                       times=times)
        for ls, lb in zip(c.student_risk, c.lower_bound):
            assert ls >= lb * (1 - 1e-12)
        assert c.optimal_student_risk >= student_lower_bound(c.teacher_risk,
                                                             c.target_energy) * (1 - 1e-12)
