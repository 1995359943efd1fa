"""Scaling laws (``docs/scaling_laws.md``; issue 13, deliver 3): the package's local
exponents at large ``n`` against the exponents predicted by power counting of the
deterministic equivalent.

Power law ``lambda_i = i^-alpha``, target ``B_i = i^-beta``, noise ``0.1``, teacher width
``M = n^q`` at its best ridge, student infinitely wide on the population (``p = inf``) or
on ``n_S = n^p`` fresh inputs, at its best ridge; ``s = min(beta - 1, 2 alpha)``.
Predictions (the page's closed forms, from ``derivations/scaling_exponents.py``, which
``docs/make_scaling_figures.py`` checks against the max-min of the power counting):

* teacher: ``(beta - 1) min(q, 1/beta)`` for ``beta <= alpha + 1``; otherwise ``alpha q``
  (``q <= 1/(alpha+1)``), ``(alpha - 1 + q)/alpha`` (up to ``q = (s+1-alpha)/(s+1)``),
  then ``s/(s+1)``;
* student (``p >= 1``): the teacher's for ``beta <= alpha + 1``; otherwise
  ``min(s (1 + 2 alpha) q / (s + 1 + alpha), s/(s+1))``.

A local exponent is the secant of ``log L`` over ``n 10^(+-1/4)``. Every test compares two
sizes and requires the distance to the prediction to shrink by the factor that the
leading correction of that regime allows (derived on the page, with slack), and bounds
what remains. The risks are computed along the path of ``benchmarks/
scaling_finite_samples.py`` (one table per size, the teacher's labels, the student's
``SampleTrajectory``), first checked against the public ``risk_curve``. About 20 s.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import w2s_theory as w2s
from w2s_theory._src.precision import FLOAT64
from w2s_theory._src.setting import Setting
from w2s_theory._src.theory.sample_moments import flow_weights, teacher_labels
from w2s_theory._src.theory.samples import SampleTrajectory, _model, _table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "derivations"))
from scaling_exponents import student_exponent_closed, teacher_exponent  # noqa: E402

NOISE = 0.1
H = 0.25


def student_exponent(alpha, beta, q):
    return student_exponent_closed(alpha, beta, q)


def _setting(alpha, beta):
    return Setting(power_law=alpha, target=f"power-law:{beta}", teacher_width=10,
                   samples=20, noise=str(NOISE), ridge=0, student_samples=10,
                   student_ridge=[1])


def _minimize(f, lo, hi):
    """Coarse scan (half decades) and bounded Brent around its best point."""
    xs = np.arange(lo, hi + 1e-9, 0.5)
    vs = [f(x) for x in xs]
    i = int(np.argmin(vs))
    a, b = xs[max(i - 1, 0)], xs[min(i + 1, len(xs) - 1)]
    r = minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": 1e-5})
    return (r.x, r.fun) if r.fun <= vs[i] else (xs[i], vs[i])


def _log(x):
    x = float(x)
    return math.log(x) if 0 < x < math.inf else math.inf


def _risks(alpha, beta, n, M, n_S=None, student=True, teacher_ridge=None):
    """Best-ridge teacher (or ``teacher_ridge``) and best-ridge student; ``n_S = None``:
    the student on the population."""
    s = _setting(alpha, beta)
    table = _table(s.spectrum, s.bound_target, min(M, n), n_S, None, FLOAT64, True)
    nu0 = float(_model(table, M, n, "teacher_width", "samples").eq.nu0)
    if student and n_S is None:   # the population student's penalties reach nu0/10
        table = _table(s.spectrum, s.bound_target, min(M, n), None, 10 / nu0, FLOAT64,
                       True)
    model = _model(table, M, n, "teacher_width", "samples")
    floor = math.exp(float(table.log_null))
    energy = math.exp(float(table.log_energy))

    def labels(u):
        nodes = model.ridge(0.0 if u is None else 10.0 ** u)
        return teacher_labels(model, nodes, flow_weights(FLOAT64, nodes, None), NOISE,
                              floor)

    if teacher_ridge == 0:
        uT = None
    else:
        uT, lT = _minimize(lambda u: _log(labels(u).risk), math.log10(nu0) - 4, 1.0)
        if _log(labels(None).risk) <= lT:
            uT = None
    lab = labels(uT)
    if not student:
        return float(lab.risk), None
    smodel = _model(table, None, n_S, "student_width", "student_samples")
    traj = SampleTrajectory(smodel, lab, energy, "ridge", lab.risk)
    lo = math.log10(nu0) - 1 if n_S is None else math.log10(float(smodel.eq.nu0)) - 4
    _, lS = _minimize(lambda u: _log(traj.risk([10.0 ** -u])[0][0]), lo, 1.0)
    if n_S is not None:
        lS = min(lS, _log(traj.risk([math.inf])[0][0]))
    return float(lab.risk), math.exp(lS)


def _local(alpha, beta, q, n, p=None, student=True, **kw):
    """Local exponents of L_T and L_S at n, M = n^q (a real number), n_S = n^p."""
    lo = _risks(alpha, beta, n * 10 ** -H, (n * 10 ** -H) ** q,
                None if p is None else (n * 10 ** -H) ** p, student, **kw)
    hi = _risks(alpha, beta, n * 10 ** H, (n * 10 ** H) ** q,
                None if p is None else (n * 10 ** H) ** p, student, **kw)
    d = 2 * H * math.log(10)
    eT = -math.log(hi[0] / lo[0]) / d
    eS = -math.log(hi[1] / lo[1]) / d if student else None
    return eT, eS


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_path_is_the_public_risk_curve():
    """The path of the measurements gives ``risk_curve``'s risks (teacher, population
    student, finite-sample student) at a fixed pair of penalties."""
    for n_S in (None, 1000):
        kw = {} if n_S is None else {"student_samples": n_S}
        c = w2s.risk_curve(power_law=1.5, target="power-law:5", teacher_width=32,
                           samples=10**6, ridge="1e-5", student_ridge=["0.01"],
                           noise="0.1", optimal_stopping=False, **kw)
        s = _setting(1.5, 5.0)
        table = _table(s.spectrum, s.bound_target, 32, n_S, 1000.0, FLOAT64, True)
        model = _model(table, 32, 10**6, "teacher_width", "samples")
        nodes = model.ridge(1e-5)
        lab = teacher_labels(model, nodes, flow_weights(FLOAT64, nodes, None), NOISE,
                             math.exp(float(table.log_null)))
        traj = SampleTrajectory(_model(table, None, n_S, "student_width",
                                       "student_samples"), lab,
                                math.exp(float(table.log_energy)), "ridge", lab.risk)
        assert float(lab.risk) == pytest.approx(float(c.teacher_risk), rel=1e-12)
        assert float(traj.risk([100.0])[0][0]) == pytest.approx(
            float(c.student_risk[0]), rel=1e-12)


def test_teacher_feature_limited():
    """alpha = 1.5, beta = 5, q = 1/4: the ridgeless regime, L_T ~ M^-alpha, exponent
    alpha q = 3/8. Corrections: relative O(1/M) (the head sums, the bias M^(1-beta) is
    M^-2.5 relative) and the noise sigma^2 M/n, relative n^(-3/8): the error of the local
    exponent falls by 10 (O(1/M)) to 30 from n = 1e8 to 1e12; required: by 5, and below
    1e-3 at 1e12 (measured 3.8e-3 and 3e-4)."""
    pred = teacher_exponent(1.5, 5.0, 0.25)
    assert pred == 0.375
    e1, _ = _local(1.5, 5.0, 0.25, 1e8, student=False)
    e2, _ = _local(1.5, 5.0, 0.25, 1e12, student=False)
    assert abs(e2 - pred) < abs(e1 - pred) / 5
    assert abs(e2 - pred) < 1e-3


def test_teacher_kernel_rate():
    """alpha = 2, beta = 2.5, q = 3/2: the statistical rate s/(s+1) = 3/5 (M no longer
    matters). Corrections relative O(1/k*), k* ~ n^(1/(s+1)) = n^0.4: a decade of n
    divides the error by about 2.5; required: by 2, and below 6e-3 at n = 1e4 (measured
    1.7e-2 and 3.5e-3)."""
    pred = teacher_exponent(2.0, 2.5, 1.5)
    assert pred == pytest.approx(0.6)
    e1, _ = _local(2.0, 2.5, 1.5, 1e3, student=False)
    e2, _ = _local(2.0, 2.5, 1.5, 1e4, student=False)
    assert abs(e2 - pred) < abs(e1 - pred) / 2
    assert abs(e2 - pred) < 6e-3


def test_student_improves_the_rate_feature_limited():
    """alpha = 2, beta = 6 (s = 4), q = 1/4: teacher 1/2, student s(1+2 alpha)q/(s+1+alpha)
    = 5/7. The student's leading correction is (k_S/k_T)^(alpha-1) with k_S/k_T ~
    M^(-(s-alpha)/(s+1+alpha)): the error falls like M^(-2/7), by r = 10^(-1/7) = 0.72
    from n = 1e10 to 1e12 (measured 0.77); required: a ratio in [0.6, 0.9], the error
    negative (from below), and the exponent extrapolated with r, e2 + (e2 - e1) r/(1-r),
    within 8e-3 of 5/7 (measured 4.5e-3; the raw error is 1.8e-2)."""
    pred = student_exponent(2.0, 6.0, 0.25)
    assert pred == pytest.approx(5 / 7)
    t1, s1 = _local(2.0, 6.0, 0.25, 1e10)
    t2, s2 = _local(2.0, 6.0, 0.25, 1e12)
    assert s1 - pred < 0 and s2 - pred < 0
    assert 0.6 < (s2 - pred) / (s1 - pred) < 0.9
    r = 10 ** (-1 / 7)
    assert abs(s2 + (s2 - s1) * r / (1 - r) - pred) < 8e-3
    assert abs(t2 - 0.5) < 1e-3
    assert s2 - t2 > 0.18                          # predicted 3/14 = 0.214


def test_student_reaches_kernel_rate_teacher_does_not():
    """alpha = 2, beta = 6, q = 0.45: the teacher balances its features' fluctuations
    against the noise, exponent (alpha - 1 + q)/alpha = 0.725, approached from above
    (crossover from the ridgeless regime: k*/M ~ n^((1-q)/alpha - q), error falling by
    10^-0.35 = 0.45 per two decades, measured 0.46); the student reaches s/(s+1) = 0.8
    (error 1.3e-2 at n = 1e6, 8e-4 at 1e8; required: a fall by 5 and below 5e-3)."""
    assert teacher_exponent(2.0, 6.0, 0.45) == pytest.approx(0.725)
    pred = student_exponent(2.0, 6.0, 0.45)
    assert pred == pytest.approx(0.8)
    t1, s1 = _local(2.0, 6.0, 0.45, 1e6)
    t2, s2 = _local(2.0, 6.0, 0.45, 1e8)
    assert abs(s2 - pred) < abs(s1 - pred) / 5 and abs(s2 - pred) < 5e-3
    assert 0 < t2 - 0.725 < 0.6 * (t1 - 0.725)
    assert s2 - t2 > 0.05


def test_no_improvement_below_the_rkhs():
    """alpha = 1.5, beta = 2.25 < alpha + 1: teacher and student share (beta - 1) q =
    0.3125; the student's advantage in the exponent is a correction, O(M^-(alpha+1-beta))
    = O(M^-1/4): from n = 1e8 to 1e12 it falls by 10^(1/4) = 1.8 (measured 2.1); required:
    by 1.5, both exponents below the prediction and within 0.02 of it at 1e12."""
    pred = student_exponent(1.5, 2.25, 0.25)
    assert pred == teacher_exponent(1.5, 2.25, 0.25) == pytest.approx(0.3125)
    t1, s1 = _local(1.5, 2.25, 0.25, 1e8)
    t2, s2 = _local(1.5, 2.25, 0.25, 1e12)
    assert 0 < s2 - t2 < (s1 - t1) / 1.5
    assert pred - 0.02 < t2 < s2 < pred


def test_sample_limited_student():
    """p = 0.1 (n_S = n^0.1 fresh inputs), alpha = 1.5, beta = 5, q = 1/4: the student
    resolves at most n_S directions, exponent s p = 0.3 below the teacher's 0.375
    (section 4 of the page). Its error falls from 8e-2 (n = 1e8) to 4.7e-2 (1e11);
    required: by 1.4, and the student's exponent below the teacher's by 0.05."""
    t1, s1 = _local(1.5, 5.0, 0.25, 1e8, p=0.1)
    t2, s2 = _local(1.5, 5.0, 0.25, 1e11, p=0.1)
    assert abs(s2 - 0.3) < abs(s1 - 0.3) / 1.4
    assert s2 < t2 - 0.05


def test_interpolating_teacher():
    """A ridgeless teacher with M = n^1.5 > n does not learn at the rate n^-x (its risk
    tends to a constant), yet the population student reaches s/(s+1) = 2/3 (section 5):
    error 1.3e-2 at n = 1e3, 7e-3 at 10^3.5; required: a fall by 1.5 and below 1e-2,
    the teacher's exponent below 0.03."""
    t1, s1 = _local(1.5, 3.0, 1.5, 1e3, teacher_ridge=0)
    t2, s2 = _local(1.5, 3.0, 1.5, 10 ** 3.5, teacher_ridge=0)
    assert abs(s2 - 2 / 3) < abs(s1 - 2 / 3) / 1.5 and abs(s2 - 2 / 3) < 1e-2
    assert 0 < t2 < 0.03
