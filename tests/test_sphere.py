"""Sphere geometry (``w2s_theory._src.sphere``): multiplicities, Gegenbauer polynomials
and the law of u = <w, x>.

Every reference here is computed independently of the package:

* N(d, k) from the dimension count of harmonic polynomials,
  dim P_k - dim P_{k-2} with dim P_k = binom(k + d - 1, d - 1) (homogeneous polynomials
  of degree k in d variables; the harmonic ones are the kernel of the surjective
  Laplacian P_k -> P_{k-2});
* P_k from scipy's (unnormalized) Gegenbauer, cos(k arccos u) at d = 2, sympy's exact
  Gegenbauer/Chebyshev polynomials, and a 50-digit mpmath recurrence for the
  *unnormalized* C_k^(a) (a different recurrence from the package's normalized one);
* the moments of the law of u from the Beta integral.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, special

from w2s_theory import (InvalidArgument, gegenbauer, log_multiplicities, multiplicities,
                        multiplicity, sample_sphere, u_density)
from w2s_theory._src.precision import Precision
from w2s_theory._src.sphere import (d_sym, gegenbauer_expr, k_sym, multiplicity_expr,
                                    u_density_expr, u_sym)

EPS = np.finfo(float).eps


# --------------------------------------------------------------------------------------
# Multiplicities


def harmonic_dimension(d: int, k: int) -> int:
    """dim of degree-k harmonic polynomials in d variables: dim P_k - dim P_{k-2}."""
    def dim_p(n):
        return math.comb(n + d - 1, d - 1) if n >= 0 else 0
    return dim_p(k) - dim_p(k - 2)


@pytest.mark.parametrize("d", [2, 3, 4, 7, 50, 1000, 5000])
def test_multiplicity_is_dimension_of_harmonic_polynomials(d):
    ks = list(range(0, 40)) + [99, 100, 1000, 2500]
    for k in ks:
        assert multiplicity(d, k) == harmonic_dimension(d, k), (d, k)
        assert isinstance(multiplicity(d, k), int)


def test_multiplicity_small_cases():
    # Circle: 1, 2, 2, 2, ... (cos k theta, sin k theta); S^2: 2k + 1.
    assert [multiplicity(2, k) for k in range(6)] == [1, 2, 2, 2, 2, 2]
    assert [multiplicity(3, k) for k in range(6)] == [2 * k + 1 for k in range(6)]
    # S^3: (k + 1)^2
    assert [multiplicity(4, k) for k in range(6)] == [(k + 1) ** 2 for k in range(6)]


@pytest.mark.parametrize("d", [2, 3, 11, 1000, 10000])
def test_multiplicities_list_matches_scalar(d):
    k_max = 300
    assert multiplicities(d, k_max) == [multiplicity(d, k) for k in range(k_max + 1)]
    assert multiplicities(d, 0) == [1]


def test_multiplicity_expr_matches():
    e = multiplicity_expr()
    for d, k in [(2, 5), (3, 4), (7, 9), (1000, 3)]:
        assert int(e.subs({d_sym: d, k_sym: k})) == harmonic_dimension(d, k)


@pytest.mark.parametrize("d", [2, 3, 6, 1000, 10000])
def test_log_multiplicities_float(d):
    # Reference: math.log of the exact integer (Python's log of a big int is correctly
    # rounded to float64, even at 10^1400). The package forms log N as a sum of five
    # log/log-Gamma terms; each is rounded to within a few ulps of its magnitude, so the
    # absolute error is at most ~4 eps * sum |terms| (the dominant terms are
    # log Gamma(k + d - 2) and log Gamma(d - 1)), and we bound sum |terms| by
    # 2 (k + d) log(k + d) + 10 (log Gamma(x) <= x log x).
    ks = np.array([0, 1, 2, 3, 10, 100, 1000, 10000])
    got = log_multiplicities(d, ks)
    for k, g in zip(ks, got):
        exact = math.log(multiplicity(d, int(k)))
        mag = 2 * (k + d) * math.log(k + d) + 10
        assert abs(g - exact) <= 4 * EPS * mag, (d, k, g - exact)
    assert got[0] == 0.0


@pytest.mark.parametrize("d", [2, 1000, 10000])
def test_log_multiplicities_30_digits(d):
    # At 30 digits (+ guard digits) the same sum of at most 5 terms of magnitude
    # <= 2 (k+d) log(k+d) ~ 4e5 keeps an absolute error below 1e-30 * 4e5 * 10.
    p = Precision(30)
    ks = np.array([0, 1, 7, 500, 10000])
    with p.context():
        got = log_multiplicities(d, ks, p)
    with mpmath.workdps(60):
        for k, g in zip(ks, got):
            exact = mpmath.log(multiplicity(d, int(k)))
            assert abs(g - exact) <= mpmath.mpf(10) ** -30 * 4e6, (d, k)


@pytest.mark.parametrize("bad", [
    (lambda: multiplicity(1, 2), "dim"),
    (lambda: multiplicity(0, 0), "dim"),
    (lambda: multiplicity(3, -1), "k"),
    (lambda: multiplicity(2.5, 1), "dim"),
    (lambda: multiplicities(3, -2), "k_max"),
    (lambda: log_multiplicities(3, [1, -1]), "k"),
    (lambda: gegenbauer(-1, 0.3, 3), "k_max"),
    (lambda: gegenbauer(3, 0.3, 1), "dim"),
])
def test_sphere_bad_arguments(bad):
    call, name = bad
    with pytest.raises(InvalidArgument, match=f"^{name}:"):
        call()


# --------------------------------------------------------------------------------------
# Gegenbauer polynomials


@pytest.mark.parametrize("d", [3, 4, 5, 10, 37])
def test_gegenbauer_against_scipy(d):
    # scipy's eval_gegenbauer(k, a, u) / eval_gegenbauer(k, a, 1), a = (d-2)/2. Both
    # are float64 evaluations of degree <= 30 polynomials bounded by 1 on [-1, 1]; a
    # few tens of ulps each (the recurrences accumulate ~k roundings) -> 1e-13.
    a = (d - 2) / 2
    u = np.linspace(-1, 1, 41)
    P = gegenbauer(30, u, d)
    assert P.shape == (31, 41)
    for k in range(31):
        ref = special.eval_gegenbauer(k, a, u) / special.eval_gegenbauer(k, a, 1.0)
        np.testing.assert_allclose(P[k], ref, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(P[:, -1], 1.0)          # P_k(1) = 1


def test_gegenbauer_chebyshev_limit_at_d2():
    # d = 2: P_k(u) = T_k(u) = cos(k arccos u); float64 to ~k ulps (k <= 200).
    u = np.linspace(-1, 1, 101)
    P = gegenbauer(200, u, 2)
    for k in (0, 1, 2, 7, 50, 200):
        np.testing.assert_allclose(P[k], np.cos(k * np.arccos(u)), rtol=0,
                                   atol=4 * (k + 1) * EPS)


@pytest.mark.parametrize("d,k", [(3, 2), (3, 5), (5, 4), (8, 6), (2, 5)])
def test_gegenbauer_against_sympy_exact(d, k):
    # Exact rational polynomials from sympy (Chebyshev T_k at d = 2), evaluated at
    # exact rationals; float64 result to 1e-14 (|P_k| <= 1, degree <= 6).
    if d == 2:
        exact = sp.chebyshevt(k, u_sym)
    else:
        a = sp.Rational(d - 2, 2)
        exact = sp.gegenbauer(k, a, u_sym) / sp.gegenbauer(k, a, 1)
    us = [sp.Rational(n, 7) for n in range(-7, 8)]
    got = gegenbauer(k, np.array([float(x) for x in us]), d)[k]
    for x, g in zip(us, got):
        assert abs(g - float(exact.subs(u_sym, x))) <= 1e-14
    # and the package's own sympy expression (d = 2 through its limit)
    e = gegenbauer_expr().subs(k_sym, k)
    e = sp.limit(e, d_sym, 2) if d == 2 else e.subs(d_sym, d)
    assert sp.simplify(sp.expand(e - exact)) == 0


def unnormalized_recurrence_50_digits(k_max: int, d: int, u: float):
    """(P_{k_max - 1}(u), P_{k_max}(u)) at 50 digits, via C_k^(a) (d >= 3) or cos (d = 2).

    k C_k = 2 (k + a - 1) u C_{k-1} - (k + 2a - 2) C_{k-2}, C_0 = 1, C_1 = 2 a u,
    normalized by C_k(1) = binom(k + 2a - 1, k).
    """
    with mpmath.workdps(50):
        x = mpmath.mpf(u)
        if d == 2:
            th = mpmath.acos(x)
            return mpmath.cos((k_max - 1) * th), mpmath.cos(k_max * th)
        a = mpmath.mpf(d - 2) / 2
        c0, c1 = mpmath.mpf(1), 2 * a * x
        for k in range(2, k_max + 1):
            c0, c1 = c1, (2 * (k + a - 1) * x * c1 - (k + 2 * a - 2) * c0) / k
        return (c0 / mpmath.binomial(k_max - 1 + 2 * a - 1, k_max - 1),
                c1 / mpmath.binomial(k_max + 2 * a - 1, k_max))


@pytest.mark.parametrize("d", [2, 3, 50, 1000, 10000])
def test_gegenbauer_stable_at_large_degree(d):
    # Float64 recurrence at k = 1500 against the 50-digit unnormalized recurrence.
    # Error model: k local roundings (a few ulps of the local envelope
    # env = sqrt(P_k^2 + P_{k-1}^2) each), each transported by the stable recurrence with
    # at most polynomial (<= k) amplification on [-1, 1]: |error| <= k^2 eps env.
    # (The explicit sum would be off by astronomically large factors here.) Where the
    # true values are below float64's range (d >= 1000, |u| small: 1e-1000 and less),
    # the float result must underflow to (near) zero, not be garbage.
    k = 1500
    u = np.array([-1.0, -0.731, -0.2, 0.0, 1e-3, 0.05, 0.5, 0.97, 0.999999, 1.0])
    P = gegenbauer(k, u, d)
    for i, x in enumerate(u):
        r_km1, r_k = unnormalized_recurrence_50_digits(k, d, x)
        env = float(mpmath.sqrt(r_k ** 2 + r_km1 ** 2))
        err = abs(mpmath.mpf(float(P[k, i])) - r_k)
        # 1e-300: absolute slack for intermediate values below float64's normal range
        assert err <= k * k * EPS * env + 1e-300, (d, x, float(err), env)
    np.testing.assert_array_equal(P[:, -1], 1.0)
    assert np.all(np.isfinite(P)) and np.all(np.abs(P) <= 1 + 1e-12)


def test_gegenbauer_high_precision_matches_float_and_sympy():
    # mpmath mode (50 digits): exact rational check P_3(3/10) at d = 5 (sympy), to 1e-45.
    p = Precision(50)
    with p.context():
        P = gegenbauer(6, p.array([mpmath.mpf(3) / 10]), 5, p)
    a = sp.Rational(3, 2)
    for k in range(7):
        exact = sp.gegenbauer(k, a, sp.Rational(3, 10)) / sp.gegenbauer(k, a, 1)
        with mpmath.workdps(60):
            ref = mpmath.mpf(sp.Rational(exact).p) / sp.Rational(exact).q
            assert abs(P[k, 0] - ref) <= mpmath.mpf(10) ** -45


# --------------------------------------------------------------------------------------
# The law of u = <w, x>


def beta_moment_abs(d: int, n: int):
    """E|u|^n = Gamma(d/2) Gamma((n+1)/2) / (sqrt(pi) Gamma((n+d)/2)) (Beta integral)."""
    G = mpmath.gamma
    return G(mpmath.mpf(d) / 2) * G(mpmath.mpf(n + 1) / 2) / (
        mpmath.sqrt(mpmath.pi) * G(mpmath.mpf(n + d) / 2))


@pytest.mark.parametrize("d", [2, 3, 4, 7, 30])
def test_u_density_normalized_and_second_moment_30_digits(d):
    # tanh-sinh quadrature (mpmath.quad) of the 30-digit density: the integrands are
    # analytic inside (-1, 1) with algebraic end behaviour (an integrable 1/sqrt(1-u^2)
    # at d = 2), where tanh-sinh converges double-exponentially. Its nodes come within
    # 10^-D of +-1 at D working digits, where 1 - u^2 is only known to relative 10^-D/dist;
    # at d = 2 this costs ~sqrt(10^-D) of mass, so D = 60 (1e-30) for a 1e-25 tolerance;
    # the density works at its own precision (it rounds its input to it), so it gets 10
    # digits more than the nodes, or nodes within 10^-D of +-1 would round onto them.
    p = Precision(60)
    with mpmath.workdps(60):
        f = lambda x: u_density(x, d, p)  # noqa: E731
        total = mpmath.quad(f, [-1, 0, 1])
        m2 = mpmath.quad(lambda x: x * x * f(x), [-1, 0, 1])
        tol = mpmath.mpf(10) ** -25
        assert abs(total - 1) <= tol
        assert abs(m2 - mpmath.mpf(1) / d) <= tol
        if d > 2:   # (the slowest case: one quadrature fewer)
            m4 = mpmath.quad(lambda x: x ** 4 * f(x), [-1, 0, 1])
            assert abs(m4 - mpmath.mpf(3) / (d * (d + 2))) <= tol
            assert abs(m4 - beta_moment_abs(d, 4)) <= tol


@pytest.mark.parametrize("d", [1000, 10000])
def test_u_density_large_dimension_float(d):
    # The mass sits in |u| <~ 10/sqrt(d); scipy.quad with those break points at relative
    # accuracy 1e-13, and the density's float64 evaluation exp(log Z + ...) is good to
    # ~|log Z| eps ~ 1e-15 relative: tolerance 1e-12 relative.
    w = 12 / math.sqrt(d)
    pts = [-w, 0, w]
    f = lambda x: float(u_density(x, d))  # noqa: E731
    total = integrate.quad(f, -1, 1, points=pts, limit=200, epsabs=0, epsrel=1e-13)[0]
    m2 = integrate.quad(lambda x: x * x * f(x), -1, 1, points=pts, limit=200,
                        epsabs=0, epsrel=1e-13)[0]
    assert abs(total - 1) <= 1e-12
    assert abs(m2 * d - 1) <= 1e-12


def test_u_density_expr_matches_numbers():
    e = u_density_expr()
    for d, u in [(3, 0.2), (5, -0.7), (1000, 0.01)]:
        ref = float(e.subs({d_sym: d, u_sym: sp.Float(u, 30)}).evalf(30))
        assert abs(float(u_density(u, d)) - ref) <= 1e-13 * ref


def test_sample_sphere_moments():
    # Points on the unit sphere (norm 1 to rounding), and <w, x> of two independent
    # samples has E[u^2] = 1/d: 200000 samples, 5 standard errors (sd of u^2 estimated
    # from the sample).
    rng = np.random.default_rng(1234)
    d, n = 7, 200_000
    w, x = sample_sphere(n, d, rng), sample_sphere(n, d, rng)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1.0, rtol=0, atol=1e-14)
    u2 = np.sum(w * x, axis=1) ** 2
    se = u2.std(ddof=1) / math.sqrt(n)
    assert abs(u2.mean() - 1 / d) <= 5 * se
    assert sample_sphere(0, 3, rng).shape == (0, 3)
