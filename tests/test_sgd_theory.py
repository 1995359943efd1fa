"""Online SGD's minibatch noise in the theory (``theory/sgd.py``, issue 12 item 3).

The closed form (secular roots of a diagonal-plus-rank-one matrix, regrouped sums with
guard digits in mpmath) is checked against the step-by-step recursion of
``simulation/exact.sgd_excess`` fed with the same teacher moments, against itself at
two precisions, against its large-batch limit (gradient descent), and the teacher
moments it uses against an identity of the engine. The recursion itself is checked
against a Monte Carlo of SGD in ``derivations/practitioner_conventions.py`` (section 4)
and ``tests/test_conventions.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import w2s_theory as w2s
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.simulation.exact import sgd_excess
from w2s_theory._src.theory.sgd import SGDNoise

U = 2.0 ** -52

SETTINGS = [
    # 40 distinct variances, a small teacher: the paper's linear-feature regime
    dict(variances=list(np.geomspace(1, 0.02, 40)), target="linear:" + ",".join(["1"] * 40),
         teacher_width=10, lr="0.5"),
    # a spread target, a larger step (eta lambda_max = 0.9), an initial layer
    dict(variances=[1, 0.6, 0.3, 0.1, 0.03, 0.01], target="linear:1,-2,0.5,1,3,1",
         teacher_width=3, lr="0.9", init="normal:0.3"),
    # a spiked model: one spike over an isotropic bulk (blocks of equal eigenvalues)
    dict(variances=[4] + [0.25] * 30, target="linear:1," + ",".join(["0.2"] * 30),
         teacher_width=5, lr="0.2"),
]


def _noise(setting):
    """The :class:`SGDNoise` the engine builds for ``setting`` (float64)."""
    built = []
    import w2s_theory._src.theory.sgd as sgd       # curve.py imports it at call time

    class Spy(SGDNoise):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            built.append(self)

    orig = sgd.SGDNoise
    sgd.SGDNoise = Spy
    try:
        curve = w2s.risk_curve(setting, optimal_stopping=False)
    finally:
        sgd.SGDNoise = orig
    return built[0], curve


@pytest.mark.filterwarnings("ignore:online SGD:RuntimeWarning")     # batch 1 diverges
@pytest.mark.parametrize("kw", SETTINGS)
@pytest.mark.parametrize("batch", [1, 8, 1024])
def test_closed_form_equals_the_step_by_step_recursion(kw, batch):
    """The secular closed form against ``sgd_excess`` (the recursion the exact
    simulation runs, one step at a time) with the same per-direction data: the
    directions' eigenvalues, the teacher's block moments ``V`` and the initial layer's
    energy. Tolerance: the closed form's own reported rounding bound plus the
    recursion's (``k`` steps of ``O(D)`` operations, each a few ``u`` relative on
    non-negative terms: ``8 (D + 1) k u`` times its largest partial value)."""
    steps = [1, 2, 7, 30, 200]
    s = w2s.Setting(**kw, steps=steps, batch=batch)
    noise, _ = _noise(s)
    eta = float(s.lr)
    # one entry per direction: a block's energies split evenly over its N directions
    N = np.rint(noise.N).astype(int)
    assert N.sum() == len(kw["variances"])
    lam = np.repeat(noise.lam, N)
    ref = sgd_excess(lam, np.repeat(noise.V / N, N), np.repeat(noise.q0 / N, N), 0.0, eta,
                     batch, steps)
    got, err = noise.excess(steps)
    # the recursion counts the initial layer's deterministic decay as excess too
    decay = np.array([np.sum(noise.rho ** k * noise.q0) for k in steps])
    big = np.array([np.sum(noise.V) + np.sum(noise.q0)] * len(steps))
    tol = err + 8 * (len(lam) + 1) * np.array(steps) * U * big
    assert np.all(np.abs(got - (ref - decay)) <= tol), (got, ref - decay, tol)


@pytest.mark.parametrize("kw", SETTINGS)
def test_float64_agrees_with_40_digits_within_the_reported_bounds(kw):
    s = w2s.Setting(**kw, steps=[1, 5, 50, 500], batch=16)
    f = w2s.risk_curve(s, optimal_stopping=False)
    m = w2s.risk_curve(s.replace(precision=40), optimal_stopping=False)
    tol = f.error_bound["student_risk"] + m.error_bound["student_risk"] + \
        64 * U * max(f.student_risk)
    for a, b in zip(f.student_risk, m.student_risk):
        assert abs(a - float(b)) <= tol
    # the mpmath path carries its precision: 40 against 60 digits
    h = w2s.risk_curve(s.replace(precision=60), optimal_stopping=False)
    for a, b in zip(m.student_risk, h.student_risk):
        assert abs(a - b) <= 10.0 ** -38 * abs(b)


def test_teacher_moments_sum_to_the_label_energy():
    """``sum_b V_b = E ||f_T||^2 = ||f*||^2 - L_T`` (a projection teacher): the moments
    the noise is driven by against the engine's teacher risk, to rounding."""
    for kw in SETTINGS:
        s = w2s.Setting(**kw, steps=[1], batch=4)
        noise, curve = _noise(s)
        want = float(curve.target_energy) - float(curve.teacher_risk)
        assert abs(float(np.sum(noise.V)) - want) <= 64 * U * float(curve.target_energy)


@pytest.mark.parametrize("kw", SETTINGS)
def test_large_batches_tend_to_gradient_descent(kw):
    """The excess is ``c(k)/B + O(1/B^2)``: doubling a large batch halves it (to a
    relative ``O(eta^2 lambda^2 k / B)``, below 1e-4 at ``B = 1e8``), and with no batch
    the curve is gradient descent's."""
    steps = [3, 30, 300]
    gd = w2s.risk_curve(w2s.Setting(**kw, steps=steps), optimal_stopping=False)
    ex = []
    for B in (10 ** 8, 2 * 10 ** 8):
        s = w2s.Setting(**kw, steps=steps, batch=B)
        noise, _ = _noise(s)
        ex.append(noise.excess(steps)[0])
        c = w2s.risk_curve(s, optimal_stopping=False)
        assert all(x >= y - 1e-15 for x, y in zip(c.student_risk, gd.student_risk))
    assert np.all(ex[0] > 0)
    assert np.allclose(ex[1] / ex[0], 0.5, rtol=1e-4, atol=0)


def test_noise_raises_the_risk_and_vanishes_at_convergence():
    """The excess is positive at every finite step and 0 in the limit (the labels are
    realizable by the infinitely wide student, SGD converges to them); the optimal
    stopping point with noise is no better than without."""
    kw = SETTINGS[0]
    s = w2s.Setting(**kw, steps=[1, 10, 100], batch=8)
    noise, c = _noise(s)
    x, _ = noise.excess([1, 10, 100, math.inf])
    assert np.all(x[:3] > 0) and x[3] == 0 and noise.stable
    gd = w2s.risk_curve(s.replace(batch=None))
    sgd = w2s.risk_curve(s)
    assert sgd.optimal_student_risk >= gd.optimal_student_risk


def test_too_large_a_step_for_the_batch_diverges():
    """``theta_max >= 1``: the recursion's growth mode; the limit is infinite."""
    s = w2s.Setting(variances=[1, 0.5], target="linear:1,1", teacher_width=1, lr="1.9",
                    steps=[10, 100], batch=1)
    with pytest.warns(RuntimeWarning, match="diverges"):
        noise, c = _noise(s)
    assert not noise.stable
    x, _ = noise.excess([10, 100, math.inf])
    assert x[1] > 10 * x[0] > 0 and math.isinf(x[2])


@pytest.mark.parametrize("kw, match", [
    (dict(activation="relu", dim=5, lr="0.1", steps=[10], batch=4), "not Gaussian"),
    (dict(variances=[1, 0.5], target="linear:1,1", teacher_width=1, lr="0.1", steps=[10],
          batch=4, student_width=1), "infinitely wide student only"),
])
def test_theory_refusals_name_the_batch(kw, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InvalidArgument, match=match) as info:
            w2s.risk_curve(**kw)
    assert info.value.argument == "batch"


@pytest.mark.parametrize("kw, match", [
    (dict(dim=5, times=[1], batch=4), "give lr and steps"),
    (dict(dim=5, lr="0.1", steps=[1], batch=0), "batch"),
    (dict(dim=5, lr="0.1", steps=[1], batch=4, samples=100), "fresh inputs"),
])
def test_setting_refusals(kw, match):
    with pytest.raises(ValueError, match=match):
        w2s.Setting(**kw)


def test_the_setting_batch_reaches_the_exact_simulation():
    """``simulate`` takes the setting's batch as the student's batch (the exact method's
    SGD expectation): with a fixed seed it equals the explicit ``student_batch_size``
    bit for bit, and a conflicting pair is refused."""
    kw = dict(variances=[1, 0.5, 0.25], target="linear:1,1,1", teacher_width=1, lr="0.5",
              steps=[2, 20])
    a = w2s.simulate(**kw, batch=4, seeds=2, seed=3, workers=1)
    b = w2s.simulate(**kw, student_batch_size=4, seeds=2, seed=3, workers=1)
    assert [x.mean for x in a.student_risk] == [x.mean for x in b.student_risk]
    assert a.theory is not None
    with pytest.raises(ValueError, match="student_batch_size"):
        w2s.simulate(**kw, batch=4, student_batch_size=8, seeds=1, workers=1)
