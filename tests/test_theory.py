"""The risk engine (THEORY.md section 3) against an independent implementation.

``SectionThreeRef`` below is a direct numpy transcription of the formulas of section 3
over the explicit blocks k < K2 of a spectrum, plus *bounds* on what the blocks k >= K2
contribute. For relu on the sphere, everything beyond K2 is controlled by two exact
numbers: T_1(K2) = sum_{k >= K2} N_k lambda_k = 1/(2d) - sum_{k < K2} N_k lambda_k
(Parseval/Mercer at u = 1, computed at 50 digits) and lambda_bar = max_{k >= K2}
lambda_k = max(lambda_K2, lambda_{K2+1}) (|c_k| decreases along each parity class:
|c_{k+2}/c_k| = (k-1)/(k+d+1) < 1). With x = lambda_bar/nu:

* width sum: sum_{k>=K2} N lambda/(lambda+nu) lies in [T_1/(nu + lambda_bar), T_1/nu]
  (lambda <= lambda_bar), so nu is bracketed by two brentq solves;
* L_T tail in [(1-x) B_tail, B_tail]; S tail <= lambda_bar B_tail / nu^2; D_2 tail <=
  lambda_bar T_1 / nu^2; sum F tail in C [(1-x)^2 T_1, T_1]; sum s(1-s)B tail <= x B_tail;
* L_S(t) tail: first sum in [(1 - 2 t lambda_bar x) B_tail, B_tail], second
  <= C t^2 lambda_bar^2 T_1 (a_k <= t lambda_k, F_k <= C N_k lambda_k).

K2 is chosen so that all of these are below 1e-15 relative. The remaining difference is
float64 rounding in both codes: every block term is a product of a few exp/log/expit of
arguments of size <= 60 (<= ~20 ulps each), sums of positive terms add log2(n) ulps, and
nu enters with condition number |d log L / d log nu| = O(1): 1e-11 relative is a
100-fold margin over 20 eps * 50 * (1 + log2 n). Finite spectra are also checked at 30
and 60 digits against an 80-digit mpmath transcription.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import optimize

from w2s_theory import (FiniteSpectrum, InvalidArgument, LinearGaussianSpectrum,
                        PowerLawSpectrum, SphereSpectrum, multiplicity, risk_curve)

EPS = np.finfo(float).eps
RTOL = 1e-11           # module docstring


# --------------------------------------------------------------------------------------
# Spectra for the reference


def relu_blocks(d, K2, dps=50):
    """lambda_k (mpf) and N_k (int) for k < K2, and the Mercer tail T_1(K2).

    c_0 = Gamma(d/2) / (2 sqrt(pi) Gamma((d+1)/2)), c_1 = 1/(2d), c_k = 0 for odd k >= 3,
    c_2 = Gamma(d/2) / (4 sqrt(pi) Gamma((d+3)/2)), c_{k+2} = -c_k (k-1)/(k+d+1)
    (Bach 2017; the closed form itself is checked against quadrature in test_spectra).
    """
    with mpmath.workdps(dps):
        dd, G = mpmath.mpf(d), mpmath.gamma
        lam = [mpmath.mpf(0)] * K2
        lam[0] = (G(dd / 2) / (2 * mpmath.sqrt(mpmath.pi) * G((dd + 1) / 2))) ** 2
        lam[1] = 1 / (4 * dd * dd)
        c = G(dd / 2) / (4 * mpmath.sqrt(mpmath.pi) * G((dd + 3) / 2))
        for k in range(2, K2, 2):
            lam[k] = c * c
            c = -c * (k - 1) / (k + dd + 1)
        Ns = [multiplicity(d, k) for k in range(K2)]
        T1 = 1 / (2 * dd) - mpmath.fsum(n * x for n, x in zip(Ns, lam))
        bar = max(lam[K2 - 2:] + [c * c])      # c is now c_{K2} or c_{K2+1}
    return lam, Ns, T1, bar


class SectionThreeRef:
    """THEORY.md section 3 over blocks k < K2 (numpy, float64), with tail bounds.

    lam, N, B: arrays over the explicit blocks; B_null: target energy on lambda = 0
    blocks; T1, B_tail, lam_bar: spectrum and target mass beyond K2, and the bound on
    the eigenvalues there (0 for finite spectra).
    """

    def __init__(self, lam, N, B, M, T1=0.0, B_tail=0.0, lam_bar=0.0):
        lam, N, B = (np.asarray(x, dtype=float) for x in (lam, N, B))
        pos = lam > 0
        self.B_null = float(np.sum(B[~pos]))
        self.lam, self.N, self.B = lam[pos], N[pos], B[pos]
        self.M, self.T1, self.B_tail, self.bar = M, float(T1), float(B_tail), float(lam_bar)
        self.nu_lo, self.nu_hi = self._bracket()
        self.nu = math.sqrt(self.nu_lo * self.nu_hi)
        self._at(self.nu)

    def g_head(self, nu):
        return float(np.sum(self.N * self.lam / (self.lam + nu)))

    def _bracket(self):
        M, T1, bar = self.M, self.T1, self.bar

        def hi(u):
            nu = math.exp(u)
            return self.g_head(nu) + T1 / nu - M

        def lo(u):
            nu = math.exp(u)
            return self.g_head(nu) + T1 / (nu + bar) - M
        a, b = -300.0, math.log(self.lam.max() * (self.N.sum() + 1) + T1 + 1)
        u_hi = optimize.brentq(hi, a, b, xtol=1e-15, rtol=4 * EPS, maxiter=500)
        u_lo = optimize.brentq(lo, a, b, xtol=1e-15, rtol=4 * EPS, maxiter=500) if T1 \
            else u_hi
        # (a = -300: nu**2 stays a normal float.) brentq's own tolerance in u is ~4 eps |u| + 1e-15 on each side
        slack = 8 * EPS * abs(u_hi) + 2e-15
        return math.exp(min(u_lo, u_hi) - slack), math.exp(max(u_lo, u_hi) + slack)

    def _at(self, nu):
        lam, N, B = self.lam, self.N, self.B
        x = self.bar / nu
        self.x = x
        s = nu / (lam + nu)
        self.s = s
        self.L_T = float(np.sum(s * B)) + self.B_null + self.B_tail * (1 - x / 2)
        self.S = float(np.sum(lam * B / (lam + nu) ** 2)) + self.bar * self.B_tail / nu ** 2 / 2
        self.D2 = float(np.sum(N * lam ** 2 / (lam + nu) ** 2)) + \
            self.bar * self.T1 / nu ** 2 / 2
        self.C = self.S / (self.M - self.D2)
        self.F = self.C * nu ** 2 * N * lam / (lam + nu) ** 2
        self.sum_F = float(np.sum(self.F)) + self.C * self.T1 * (1 - x)
        self.sum_s1s = float(np.sum(s * (1 - s) * B)) + x * self.B_tail / 2
        self.energy = float(np.sum(B)) + self.B_null + self.B_tail
        # absolute half-widths of the tail enclosures
        self.err_L_T = self.B_tail * x / 2
        self.err_sum_F = abs(self.C) * self.T1 * x + self.bar * self.B_tail / nu ** 2

    def student(self, times):
        """L_S(t) for an array of times (inf allowed) and the tail half-widths."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        out = np.empty(t.shape)
        err = np.empty(t.shape)
        for i, ti in enumerate(t):
            if np.isinf(ti):
                a = np.ones_like(self.lam)
            else:
                a = -np.expm1(-ti * self.lam)
            r = 1 - a * (1 - self.s)
            out[i] = float(np.sum(r * r * self.B)) + float(np.sum(a * a * self.F)) \
                + self.B_null
            tb = (ti * self.bar) if np.isfinite(ti) else 1.0
            first = self.B_tail * (1 - tb * self.x)            # midpoint of the bound
            if np.isinf(ti):
                # a_k = 1: sum_tail F in C [(1-x)^2 T_1, T_1], midpoint C T_1 (1 - x)
                second, half = abs(self.C) * self.T1 * (1 - self.x), \
                    abs(self.C) * self.T1 * self.x
            else:
                second = half = abs(self.C) * min(tb, 1.0) ** 2 * self.T1 / 2
            out[i] += first + second
            err[i] = self.B_tail * tb * self.x + half
        return out, err


def relu_ref(d, K2, M, target):
    lam, Ns, T1, bar = relu_blocks(d, K2)
    lam_f = np.array([float(x) for x in lam])
    N_f = np.array(Ns, dtype=float)
    if target == "single-index:relu":          # g = sigma: B_k = N_k lambda_k
        B = N_f * lam_f
        B_tail = T1
    else:
        k = int(target.split(":")[1])
        B = np.zeros(K2)
        B[k] = 1.0
        B_tail = 0
    return SectionThreeRef(lam_f, N_f, B, M, float(T1), float(B_tail), float(bar))


def close(a, b, rtol=RTOL, atol=0.0):
    return abs(a - b) <= rtol * abs(b) + atol


# Settings with K2 large enough that x = lambda_bar / nu <= 1e-15 (checked in the tests)
RELU_SETTINGS = [
    (3, "degree:1", 100, 20000),
    (6, "degree:1", 100, 600),
    (3, "single-index:relu", 100, 20000),
    (6, "single-index:relu", 50, 600),
    (6, "degree:2", 300, 600),
]

_REF_CACHE = {}


def cached_ref(d, target, M, K2):
    key = (d, target, M, K2)
    if key not in _REF_CACHE:
        _REF_CACHE[key] = relu_ref(d, K2, M, target)
    return _REF_CACHE[key]


TIMES = [0.0, 1.0, 30.0, 300.0, 1000.0, 1e4, float("inf")]


# --------------------------------------------------------------------------------------
# nu, L_T and L_S(t) against the reference


@pytest.mark.parametrize("d,target,M,K2", RELU_SETTINGS)
def test_relu_against_section_three_reference(d, target, M, K2):
    ref = cached_ref(d, target, M, K2)
    assert ref.x <= 1e-15 and ref.nu_hi / ref.nu_lo - 1 <= 1e-13
    c = risk_curve(activation="relu", dim=d, target=target, teacher_width=M, times=TIMES)
    assert ref.nu_lo * (1 - RTOL) <= c.nu_teacher <= ref.nu_hi * (1 + RTOL)
    assert close(c.teacher_risk, ref.L_T, atol=ref.err_L_T)
    assert close(c.target_energy, ref.energy)
    ls, err = ref.student(TIMES)
    for t, got, want, e in zip(TIMES, c.student_risk, ls, err):
        assert close(got, want, atol=e), (t, got, want)
    # gain and PGR are L_T - L_S and (L_T - L_S)/L_T (infinite student: L_ceil = 0);
    # gains can cancel, so they are compared with an absolute tolerance RTOL * L_T
    # (plus the tail half-widths of L_T and L_S(t))
    for got_g, got_p, want, e in zip(c.gain, c.pgr, ls, err):
        tol = 3 * RTOL * max(ref.L_T, want) + e + ref.err_L_T
        assert abs(got_g - (ref.L_T - want)) <= tol
        assert abs(got_p - (ref.L_T - want) / ref.L_T) <= tol / ref.L_T


@pytest.mark.parametrize("d,target,M,K2", RELU_SETTINGS[:3])
def test_fluctuation_identity(d, target, M, K2):
    # sum_k F_k = sum_k s_k (1 - s_k) B_k, both sides from the section-3 formulas (it
    # holds exactly at the solution nu of the width equation). Tolerance: RTOL plus the
    # tail half-widths, plus the effect of solving nu only to the bracket width w:
    # each side changes by O(1) relative per unit relative change of nu.
    ref = cached_ref(d, target, M, K2)
    w = ref.nu_hi / ref.nu_lo - 1
    lhs, rhs = ref.sum_F, ref.sum_s1s
    assert abs(lhs - rhs) <= (RTOL + 10 * w) * rhs + ref.err_sum_F


@pytest.mark.parametrize("d,target,M", [(3, "degree:1", 100), (6, "single-index:relu", 50),
                                        (6, "degree:1 + 0.3*degree:2", 1000)])
def test_identities_at_zero_and_infinity(d, target, M):
    # L_S(0) = ||f*||^2 (a_k(0) = 0); L_S(inf) = L_T (a_k = 1: sum_k s_k^2 B_k + F_k
    # collapses to sum_k s_k B_k by the F identity). At a large finite time the student
    # has not yet learned the fluctuations F_k of the degrees with t lambda_k < 1 (for
    # d = 3, t = 1e12 that is sum_{k > ~250} F_k ~ 1e-3 L_T), so L_S(t) < L_T there:
    # the approach to L_T is from below and monotone in t.
    c = risk_curve(activation="relu", dim=d, target=target, teacher_width=M,
                   times=[0.0, 1e10, 1e12, float("inf")])
    assert close(c.student_risk[0], c.target_energy, rtol=4 * EPS)
    assert close(c.student_risk[3], c.teacher_risk, rtol=1e-13)
    assert c.student_risk[1] <= c.student_risk[2] <= c.teacher_risk * (1 + 1e-13)
    assert c.gain[0] < 0 and c.pgr[0] < 0


@pytest.mark.parametrize("M", [1, 10 ** 4, 10 ** 12, 10 ** 40, 10 ** 100])
def test_nu_down_to_tiny_values_d1000(M):
    # relu at d = 1000: nu from 5e-4 (M = 1) down to 1e-108 (M = 10^100). Reference at
    # 40 digits in logs: blocks k < K2 with lambda_k <= 1e-30 nu beyond K2, the rest by
    # the Mercer tail T_1(K2) (bracket as in the module docstring, here of relative
    # width <= 1e-30). Bisection in log nu to 1e-14; float64 tolerance RTOL.
    d = 1000
    c = risk_curve(activation="relu", dim=d, target="degree:1", teacher_width=M,
                   times=[1.0], optimal_stopping=False)
    nu_pkg = c.nu_teacher
    with mpmath.workdps(40):
        K2 = 8
        while True:
            lam, Ns, T1, bar = relu_blocks(d, K2, dps=60)
            if bar <= mpmath.mpf(nu_pkg) * mpmath.mpf(10) ** -32:
                break
            K2 *= 2
        logs = [(mpmath.log(n * x), mpmath.log(x)) for n, x in zip(Ns, lam) if x > 0]

        def g(log_nu, lower):
            nu = mpmath.exp(log_nu)
            tot = mpmath.fsum(mpmath.exp(a - mpmath.log(mpmath.exp(b) + nu)) for a, b in logs)
            tot += T1 / (nu + bar) if lower else T1 / nu
            return tot - M

        def solve(lower):
            lo, hi = mpmath.mpf(-800), mpmath.mpf(10)
            while hi - lo > mpmath.mpf(10) ** -16:
                mid = (lo + hi) / 2
                if g(mid, lower) > 0:
                    lo = mid
                else:
                    hi = mid
            return lo, hi
        a, _ = solve(True)
        _, b = solve(False)
        log_nu = mpmath.log(nu_pkg)
        assert a - 1e-11 <= log_nu <= b + 1e-11, (float(a), float(log_nu), float(b))
        nu = mpmath.exp((a + b) / 2)
        # teacher risk of degree:1: s_1 = nu / (lambda_1 + nu)
        L_T = nu / (lam[1] + nu)
        assert abs(c.teacher_risk - L_T) <= 1e-10 * L_T


@pytest.mark.parametrize("d,M,K2", [(6, 10 ** 9, 5000), (6, 1, 600)])
def test_nu_extreme_widths_small_d(d, M, K2):
    # M = 1 (nu near lambda_0) and M = 10^9 (nu ~ 4e-17): same reference as above.
    ref = cached_ref(d, "degree:1", M, K2)
    assert ref.x <= 1e-10
    c = risk_curve(activation="relu", dim=d, target="degree:1", teacher_width=M,
                   times=[10.0], optimal_stopping=False)
    assert ref.nu_lo * (1 - RTOL) <= c.nu_teacher <= ref.nu_hi * (1 + RTOL)
    assert close(c.teacher_risk, ref.L_T, atol=ref.err_L_T)
    ls, err = ref.student([10.0])
    assert close(c.student_risk[0], ls[0], atol=err[0])


# --------------------------------------------------------------------------------------
# Optimal stopping and the winning interval


def grid_minimum(ref, lo, hi, n=4001, rounds=3):
    """Dense grid in log t, then twice a dense grid over the two cells around the best."""
    for _ in range(rounds):
        us = np.linspace(lo, hi, n)
        v, _ = ref.student(np.exp(us))
        i = int(np.argmin(v))
        lo, hi = us[max(i - 2, 0)], us[min(i + 2, n - 1)]
    return math.exp(us[i]), v[i]


@pytest.mark.parametrize("d,target,M,K2", [RELU_SETTINGS[1], RELU_SETTINGS[3],
                                           RELU_SETTINGS[4]])
def test_optimal_stopping_against_grid(d, target, M, K2):
    # t* minimizes L_S: the reference minimum on a dense log-t grid (refined to cells of
    # relative width ~1e-9) must not be below the package's L_S(t*) (beyond RTOL), and
    # the package's L_S(t*) is the reference's value at t*. Near the minimum
    # L_S(t) - L* ~ L''/2 (u - u*)^2 (u = log t): a value tolerance RTOL L* allows
    # |u - u*| <= sqrt(2 RTOL L* / L'') (+ the grid's resolution), which bounds t*.
    ref = cached_ref(d, target, M, K2)
    c = risk_curve(activation="relu", dim=d, target=target, teacher_width=M, times=[])
    t_star = float(c.optimal_time)
    lo, hi = math.log(1e-2 / ref.lam.max()), math.log(1e6 / ref.nu)
    t_grid, v_grid = grid_minimum(ref, lo, hi)
    v_at, e_at = ref.student([t_star])
    assert close(c.optimal_student_risk, v_at[0], atol=e_at[0])
    assert c.optimal_student_risk <= v_grid * (1 + RTOL)
    assert v_grid <= c.optimal_student_risk * (1 + RTOL)
    h = 1e-3
    vm, _ = ref.student([t_star * math.exp(-h), t_star, t_star * math.exp(h)])
    curv = (vm[0] - 2 * vm[1] + vm[2]) / h ** 2
    assert curv > 0
    du = math.sqrt(2 * 2 * RTOL * v_grid / curv) + 1e-8
    assert abs(math.log(t_star / t_grid)) <= du, (t_star, t_grid)
    assert c.optimal_student_risk < c.teacher_risk           # a weak-to-strong gain
    assert c.optimal_gain == pytest.approx(c.teacher_risk - c.optimal_student_risk)


@pytest.mark.parametrize("d,target,M,K2", [RELU_SETTINGS[1], RELU_SETTINGS[2]])
def test_win_interval_endpoints(d, target, M, K2):
    # The student beats the teacher for t in (t_a, inf): at t_a the reference L_S equals
    # L_T (to RTOL plus |dL_S/dlog t| times the package's resolution of t_a, 1e-13),
    # L_S > L_T just before (t_a / 1.01) and L_S < L_T after (1.01 t_a).
    ref = cached_ref(d, target, M, K2)
    c = risk_curve(activation="relu", dim=d, target=target, teacher_width=M, times=[])
    assert len(c.win_intervals) == 1
    ta, tb = c.win_intervals[0]
    assert math.isinf(tb)
    v, _ = ref.student([ta / 1.01, ta, ta * 1.01])
    slope = abs(v[2] - v[0]) / (2 * math.log(1.01))
    assert abs(v[1] - ref.L_T) <= RTOL * ref.L_T + slope * 1e-13
    assert v[0] > ref.L_T > v[2]
    assert ta < c.optimal_time


# --------------------------------------------------------------------------------------
# The lower bound, vectorization, API contract


@pytest.mark.parametrize("kwargs", [
    dict(activation="relu", dim=6, target="degree:1", teacher_width=100),
    dict(activation="relu", dim=3, target="single-index:relu", teacher_width=30),
    dict(activation="step", dim=4, target="degree:1 + degree:2", teacher_width=10),
    dict(spectrum=PowerLawSpectrum(2.0), target="power-law:1.5", teacher_width=20),
    dict(spectrum=LinearGaussianSpectrum([1, 0.5, 0.1, 0.01]), target="linear:1,1,1,1",
         teacher_width=2),
])
def test_lower_bound_never_exceeds_student_risk(kwargs):
    # Section 4: L_S(t) >= bound(alpha(t)) for every t. At t = 0 the two are equal
    # (alpha = 0: the bound is ||f*||^2), so the slack is the float64 rounding of the
    # engine's sums over K explicit blocks: each term exp(l_k) carries ~2 eps |l_k|
    # (l_k rounded, then shifted by the log-scale), the pairwise sum log2(K) eps, the
    # rest of the arithmetic a few eps: eps (16 + log2 K + 2 max_k |l_k|), with
    # |l_k| <= 2 log(K + 1) for these spectra and targets (log N_k + log B_k ...).
    times = list(np.geomspace(1e-3, 1e7, 60)) + [0.0, float("inf")]
    c = risk_curve(times=times, **kwargs)
    K = c.diagnostics["K"]
    rel = EPS * (16 + math.log2(K + 1) + 4 * math.log(K + 1))
    assert c.lower_bound is not None and len(c.lower_bound) == len(times)
    for t, lb, ls in zip(times, c.lower_bound, c.student_risk):
        assert lb <= ls * (1 + rel), (t, lb, ls)
    assert c.optimal_student_risk >= c.lower_bound[-1] * (1 - rel)


def test_vectorized_curve_matches_single_calls():
    # 1000 times in one call give the same values as one call per time (a sample of 25):
    # identical formulas per time, only the summation order of numpy reductions may
    # differ: a few ulps of the largest term, 1e-13 relative.
    times = np.geomspace(1e-2, 1e8, 1000)
    kw = dict(activation="relu", dim=6, target="single-index:relu", teacher_width=50,
              optimal_stopping=False)
    c = risk_curve(times=times, **kw)
    assert len(c.student_risk) == 1000
    for i in range(0, 1000, 40):
        one = risk_curve(times=[times[i]], **kw)
        assert close(c.student_risk[i], one.student_risk[0], rtol=1e-13), i
        assert close(c.lower_bound[i], one.lower_bound[0], rtol=1e-13), i


@pytest.mark.parametrize("kwargs,name", [
    (dict(teacher_width=0), "teacher_width"),
    (dict(teacher_width=-3), "teacher_width"),
    (dict(teacher_width=2.5), "teacher_width"),
    (dict(teacher_width="abc"), "teacher_width"),
    (dict(teacher_width=True), "teacher_width"),
    (dict(times=[-1.0]), "times"),
    (dict(times=[1.0, float("nan")]), "times"),
    (dict(times=["x"]), "times"),
    (dict(precision=10), "precision"),
    (dict(precision=14), "precision"),
    (dict(target="nope:1"), "target"),
    (dict(target="energies:1=0"), "target"),
    (dict(dim=1), "dim"),
    (dict(activation="nope"), "activation"),
])
def test_risk_curve_bad_arguments(kwargs, name):
    base = dict(activation="relu", dim=6, target="degree:1", teacher_width=10, times=[1.0])
    base.update(kwargs)
    with pytest.raises(InvalidArgument, match=f"^{name}:"):
        risk_curve(**base)


def test_result_is_immutable_and_serializable():
    import dataclasses
    import json
    c = risk_curve(activation="relu", dim=6, target="degree:1", teacher_width=100,
                   times=[300.0, 1000.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.teacher_risk = 0.0
    d = json.loads(c.to_json())
    for key in ("teacher_risk", "nu_teacher", "times", "student_risk", "gain", "pgr",
                "optimal_time", "optimal_student_risk", "lower_bound"):
        assert key in d
    assert d["student_risk"] == [float(x) for x in c.student_risk]
    assert d["teacher_risk"] == float(c.teacher_risk)
    assert c.replace(teacher_width=7).teacher_width == 7 and c.teacher_width == 100


# --------------------------------------------------------------------------------------
# Other families


def test_linear_gaussian_with_linear_target():
    # Finite spectrum: no tails; the reference is exact up to float64 rounding.
    var, theta = [4.0, 1.0, 0.25, 0.5], [1.0, -2.0, 3.0, 0.5]
    B = [v * t * t for v, t in zip(var, theta)]
    ref = SectionThreeRef(var, [1, 1, 1, 1], B, 2)
    times = [0.0, 0.5, 3.0, 40.0, float("inf")]
    c = risk_curve(LinearGaussianSpectrum(var), "linear:" + ",".join(map(str, theta)), 2,
                   times)
    assert ref.nu_lo * (1 - RTOL) <= c.nu_teacher <= ref.nu_hi * (1 + RTOL)
    assert close(c.teacher_risk, ref.L_T)
    ls, _ = ref.student(times)
    for got, want in zip(c.student_risk, ls):
        assert close(got, want)
    assert close(ref.sum_F, ref.sum_s1s, rtol=RTOL)
    with pytest.raises(InvalidArgument, match="^teacher_width:"):
        risk_curve(LinearGaussianSpectrum(var), "linear:1,1,1,1", 4, [1.0])


def test_power_law_with_power_law_target():
    # lambda_i = i^-alpha, B_i = i^-beta. Reference blocks i <= K2 = 2e5; beyond, with
    # lambda_bar = (K2+1)^-alpha: T_1 = zeta(alpha, K2+1), B_tail = zeta(beta, K2+1)
    # (Hurwitz zeta from mpmath, independent of the package).
    alpha, beta, M, K2 = 2.0, 1.5, 30, 200_000
    i = np.arange(1, K2 + 1, dtype=float)
    lam, B = i ** -alpha, i ** -beta
    T1 = float(mpmath.zeta(alpha, K2 + 1))
    Bt = float(mpmath.zeta(beta, K2 + 1))
    ref = SectionThreeRef(lam, np.ones(K2), B, M, T1, Bt, (K2 + 1.0) ** -alpha)
    assert ref.x <= 1e-6
    times = [0.0, 10.0, 1e3, float("inf")]
    c = risk_curve(PowerLawSpectrum(alpha), f"power-law:{beta}", M, times)
    # here the tail enclosures are wider (x ~ 1e-7): they enter through err terms and
    # through the nu bracket (width ~ x T_1 / (nu M))
    w = ref.nu_hi / ref.nu_lo - 1
    assert ref.nu_lo * (1 - RTOL) <= c.nu_teacher <= ref.nu_hi * (1 + RTOL)
    assert close(c.teacher_risk, ref.L_T, rtol=RTOL + 4 * w, atol=ref.err_L_T)
    ls, err = ref.student(times)
    for got, want, e in zip(c.student_risk, ls, err):
        assert close(got, want, rtol=RTOL + 4 * w, atol=e)
    assert close(c.target_energy, float(mpmath.zeta(beta)), rtol=1e-13)


def test_finite_spectrum_and_rank_error():
    lam, mult = [1.0, 0.5, 0.25, 0.125], [1, 2, 3, 4]
    B = [1.0, 0.5, 0.0, 0.125]
    ref = SectionThreeRef(lam, mult, B, 5)
    times = [0.0, 1.0, 10.0, float("inf")]
    c = risk_curve(FiniteSpectrum(lam, mult), "energies:0=1,1=0.5,3=0.125", 5, times)
    assert ref.nu_lo * (1 - RTOL) <= c.nu_teacher <= ref.nu_hi * (1 + RTOL)
    ls, _ = ref.student(times)
    for got, want in zip(c.student_risk, ls):
        assert close(got, want)
    for M in (10, 11, 1000):       # rank = 1 + 2 + 3 + 4 = 10
        with pytest.raises(InvalidArgument, match="^teacher_width:.*10"):
            risk_curve(FiniteSpectrum(lam, mult), "degree:0", M, [1.0])
    # zero eigenvalues do not count; a polynomial activation has finite rank too
    with pytest.raises(InvalidArgument, match="^teacher_width:"):
        risk_curve(FiniteSpectrum([1, 0, 0.5], [1, 5, 1]), "degree:0", 2, [1.0])
    rank = SphereSpectrum("poly:0,1,1", 3).rank()          # degrees 0, 1, 2: 1 + 3 + 5
    assert rank == 9
    with pytest.raises(InvalidArgument, match="^teacher_width:"):
        risk_curve(activation="poly:0,1,1", dim=3, target="degree:1", teacher_width=9,
                   times=[1.0])


# --------------------------------------------------------------------------------------
# High precision


def finite_reference_mp(lam, mult, B, M, times, dps=80):
    """Section 3 on a finite spectrum in mpmath at ``dps`` digits: nu by bisection in
    log nu, t* by bisection on dL_S/dt = 0 inside the given bracket, and the start of
    the winning interval by bisection on L_S - L_T."""
    with mpmath.workdps(dps):
        lam = [mpmath.mpf(x) for x in lam]
        B = [mpmath.mpf(x) for x in B]
        M = mpmath.mpf(M)
        tol = mpmath.mpf(10) ** (-dps + 5)

        def bisect(f, lo, hi):
            lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)     # (Python floats would stall)
            flo = f(lo)
            while hi - lo > tol * (1 + abs(lo)):
                mid = (lo + hi) / 2
                if (f(mid) > 0) == (flo > 0):
                    lo = mid
                else:
                    hi = mid
            return (lo + hi) / 2

        u = bisect(lambda u: mpmath.fsum(n * x / (x + mpmath.exp(u))
                                         for n, x in zip(mult, lam)) - M, -200, 50)
        nu = mpmath.exp(u)
        s = [nu / (x + nu) for x in lam]
        L_T = mpmath.fsum(si * b for si, b in zip(s, B))
        S = mpmath.fsum(x * b / (x + nu) ** 2 for x, b in zip(lam, B))
        D2 = mpmath.fsum(n * x ** 2 / (x + nu) ** 2 for n, x in zip(mult, lam))
        C = S / (M - D2)
        F = [C * nu ** 2 * n * x / (x + nu) ** 2 for n, x in zip(mult, lam)]

        def L(t):
            a = [1 - mpmath.exp(-t * x) for x in lam]
            return mpmath.fsum((1 - ai * (1 - si)) ** 2 * b + ai ** 2 * f
                               for ai, si, b, f in zip(a, s, B, F))

        def dL(t):
            e = [mpmath.exp(-t * x) for x in lam]
            return mpmath.fsum(-2 * (1 - (1 - ei) * (1 - si)) * (1 - si) * x * ei * b
                               + 2 * (1 - ei) * x * ei * f
                               for ei, si, x, b, f in zip(e, s, lam, B, F))
        vals = [L(mpmath.mpf(t)) for t in times]
        return dict(nu=nu, L_T=L_T, L=L, dL=dL, vals=vals, bisect=bisect)


def test_finite_spectrum_30_and_60_digits_against_80_digit_reference():
    # 30-digit results to 28 digits and 60-digit results to 55 digits of an independent
    # 80-digit transcription (the package carries guard digits; 2 and 5 digits are
    # left for its final rounding and the conditioning of t* (a minimum of a smooth
    # function: t* itself is computed from dL/dt = 0 by the reference and the package,
    # both well conditioned in u = log t since L'' > 0 there).
    lam, mult = ["1", "0.5", "0.25", "0.125"], [1, 2, 3, 4]
    B = ["1", "0.5", "0.25", "0.125"]
    times = ["0.5", "3", "40"]
    target = "energies:" + ",".join(f"{k}={b}" for k, b in enumerate(B))
    ref = finite_reference_mp([float(x) for x in lam], mult, B, 5, times)
    with mpmath.workdps(80):
        t_star = ref["bisect"](lambda u: ref["dL"](mpmath.exp(u)), mpmath.log(1),
                               mpmath.log(100))
        t_star = mpmath.exp(t_star)
        L_star = ref["L"](t_star)
    for digits, agree in ((30, 28), (60, 55)):
        c = risk_curve(FiniteSpectrum([float(x) for x in lam], mult), target, 5,
                       [mpmath.mpf(t) for t in times], precision=digits)
        with mpmath.workdps(80):
            tol = mpmath.mpf(10) ** -agree
            assert abs(c.nu_teacher / ref["nu"] - 1) <= tol, digits
            assert abs(c.teacher_risk / ref["L_T"] - 1) <= tol, digits
            for got, want in zip(c.student_risk, ref["vals"]):
                assert abs(got / want - 1) <= tol, digits
            assert abs(c.optimal_time / t_star - 1) <= tol * 10, digits
            assert abs(c.optimal_student_risk / L_star - 1) <= tol, digits


def test_relu_30_vs_60_digits():
    # The sphere engine at 30 and 60 digits (relu, d = 6, degree:1, M = 100): nu, L_T,
    # L_S at three times, t* and L_S(t*) agree to 25 digits (the 30-digit run is good to
    # its 30 digits minus the guard digits spent in tails and Newton steps). Both must
    # also agree with the float64 run to RTOL.
    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=100)
    times = [mpmath.mpf(100), mpmath.mpf(1000), mpmath.mpf(10) ** 5]
    c30 = risk_curve(times=times, precision=30, **kw)
    c60 = risk_curve(times=times, precision=60, **kw)
    cf = risk_curve(times=[float(t) for t in times], **kw)
    with mpmath.workdps(70):
        tol = mpmath.mpf(10) ** -25
        pairs = [(c30.nu_teacher, c60.nu_teacher), (c30.teacher_risk, c60.teacher_risk),
                 (c30.optimal_time, c60.optimal_time),
                 (c30.optimal_student_risk, c60.optimal_student_risk)]
        pairs += list(zip(c30.student_risk, c60.student_risk))
        for a, b in pairs:
            assert abs(a / b - 1) <= tol, (a, b)
        assert abs(c30.win_intervals[0][0] / c60.win_intervals[0][0] - 1) <= tol
    assert close(cf.nu_teacher, float(c60.nu_teacher))
    assert close(cf.teacher_risk, float(c60.teacher_risk))
    for a, b in zip(cf.student_risk, c60.student_risk):
        assert close(a, float(b))
    assert close(cf.optimal_student_risk, float(c60.optimal_student_risk))


@pytest.mark.parametrize("kw", [dict(), dict(student_width=400),
                                dict(student_width=400, precision=30)])
def test_error_bound_covers_the_optimal_risk(kw):
    """``error_bound["optimal_student_risk"]`` bounds ``L_S(t*)`` itself: asked again
    for the risk at that time (a shallower table: only ``t*`` to cover, not the whole
    search range), the engine agrees within the two reported bounds and the rounding
    of a few hundred float64 terms."""
    c = risk_curve(activation="relu", dim=10, teacher_width=100, times=[], **kw)
    again = risk_curve(activation="relu", dim=10, teacher_width=100,
                       times=[c.optimal_time], optimal_stopping=False, **kw)
    e_star = c.error_bound["optimal_student_risk"]
    assert math.isfinite(e_star) and e_star >= 0
    assert abs(c.optimal_student_risk - again.student_risk[0]) <= \
        e_star + again.error_bound["student_risk"] + 1e-13 * float(again.student_risk[0])
