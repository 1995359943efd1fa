"""Tests of the student lower bound (THEORY.md section 4; w2s_theory/_src/bounds.py).

Tolerances come from error counts, stated where they are used:

* float64: ``_terms`` in bounds.py performs, on non-negative numbers only, the operations
  F = sqrt(E - L), b = (a F)/2, D = (1 - a) E + a L, s = sqrt(D + b b) + b, q = D / s,
  LB = q q. With |delta| <= u = 2^-53 per operation (and sqrt halving relative errors),
  the relative errors are at most: F 1.5u, b 2.5u, D 3u, b b 6u, D + b b 7u, its sqrt
  4.5u, s 5.5u, q 9.5u, LB 20u. Sums of non-negative terms do not amplify relative
  errors, so the bound is ``20 u`` for every input (first order; ``k u (1 + k u)`` bounds
  the product of k factors (1 + delta)^(+-1)). At alpha = 1 the gain F q has D = L exact,
  b = F: F 1.5u, b b 4u, D + b b 5u, sqrt 3.5u, s 4.5u, q 5.5u, F q 8u.
* mpmath with ``digits``: the same operations at digits + 10 guard digits, so the result
  has ``digits`` correct significant digits: relative error <= 10^-digits.
* References: ``lower_bound_expr()`` (the difference form) evaluated with mpmath; it
  cancels, losing log10((sqrt(a) + b) / (sqrt(a) - b)) <= log10(4 E / D) digits
  (D = (1 - alpha) E + alpha L_T), which are added to the working precision.
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from w2s_theory._src import bounds, bounds_series
from w2s_theory._src.bounds import (
    E_sym,
    F_sym,
    L_T_sym,
    StudentBound,
    alpha_from_time,
    alpha_sym,
    gain_upper_bound,
    lower_bound_expr,
    optimal_operator,
    pgr_upper_bound,
    student_bound,
    student_lower_bound,
)
from w2s_theory._src.bounds_series import (
    lower_bound_latex,
    lower_bound_leading_term,
    lower_bound_series,
    lower_bound_series_latex,
)
from w2s_theory._src.cli import bound as cli_bound
from w2s_theory._src.cli.main import main as cli_main
from w2s_theory._src.errors import InvalidArgument

ROOT = Path(__file__).resolve().parents[1]
U = 2.0**-53


def rel_bound(k: int) -> float:
    """Relative error bound of k rounding steps (see the module docstring)."""
    return k * U * (1 + k * U)


def _load_verify():
    path = ROOT / "derivations" / "verify_student_bound.py"
    spec = importlib.util.spec_from_file_location("verify_student_bound", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VERIFY = _load_verify()
_REFERENCE = sp.lambdify((L_T_sym, E_sym, alpha_sym), lower_bound_expr(), modules="mpmath")


def reference(L, E, alpha, digits=50):
    """lower_bound_expr() at ``digits`` correct digits (exact conversion of the inputs)."""
    with mpmath.workdps(digits + 10):
        L, E, alpha = mpmath.mpf(L), mpmath.mpf(E), mpmath.mpf(alpha)
        D = (1 - alpha) * E + alpha * L
        if D == 0:
            return mpmath.mpf(0)
        lost = int(mpmath.ceil(mpmath.log10(4 * E / D)))
    with mpmath.workdps(digits + 10 + max(lost, 0)):
        return _REFERENCE(mpmath.mpf(L), mpmath.mpf(E), mpmath.mpf(alpha))


def rel_err(x, ref):
    with mpmath.workdps(80):
        return float(abs(mpmath.mpf(x) - ref) / abs(ref)) if ref != 0 else float(abs(x))


# Inputs: E from 1e-20 to 1e20, L_T / E in {0} U [1e-60, 1], alpha in [0, 1] (no
# subnormals), so every intermediate quantity stays in the normal float64 range (the
# rounding model above then holds; LB >= ~(L_T/E)^2 E >= 1e-140).
energies = st.floats(1e-20, 1e20)
ratios = st.one_of(st.just(0.0), st.just(1.0), st.floats(1e-60, 1.0))
alphas = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0, allow_subnormal=False))


# -- documentation examples ----------------------------------------------------------------

@pytest.mark.parametrize("module", [bounds, bounds_series, cli_bound])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0
    assert result.attempted > 0 or module is cli_bound


# -- the formula against its symbolic definition -------------------------------------------

@settings(max_examples=150, deadline=None)
@given(ratio=ratios, E=energies, alpha=alphas)
def test_digits_50_matches_sympy_expression(ratio, E, alpha):
    L = min(ratio * E, E)
    got = student_lower_bound(L, E, alpha, precision=50)
    assert isinstance(got, mpmath.mpf)
    ref = reference(L, E, alpha, 60)
    assert rel_err(got, ref) <= 1e-50


@settings(max_examples=300, deadline=None)
@given(ratio=ratios, E=energies, alpha=alphas)
def test_float64_within_20_ulps_of_50_digit_value(ratio, E, alpha):
    L = min(ratio * E, E)
    got = student_lower_bound(L, E, alpha)
    assert isinstance(got, float)
    assert rel_err(got, reference(L, E, alpha)) <= rel_bound(20)


@pytest.mark.parametrize("L", [1e-12, 1e-8, 3e-16, 1e-30])
@pytest.mark.parametrize("alpha", [1.0, 0.999999, 1 - 2.0**-40])
def test_small_teacher_risk_keeps_full_relative_accuracy(L, alpha):
    E = 1.0
    ref = reference(L, E, alpha)
    assert rel_err(student_lower_bound(L, E, alpha), ref) <= rel_bound(20)
    if alpha == 1.0 and L <= 1e-12:
        # The naive difference form cancels: sqrt(a) ~ b ~ 1/2 agree to -log10(L) digits,
        # leaving a relative error of order u / L >= 1e-4 (the test can tell them apart).
        F = math.sqrt(E - L)
        naive = (math.sqrt(E - F**2 + F**2 / 4) - F / 2) ** 2
        assert rel_err(naive, ref) > 1e-6


def test_identities():
    for E in (1e-8, 0.3, 2.0, 7e9):
        for L in (0.0, 0.25 * E, E):
            assert abs(student_lower_bound(L, E, 0) - E) <= rel_bound(20) * E
        for alpha in (0.0, 0.3, 0.75, 1.0):
            assert abs(student_lower_bound(0.0, E, alpha) - (1 - alpha) ** 2 * E) \
                <= rel_bound(20) * E
    assert student_lower_bound(0.0, 1.0) == 0.0
    assert student_lower_bound(3, 7) == 1.0          # F = 2: (sqrt(3 + 1) - 1)^2
    # a zero teacher (F = 0): the student is zero too, L_S = E = L_T for any alpha
    assert abs(student_lower_bound(2.0, 2.0, 0.4) - 2.0) <= rel_bound(20) * 2.0


def test_bound_is_monotone_in_alpha_and_teacher_risk():
    # a larger alpha admits more students; a worse teacher (same E) only hurts
    a = np.linspace(0, 1, 101)
    lb = student_lower_bound(np.full_like(a, 0.1), 1.0, a)
    assert np.all(np.diff(lb) <= 0)
    L = np.linspace(0, 1, 101)
    lb = student_lower_bound(L, 1.0, 1.0)
    assert np.all(np.diff(lb) >= 0) and np.all(lb <= L)


def test_arrays_broadcast_like_scalars():
    L = np.array([[0.0, 1e-9], [0.5, 1.0]])
    alpha = np.array([1.0, 0.5])
    got = student_lower_bound(L, 1.0, alpha)
    assert got.shape == (2, 2)
    for i in range(2):
        for j in range(2):
            assert got[i, j] == student_lower_bound(L[i, j], 1.0, alpha[j])


# -- gain and PGR --------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(ratio=ratios, E=energies, alpha=alphas)
def test_gain_is_teacher_risk_minus_bound(ratio, E, alpha):
    L = min(ratio * E, E)
    got = gain_upper_bound(L, E, alpha)
    with mpmath.workdps(70):
        # the reference L_T - LB (LB to 60 digits) is itself off by <= 1e-60 L_T
        ref = mpmath.mpf(L) - reference(L, E, alpha, 60)
        ref_err = mpmath.mpf(10) ** -60 * L
        F = mpmath.sqrt(mpmath.mpf(E) - L)
        if alpha == 1:
            # no cancellation at alpha = 1: 8u relative (module docstring)
            assert abs(got - ref) <= rel_bound(8) * abs(ref) + ref_err
        else:
            # gain = F (alpha q - (1 - alpha) F): the two terms (at most 2 F sqrt(E)
            # and F^2) each carry <= 12u; their difference can cancel, so the error
            # is absolute, in units of these magnitudes.
            scale = F * (2 * mpmath.sqrt(E) + F)
            assert abs(got - ref) <= rel_bound(12) * scale + ref_err


def test_gain_keeps_relative_accuracy_for_a_weak_teacher():
    # F -> 0: L_T - LB would cancel (LB ~ L_T); the evaluated form does not.
    E = 1.0
    for F2 in (1e-10, 1e-20, 1e-30):
        L = E - F2
        if L == E:
            continue
        ref = mpmath.mpf(L) - reference(L, E, 1.0, 60)
        assert rel_err(gain_upper_bound(L, E), ref) <= rel_bound(8)


def test_pgr_closed_form_at_alpha_one():
    # PGR <= 2 / (1 + sqrt(1 + 4 L_T / F^2)) (derived in derivations/student_lower_bound.py)
    for L in (1e-6, 0.01, 0.3, 0.9):
        F2 = mpmath.mpf(1.0) - L
        ref = 2 / (1 + mpmath.sqrt(1 + 4 * mpmath.mpf(L) / F2))
        assert rel_err(pgr_upper_bound(L, 1.0), ref) <= rel_bound(9) + rel_bound(1)
    assert pgr_upper_bound(0.5, 1.0, ceiling_risk=0.1) == pytest.approx(
        gain_upper_bound(0.5, 1.0) / 0.4, rel=rel_bound(10))


def test_student_bound_dataclass():
    b = student_bound(0.01, 1.0, alpha=0.9, ceiling_risk=0.001)
    assert isinstance(b, StudentBound)
    d = b.to_dict()
    assert set(d) >= {"lower_bound", "gain_upper_bound", "pgr_upper_bound",
                      "teacher_risk", "target_energy", "alpha"}
    assert d["lower_bound"] == student_lower_bound(0.01, 1.0, 0.9)
    assert d["gain_upper_bound"] == gain_upper_bound(0.01, 1.0, 0.9)
    assert d["pgr_upper_bound"] == pgr_upper_bound(0.01, 1.0, 0.9, ceiling_risk=0.001)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.alpha = 1.0
    assert student_bound(0.0, 1.0).pgr_upper_bound is None
    mp = student_bound("0.01", "1", precision=40)
    assert isinstance(mp.lower_bound, mpmath.mpf)
    with mpmath.workdps(60):
        assert rel_err(mp.lower_bound, reference(mpmath.mpf("0.01"), 1, 1, 45)) <= 1e-40


# -- tightness and the bound on explicit operators -----------------------------------------

def test_verification_small_run_finds_no_violation():
    summary = VERIFY.run(2000, 5, seed=11, adversarial_problems=4, starts=3)
    assert summary["ok"], summary
    assert summary["random"]["violations"] == 0
    assert summary["near_optimal"]["violations"] == 0
    assert summary["tightness"]["failures"] == 0
    assert summary["tightness"]["max_rank"] <= 1
    assert summary["adversarial"]["problems"] == 4
    # the adversarial search reaches the bound: the bound is tight, not just valid
    assert summary["adversarial"]["largest_relative_slack"] <= 1e-6


def test_verification_detects_a_bound_too_large_by_1e9():
    # the near-optimal operators come within ~1e-18 E of the bound, so the checks have
    # the power to see a relative excess of 1e-9
    summary = VERIFY.run(1000, 4, seed=12, adversarial_problems=0, starts=1,
                         bound_scale=1 + 1e-9)
    assert not summary["ok"]
    assert summary["near_optimal"]["violations"] > 0


def test_optimal_operator_attains_the_bound():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 7):
        fs, ft, L, E, alpha = VERIFY.instances(rng, 200, n)
        for i in range(200):
            A = optimal_operator(fs[i], ft[i], alpha[i])
            assert np.array_equal(A, A.T)
            w = np.linalg.eigvalsh(A)
            spec_tol = 8 * (n + 2) * U * alpha[i]       # forming alpha u u^T, eigvalsh
            assert w[0] >= -spec_tol and w[-1] <= alpha[i] + spec_tol
            assert np.sum(w > spec_tol) <= 1              # rank 1 for a projection teacher
            risk = np.sum((fs[i] - A @ ft[i]) ** 2)
            lb = student_lower_bound(L[i], E[i], alpha[i])
            assert abs(risk - lb) <= VERIFY.tight_tolerance(n, E[i])


def test_optimal_operator_non_projection_teacher():
    # Inside the ball ||g - alpha f_T/2|| <= alpha |f_T|/2 (possible when f_T is not a
    # projection of f*): f* itself is reached with a rank-2 operator.
    fs = np.array([0.4, 0.3, 0.0])
    ft = np.array([1.0, 0.0, 0.0])          # ||f* - f_T/2||^2 = 0.1 < 1/4
    A = optimal_operator(fs, ft, 1.0)
    w = np.linalg.eigvalsh(A)
    assert w[0] >= -8 * 5 * U and w[-1] <= 1 + 8 * 5 * U
    assert np.sum(w > 1e-12) == 2
    assert np.allclose(A @ ft, fs, rtol=0, atol=16 * U)
    # Outside: the risk is (||f* - c|| - r)^2, c = alpha f_T/2, r = alpha |f_T|/2
    fs = np.array([-1.0, 2.0, 0.5])
    ft = np.array([0.3, 0.1, -0.2])
    alpha = 0.7
    A = optimal_operator(fs, ft, alpha)
    c, r = alpha / 2 * ft, alpha / 2 * np.linalg.norm(ft)
    expected = (np.linalg.norm(fs - c) - r) ** 2
    assert abs(np.sum((fs - A @ ft) ** 2) - expected) <= 200 * U * np.sum(fs**2)


def test_gradient_flow_and_ridge_students_obey_the_bound():
    # The learning rules of THEORY.md section 4: A = I - exp(-t K) and K (K + r)^-1 for a
    # PSD K that does not commute with the teacher's projection.
    rng = np.random.default_rng(5)
    n = 6
    for _ in range(30):
        fs = rng.standard_normal(n)
        basis = np.linalg.qr(rng.standard_normal((n, 3)))[0]
        ft = basis @ (basis.T @ fs)
        L, E = np.sum((fs - ft) ** 2), np.sum(fs**2)
        G = rng.standard_normal((n, rng.integers(1, n + 1)))
        K = G @ G.T
        top = np.linalg.eigvalsh(K)[-1]
        for t in (0.01, 0.3, 3.0):
            A = np.eye(n) - linalg.expm(-t * K)
            alpha = alpha_from_time(t, top)
            # expm and the eigendecomposition are accurate to ~n u ||.||
            assert np.linalg.eigvalsh((A + A.T) / 2)[-1] <= alpha + 100 * n * U
            risk = np.sum((fs - A @ ft) ** 2)
            assert risk >= student_lower_bound(L, E, min(alpha, 1.0)) - 1e3 * n * U * E
        A = K @ np.linalg.inv(K + 0.5 * np.eye(n))
        risk = np.sum((fs - A @ ft) ** 2)
        assert risk >= student_lower_bound(L, E, top / (top + 0.5)) - 1e3 * n * U * E


# -- the series ----------------------------------------------------------------------------

def test_series_coefficients():
    s = lower_bound_series(6).removeO()
    expected = (L_T_sym**2 / F_sym**2 - 2 * L_T_sym**3 / F_sym**4
                + 5 * L_T_sym**4 / F_sym**6 - 14 * L_T_sym**5 / F_sym**8)
    assert sp.expand(s - expected) == 0
    assert lower_bound_series(6).getO() == sp.O(L_T_sym**6)
    # the E form is the F form rewritten with F^2 = E - L_T and re-expanded
    sE = sp.series(s.subs(F_sym, sp.sqrt(E_sym - L_T_sym)), L_T_sym, 0, 6).removeO()
    assert sp.expand(sE - lower_bound_series(6, "E").removeO()) == 0


@pytest.mark.parametrize("order", [3, 4, 6])
def test_series_error_shrinks_at_the_predicted_order(order):
    # LB - S_order(L) = c_order L^order + c_(order+1) L^(order+1) + ..., an alternating
    # series with |c_(m+1) / c_m| <= 4 / F^2 (Catalan ratios) whose terms decrease for
    # L < F^2/4: so |err / (c_order L^order) - 1| <= 4 L / F^2.
    F2 = mpmath.mpf(3) / 7
    poly = sp.lambdify((L_T_sym, F_sym), lower_bound_series(order).removeO(), "mpmath")
    c_next = (-1) ** (order - 2) * sp.catalan(order - 1)      # coefficient of L^order F^..
    with mpmath.workdps(60):
        for k in range(6, 14, 2):
            L = F2 * mpmath.mpf(2) ** -k
            exact = reference(L, L + F2, 1, 60)
            err = exact - poly(L, mpmath.sqrt(F2))
            predicted = int(c_next) * L**order / F2 ** (order - 1)
            assert abs(err / predicted - 1) <= 4 * L / F2


def test_series_latex_and_leading_term():
    assert lower_bound_series_latex(3) == r"\frac{L_{T}^{2}}{F^{2}} + O\left(L_{T}^{3}\right)"
    assert lower_bound_series_latex(4, "E").startswith(r"\frac{L_{T}^{2}}{E}")
    assert sp.latex(lower_bound_expr()) == lower_bound_latex()
    assert lower_bound_leading_term(0.5, 1.5) == 0.25
    assert lower_bound_leading_term(1.0, 1.0) == math.inf
    got = lower_bound_leading_term("0.01", "1", precision=30)
    with mpmath.workdps(40):
        assert abs(got - mpmath.mpf("0.0001") / mpmath.mpf("0.99")) <= mpmath.mpf(10) ** -33


# -- alpha_from_time -----------------------------------------------------------------------

def test_alpha_from_time():
    t = np.array([0.0, 1e-20, 1e-3, 1.0, 50.0, np.inf])
    got = alpha_from_time(t, 2.0)
    assert got.shape == t.shape
    assert got[0] == 0.0 and got[-1] == 1.0
    # expm1 keeps full relative accuracy as t -> 0 (1 - exp(-x) would give 0 at 2e-20)
    assert got[1] == pytest.approx(2e-20, rel=2 * U)
    with mpmath.workdps(40):
        for ti, gi in zip(t[1:-1], got[1:-1]):
            ref = -mpmath.expm1(-2 * mpmath.mpf(ti))
            assert rel_err(gi, ref) <= rel_bound(3)   # product, expm1 (<= 1 ulp), negate
    assert alpha_from_time(3.0, 0.0) == 0.0 and alpha_from_time(np.inf, 0.0) == 0.0
    assert isinstance(alpha_from_time(1.0, 1.0), float)
    mp = alpha_from_time(["1", "2"], "0.5", precision=30)
    with mpmath.workdps(40):
        assert abs(mp[1] - (1 - mpmath.exp(-1))) <= mpmath.mpf(10) ** -30


def test_alpha_from_time_is_the_top_of_the_spectrum_of_gradient_flow():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((5, 3))
    K = G @ G.T
    top = np.linalg.eigvalsh(K)[-1]
    for t in (0.1, 1.0):
        A = np.eye(5) - linalg.expm(-t * K)
        assert np.linalg.eigvalsh(A)[-1] == pytest.approx(alpha_from_time(t, top),
                                                         abs=100 * 5 * U)


# -- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: student_lower_bound(-0.1, 1.0), r"^teacher_risk: must be >= 0"),
    (lambda: student_lower_bound(1.5, 1.0), r"^teacher_risk: must be <= target_energy"),
    (lambda: student_lower_bound(0.0, 0.0), r"^target_energy: must be > 0 .*nonzero target"),
    (lambda: student_lower_bound(0.1, -1.0), r"^target_energy: must be > 0"),
    (lambda: student_lower_bound(0.1, 1.0, alpha=1.5), r"^alpha: must be in \[0, 1\]"),
    (lambda: student_lower_bound(0.1, 1.0, alpha=-0.1), r"^alpha: must be in \[0, 1\]"),
    (lambda: student_lower_bound(float("nan"), 1.0), r"^teacher_risk: must be a finite"),
    (lambda: student_lower_bound("x", 1.0, precision=20), r"^teacher_risk: must be a real"),
    (lambda: student_lower_bound(0.1, 1.0, precision=10), r"^precision: must be at least 15"),
    (lambda: student_lower_bound([0.1, 2.0], 1.0), r"^teacher_risk: must be <= target"),
    (lambda: gain_upper_bound(0.1, 1.0, alpha=2), r"^alpha: must be in"),
    (lambda: pgr_upper_bound(0.1, 1.0, ceiling_risk=0.1), r"^ceiling_risk: must be <"),
    (lambda: pgr_upper_bound(0.0, 1.0), r"^ceiling_risk: must be < teacher_risk"),
    (lambda: student_bound(0.1, 1.0, ceiling_risk=0.2), r"^ceiling_risk: must be <="),
    (lambda: alpha_from_time(-1.0, 1.0), r"^t: must be >= 0"),
    (lambda: alpha_from_time([1.0, float("nan")], 1.0), r"^t: must be >= 0"),
    (lambda: alpha_from_time(1.0, -1.0), r"^top_eigenvalue: must be >= 0"),
    (lambda: optimal_operator([1.0, 0.0], [1.0], 1.0), r"^f_teacher: must have the shape"),
    (lambda: optimal_operator([0.0, 0.0], [0.0, 0.0], 1.0), r"^f_star: must be nonzero"),
    (lambda: optimal_operator([1.0], [1.0], 1.1), r"^alpha: must be <= 1"),
    (lambda: lower_bound_series(2), r"^order: must be an integer >= 3"),
    (lambda: lower_bound_series(4, "G"), r"^in_terms_of: must be one of"),
])
def test_invalid_arguments(call, match):
    with pytest.raises(InvalidArgument, match=match):
        call()


# -- command line --------------------------------------------------------------------------

def _w2s(*args):
    return subprocess.run([sys.executable, "-m", "w2s_theory._src.cli.main", "bound", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_cli_json_contract():
    proc = _w2s("--teacher-risk", "0.01", "--target-energy", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert {"lower_bound", "gain_upper_bound", "pgr_upper_bound"} <= set(out)
    assert out["lower_bound"] == student_lower_bound(0.01, 1.0)
    assert out["gain_upper_bound"] == gain_upper_bound(0.01, 1.0)
    assert out["pgr_upper_bound"] == pgr_upper_bound(0.01, 1.0)
    assert out["series_leading_term"] == pytest.approx(1e-4 / 0.99, rel=4 * U)
    assert (out["teacher_risk"], out["target_energy"], out["alpha"]) == (0.01, 1.0, 1.0)


def test_cli_digits_gives_decimal_strings():
    proc = _w2s("--teacher-risk", "0.01", "--target-energy", "1", "--alpha", "0.9",
                "--digits", "40", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert isinstance(out["lower_bound"], str) and out["digits"] == 40
    with mpmath.workdps(60):
        ref = reference(mpmath.mpf("0.01"), 1, mpmath.mpf("0.9"), 50)
        digits = out["lower_bound"].replace("0.", "", 1).lstrip("0").replace(".", "")
        assert len(digits) == 40
        assert abs(mpmath.mpf(out["lower_bound"]) / ref - 1) <= mpmath.mpf(10) ** -39
    assert out["series_leading_term"] is None            # alpha < 1


def test_cli_bad_input_subprocess():
    proc = _w2s("--teacher-risk", "2", "--target-energy", "1", "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("w2s bound: error: --teacher-risk: must be <=")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv, option", [
    (["--teacher-risk", "-1"], "--teacher-risk"),
    (["--teacher-risk", "abc"], "--teacher-risk"),
    (["--teacher-risk", "0.1", "--target-energy", "0"], "--target-energy"),
    (["--teacher-risk", "0.1", "--alpha", "1.5"], "--alpha"),
    (["--teacher-risk", "0.1", "--digits", "5"], "--digits"),
    (["--teacher-risk", "0.1", "--ceiling-risk", "0.5"], "--ceiling-risk"),
    (["--teacher-risk", "0.1", "--time", "-2", "--top-eigenvalue", "1"], "--time"),
    (["--teacher-risk", "0.1", "--time", "1"], "--top-eigenvalue"),
    (["--teacher-risk", "0.1", "--time", "1", "--top-eigenvalue", "-1"], "--top-eigenvalue"),
    (["--teacher-risk", "0.1", "--alpha", "1", "--time", "1", "--top-eigenvalue", "1"],
     "--alpha"),
])
def test_cli_bad_input_in_process(argv, option, capsys):
    assert cli_main(["bound", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and captured.out == ""
    assert lines[0].startswith(f"w2s bound: error: {option}: ")


def test_cli_table_and_time(capsys):
    assert cli_main(["bound", "--teacher-risk", "0.2", "--time", "5",
                     "--top-eigenvalue", "0.3", "--ceiling-risk", "0.05"]) == 0
    text = capsys.readouterr().out
    alpha = alpha_from_time(5, 0.3)
    assert repr(alpha) in text
    assert repr(pgr_upper_bound(0.2, 1.0, alpha, ceiling_risk=0.05)) in text


# -- derivation script ---------------------------------------------------------------------

def test_derivation_script_runs():
    proc = subprocess.run([sys.executable, str(ROOT / "derivations" / "student_lower_bound.py")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all checks passed" in proc.stdout and "FAIL" not in proc.stdout
