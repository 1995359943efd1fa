"""Funk-Hecke coefficients: exact identities, closed forms, cross-precision agreement,
Monte Carlo, Parseval (Mercer at u = 1) and failure detection.

Every reference value here is computed independently of the quadrature: exact rational
arithmetic for polynomials, the ReLU closed form, an independent sampling estimate, or
the same routine at a much higher precision. Tolerances are argued next to each test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy import special

from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.funk_hecke import funk_hecke_coefficients, funk_hecke_projection
from w2s_theory._src.precision import Precision
from w2s_theory._src.sphere import gegenbauer, multiplicities, sample_sphere

DIMS = (2, 3, 6, 50, 1000)


# --------------------------------------------------------------------------------------
# Independent references


def exact_monomial_moment(d: int, n: int) -> Fraction:
    """E[u^n] for u = <w, x>: prod_{j<m} (2j+1)/(d+2j) for n = 2m, 0 for odd n."""
    if n % 2:
        return Fraction(0)
    out = Fraction(1)
    for j in range(n // 2):
        out *= Fraction(2 * j + 1, d + 2 * j)
    return out


def exact_gegenbauer_coeffs(d: int, k_max: int) -> list[list[Fraction]]:
    """Monomial coefficients of P_0..P_kmax in exact rationals (the defining recurrence)."""
    polys = [[Fraction(1)], [Fraction(0), Fraction(1)]]
    for k in range(1, k_max):
        a = Fraction(2 * k + d - 2, k + d - 2)
        b = Fraction(k, k + d - 2)
        nxt = [Fraction(0)] * (k + 2)
        for i, c in enumerate(polys[k]):
            nxt[i + 1] += a * c
        for i, c in enumerate(polys[k - 1]):
            nxt[i] -= b * c
        polys.append(nxt)
    return polys[: k_max + 1]


def exact_poly_coefficients(poly: list[int], d: int, k_max: int) -> list[Fraction]:
    """c_k of sigma(u) = sum_i poly[i] u^i, exactly: sum_{i,j} poly_i p_kj E[u^{i+j}]."""
    P = exact_gegenbauer_coeffs(d, k_max)
    return [sum(Fraction(a) * pk * exact_monomial_moment(d, i + j)
                for i, a in enumerate(poly) for j, pk in enumerate(P[k]))
            for k in range(k_max + 1)]


def relu_closed_form(d: int, k: int):
    """ReLU coefficients (formula derived elsewhere; an independent reference here)."""
    G = mpmath.gamma
    dd = mpmath.mpf(d)
    sp = mpmath.sqrt(mpmath.pi)
    if k == 0:
        return G(dd / 2) / (2 * sp * G((dd + 1) / 2))
    if k == 1:
        return 1 / (2 * dd)
    if k % 2:
        return mpmath.mpf(0)
    return ((-1) ** (k // 2 - 1) * G(dd / 2) * mpmath.factorial(k - 2)
            / (sp * 2 ** k * G(mpmath.mpf(k) / 2) * G((k + dd + 1) / 2)))


ACTIVATIONS = {
    # name: (float64 function, mpmath function, breakpoints)
    "tanh": (np.tanh, mpmath.tanh, (0.0,)),
    "erf": (special.erf, mpmath.erf, (0.0,)),
    "sigmoid": (special.expit, lambda x: 1 / (1 + mpmath.exp(-x)), (0.0,)),
    "softplus": (lambda u: np.logaddexp(0.0, u), lambda x: mpmath.log1p(mpmath.exp(x)),
                 (0.0,)),
    "gelu": (lambda u: 0.5 * u * (1 + special.erf(u / np.sqrt(2))),
             lambda x: x * (1 + mpmath.erf(x / mpmath.sqrt(2))) / 2, ()),
    "relu": (lambda u: np.maximum(u, 0.0), lambda x: max(x, 0), (0.0,)),
    "kink at 0.3": (lambda u: np.abs(u - 0.3),
                    lambda x: abs(x - mpmath.mpf("0.3")), ("0.3",)),
}


def _floats(bps):
    return tuple(float(b) for b in bps)


# --------------------------------------------------------------------------------------
# Exact identities


@pytest.mark.parametrize("d", DIMS)
def test_polynomials_exact_at_40_digits(d):
    # sigma = 2u^2 - 6u^3 + u^6: exact rational c_k from the monomial
    # moments. At 40 digits every nonzero c_k must agree to 30 digits relative; the
    # coefficients that are exactly 0 (k > 6) must be within the reported error, which
    # itself must be tiny (absolute target 1e-40 * 1e-40 * E|sigma P_k|).
    poly = [0, 0, 2, -6, 0, 0, 1]
    k_max = 9
    exact = exact_poly_coefficients(poly, d, k_max)
    p = Precision(40)
    res = funk_hecke_coefficients(lambda u: 2 * u**2 - 6 * u**3 + u**6, d, k_max, p,
                                  breakpoints=())
    with mpmath.workdps(60):
        for k in range(k_max + 1):
            ex = mpmath.mpf(exact[k].numerator) / exact[k].denominator
            err = abs(res.coefficients[k] - ex)
            assert err <= res.errors[k], (k, err, res.errors[k])
            if ex != 0:
                assert err <= 1e-30 * abs(ex), (k, err / abs(ex))
            else:
                assert res.errors[k] < 1e-60, (k, res.errors[k])
        # E[sigma^2] exactly, from sigma^2 as a polynomial.
        sq = [0] * 13
        for i, a in enumerate(poly):
            for j, b in enumerate(poly):
                sq[i + j] += a * b
        m2 = sum(Fraction(c) * exact_monomial_moment(d, i) for i, c in enumerate(sq))
        m2 = mpmath.mpf(m2.numerator) / m2.denominator
        assert abs(res.second_moment - m2) <= max(res.second_moment_error, 1e-35 * m2)


@pytest.mark.parametrize("d", (2, 3, 7, 1000))
def test_quadratic_identity_float64(d):
    # u^2 = 1/d + (d-1)/d P_2(u), so c_0 = 1/d, c_2 = (d-1)/(d N(d,2)) = 2/(d(d+2)),
    # all others 0. float64: error below the reported (rounding-floor) estimate, which
    # must stay at the level of a few hundred ulps.
    res = funk_hecke_coefficients(lambda u: u * u, d, 6)
    exact = np.array([1 / d, 0, 2 / (d * (d + 2)), 0, 0, 0, 0])
    assert np.all(np.abs(res.coefficients - exact) <= res.errors)
    assert np.all(res.errors <= 1e-13)


@pytest.mark.parametrize("d", DIMS)
def test_relu_closed_form_40_digits(d):
    # Closed form to 30 digits at precision 40 (relative for nonzero c_k). Odd k >= 3
    # vanish exactly; there the computed value must lie within its reported error,
    # which must be far below 1e-30 (absolute target rtol * 1e-40 * E|sigma P_k|).
    k_max = 12
    res = funk_hecke_coefficients(lambda u: np.maximum(u, 0), d, k_max, Precision(40),
                                  mp_func=lambda x: max(x, 0))
    with mpmath.workdps(60):
        for k in range(k_max + 1):
            ex = relu_closed_form(d, k)
            err = abs(res.coefficients[k] - ex)
            assert err <= res.errors[k], (k, err, res.errors[k])
            if ex != 0:
                assert err <= 1e-30 * abs(ex), (k, err / abs(ex))
            else:
                assert res.errors[k] < 1e-70
        # E[relu^2] = E[u^2] / 2 = 1 / (2d)
        assert abs(res.second_moment - mpmath.mpf(1) / (2 * d)) <= res.second_moment_error


def test_gegenbauer_is_its_own_projection():
    # sigma = P_3 (d = 4): c_3 = E[P_3^2] = 1/N(4, 3) = 1/16 and all other c_k vanish.
    d = 4
    res = funk_hecke_coefficients(lambda u: gegenbauer(3, u, d)[3], d, 6)
    exact = np.zeros(7)
    exact[3] = 1 / multiplicities(d, 3)[3]
    assert np.all(np.abs(res.coefficients - exact) <= res.errors)


# --------------------------------------------------------------------------------------
# Consistency across precisions


@pytest.mark.parametrize("name,f,fm,d", [
    ("tanh", lambda u: np.tanh(2 * u), lambda x: mpmath.tanh(2 * x), 3),
    ("erf", lambda u: special.erf(u + 0.5), lambda x: mpmath.erf(x + mpmath.mpf(1) / 2), 50),
])
def test_30_vs_60_digits(name, f, fm, d):
    # Both runs resolve every coefficient down to 1e-30 (resp. 1e-60) of its scale
    # E|sigma P_k| to 30 (60) digits relative; so wherever |c_k| is above 1e-25 the two
    # must agree to 28 digits relative (2 digits of slack for the 30-digit run), and
    # everywhere within the sum of the reported errors.
    k_max = 14
    r30 = funk_hecke_coefficients(f, d, k_max, Precision(30), mp_func=fm, breakpoints=())
    r60 = funk_hecke_coefficients(f, d, k_max, Precision(60), mp_func=fm, breakpoints=())
    with mpmath.workdps(80):
        for k in range(k_max + 1):
            diff = abs(r30.coefficients[k] - r60.coefficients[k])
            assert diff <= r30.errors[k] + r60.errors[k], (k, diff)
            if abs(r60.coefficients[k]) > 1e-25:
                assert diff <= 1e-28 * abs(r60.coefficients[k]), (k, diff)
        assert abs(r30.second_moment - r60.second_moment) <= 1e-28 * r60.second_moment


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("d", (2, 5, 100, 3000))
def test_float64_within_reported_errors(name, d):
    # float64 against 30 digits: the difference must be within the sum of the reported
    # errors (the 30-digit error is negligible). The float64 errors must also be useful:
    # a few hundred ulps of the natural scale sqrt(E sigma^2) at most (k_max = 30 gives
    # up to ~31 ulps from the recurrence, times the safety factor 4, plus the weights).
    f, fm, bps = ACTIVATIONS[name]
    k_max = 30
    rf = funk_hecke_coefficients(f, d, k_max, breakpoints=_floats(bps))
    rm = funk_hecke_coefficients(f, d, k_max, Precision(30), mp_func=fm, breakpoints=bps)
    diff = np.array([float(abs(a - b)) for a, b in zip(rf.coefficients, rm.coefficients)])
    assert np.all(diff <= rf.errors + rm.errors), np.max(diff / (rf.errors + rm.errors))
    assert abs(float(rf.second_moment - rm.second_moment)) <= \
        rf.second_moment_error + rm.second_moment_error
    scale = math.sqrt(float(rm.second_moment))
    assert np.max(rf.errors) <= 1e-12 * scale


# --------------------------------------------------------------------------------------
# Against plain sampling on the sphere


@pytest.mark.parametrize("name", ["tanh", "softplus", "relu"])
def test_monte_carlo_on_sphere(name):
    # c_k = E[sigma(<w,x>) P_k(<w,x>)] estimated by the mean over 200 000 independent
    # pairs (w, x) uniform on S^5; tolerance 5 standard errors of that mean (computed
    # from the sample), a false alarm probability below 1e-6 per coefficient.
    f = ACTIVATIONS[name][0]
    d, k_max, n = 6, 5, 200_000
    rng = np.random.default_rng(20240611)
    u = np.sum(sample_sphere(n, d, rng) * sample_sphere(n, d, rng), axis=1)
    samples = f(u) * gegenbauer(k_max, u, d)          # shape (k_max + 1, n)
    mean = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / math.sqrt(n)
    res = funk_hecke_coefficients(f, d, k_max)
    assert np.all(np.abs(res.coefficients - mean) <= 5 * se), (res.coefficients - mean) / se
    m2_samples = f(u) ** 2
    assert abs(res.second_moment - m2_samples.mean()) <= \
        5 * m2_samples.std(ddof=1) / math.sqrt(n)


# --------------------------------------------------------------------------------------
# Parseval / Mercer at u = 1: sum_k N(d,k) c_k^2 = E[sigma^2]


def test_mercer_smooth_activation_30_digits():
    # tanh on S^5: c_k decays like 3.4^-k (pole at i pi / 2), so N(6,k) c_k^2 < 1e-36
    # beyond k = 40: the partial sum must match E[sigma^2] to 1e-28 (30 digits, with the
    # 40 coefficient errors and the tail far below that).
    d, k_max = 6, 40
    proj = funk_hecke_projection(np.tanh, d, k_max, Precision(30), mp_func=mpmath.tanh)
    with mpmath.workdps(40):
        assert abs(proj.residual_energy) <= 1e-28 * proj.result.second_moment
        partial = mpmath.mpf(0)
        for e in proj.energies:
            partial += e
            assert partial <= proj.result.second_moment * (1 + mpmath.mpf(10) ** -28)


@pytest.mark.parametrize("d", (6, 10000))
def test_mercer_smooth_activation_float64(d):
    # Same in float64, where N(10000, 60) ~ 1e168 and N c_k^2 must be formed in logs:
    # the residual (true tail < 1e-40) must be within its reported error, itself below
    # 1e-12 of E[sigma^2] (rounding of ~60 coefficients and of the weights).
    proj = funk_hecke_projection(np.tanh, d, 60)
    m2 = float(proj.result.second_moment)
    assert abs(float(proj.residual_energy)) <= proj.residual_energy_error <= 1e-12 * m2


@pytest.mark.parametrize("d", (3, 20))
def test_mercer_relu_tail_positive_and_shrinking(d):
    # ReLU has a kink, so the tail sum_{k > K} N c_k^2 decays only algebraically: the
    # Parseval residual must be positive (up to its error) and shrink as K grows, and
    # is small but not negligible at K = 100.
    res = [funk_hecke_projection(lambda u: np.maximum(u, 0), d, K) for K in (10, 40, 100)]
    tails = [float(p.residual_energy) for p in res]
    errs = [p.residual_energy_error for p in res]
    assert all(t >= -e for t, e in zip(tails, errs))
    assert tails[0] > tails[1] > tails[2] > 0
    assert tails[2] < 1e-3 * float(res[2].result.second_moment)


def test_projection_reproduces_polynomials():
    # A polynomial of degree 3 equals its projection onto degrees <= 3.
    d = 5
    proj = funk_hecke_projection(lambda u: u**3 - 2 * u + 0.5, d, 3)
    u = np.linspace(-1, 1, 11)
    assert np.allclose(proj(u), u**3 - 2 * u + 0.5, rtol=0, atol=1e-13)
    assert abs(float(proj.residual_energy)) <= proj.residual_energy_error + 1e-15


# --------------------------------------------------------------------------------------
# Large dimension


def test_large_dimension_against_high_precision():
    # d = 10000: the weight lives in |u| ~ 0.01. float64 against 30 digits within the
    # reported errors, and c_1 ~ E[u^2] = 1/d to leading order (tanh(u) ~ u - u^3/3).
    d, k_max = 10000, 20
    rf = funk_hecke_coefficients(np.tanh, d, k_max)
    rm = funk_hecke_coefficients(np.tanh, d, k_max, Precision(30), mp_func=mpmath.tanh)
    diff = np.array([float(abs(a - b)) for a, b in zip(rf.coefficients, rm.coefficients)])
    assert np.all(diff <= rf.errors + rm.errors)
    assert abs(float(rm.coefficients[1]) * d - 1) < 3 / d


@pytest.mark.parametrize("d", (300, 3000))
def test_step_where_the_weight_is_tiny(d):
    # sigma = 1{u > 1/2} lives where the weight (1-u^2)^((d-3)/2) is 1e-20 (d = 300) or
    # 1e-190 (d = 3000) of its peak. c_0 = P(u > 1/2) = I_{3/4}((d-1)/2, 1/2) / 2 (the
    # regularized incomplete beta function, an independent closed form). The node choice
    # must follow sigma there; the result must be within its reported error, which must
    # be below 1e-30 relative at 40 digits and 1e-11 in float64 (each float64 weight
    # (1-u^2)^((d-3)/2) carries ~ (d/2) |log(3/4)| ~ 430 ulps at d = 3000).
    with mpmath.workdps(60):
        exact = mpmath.betainc(mpmath.mpf(d - 1) / 2, mpmath.mpf(1) / 2, 0,
                               mpmath.mpf(3) / 4, regularized=True) / 2
    rf = funk_hecke_coefficients(lambda u: (u > 0.5) * 1.0, d, 4, breakpoints=(0.5,))
    assert abs(rf.coefficients[0] - float(exact)) <= rf.errors[0] <= 1e-11 * float(exact)
    rm = funk_hecke_coefficients(lambda u: (u > 0.5) * 1.0, d, 4, Precision(40),
                                 mp_func=lambda x: mpmath.mpf(x > 0.5), breakpoints=(0.5,))
    with mpmath.workdps(60):
        assert abs(rm.coefficients[0] - exact) <= rm.errors[0] <= 1e-30 * exact
        assert abs(rm.second_moment - exact) <= rm.second_moment_error


# --------------------------------------------------------------------------------------
# Failures


@pytest.mark.parametrize("f,what", [
    (lambda u: 1 / u, "does not decay"),                     # c_k do not exist
    (lambda u: np.abs(u) ** -0.7, "E\\[sigma\\^2\\] is infinite"),  # c_k fine, E s^2 not
    (lambda u: np.sqrt(u), "not finite"),                     # nan for u < 0
    (lambda u: np.abs(u - 0.3), "not listed in breakpoints"),  # kink not declared
    (lambda u: 1 / (u - 0.3), "not listed in breakpoints|not finite"),
])
def test_nonconvergence_is_detected(f, what):
    with pytest.raises(InvalidArgument, match="activation") as info:
        funk_hecke_coefficients(f, 5, 8)
    assert "do not converge" in str(info.value)
    assert info.match(what)


def test_nonconvergence_at_mpmath_precision():
    with pytest.raises(InvalidArgument, match="activation.*do not converge"):
        funk_hecke_coefficients(lambda u: 1 / u, 5, 4, Precision(30), mp_func=lambda x: 1 / x)


def test_mpmath_mode_refuses_float_only_functions():
    # numpy's tanh cannot take mpf: a clear error, never a silent float64 evaluation.
    with pytest.raises(InvalidArgument, match="activation.*mpmath"):
        funk_hecke_coefficients(np.tanh, 5, 4, Precision(30))
    with pytest.raises(InvalidArgument, match="activation.*float64"):
        funk_hecke_coefficients(lambda x: math.tanh(x), 5, 4, Precision(30))


@pytest.mark.parametrize("kwargs,arg", [
    ({"d": 1}, "d"),
    ({"k_max": -1}, "k_max"),
    ({"breakpoints": (1.5,)}, "breakpoints"),
    ({"func": 3.0}, "activation"),
])
def test_bad_arguments(kwargs, arg):
    call = {"func": np.tanh, "d": 5, "k_max": 4, **kwargs}
    with pytest.raises(InvalidArgument) as info:
        funk_hecke_coefficients(call.pop("func"), **call)
    assert info.value.argument == arg
