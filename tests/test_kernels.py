"""Kernels kappa(u) on the sphere and cross-kernels (w2s_theory/_src/kernels/).

Independent computations checked against ``kernel`` / ``cross_kernel``:

* the Mercer series sum_k c_k^2 N(d,k) P_k(u) with the package's Funk-Hecke coefficients,
  Gegenbauer polynomials from ``sphere.gegenbauer`` (not the kernels' Clenshaw code);
* plain Monte Carlo over w uniform on the sphere;
* 2D Gauss quadrature over the first two coordinates of w;
* exact second moments E[sigma^2] = kappa(1);
* the 30-digit mode against float64 and against mpmath integrals.

Every tolerance is derived in a comment next to it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from w2s_theory._src.activations import Activation, PiecewisePower, get_activation
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.kernels import (U_SLACK, _arccos_evaluator, arccos_parts, cross_kernel,
                                     kernel, kernel_expr)
from w2s_theory._src.precision import FLOAT64, Precision
from w2s_theory._src.spectra.sphere import SphereSpectrum
from w2s_theory._src.sphere import gegenbauer, log_multiplicities, sample_sphere

EPS = np.finfo(float).eps
U_GRID = np.concatenate([[-1.0, -0.999], np.linspace(-0.95, 0.95, 15), [0.999, 1.0]])


# --------------------------------------------------------------------------------------
# helpers


def mercer_sum(act, d, K, u, g=None):
    """sum_{k<K} c_k(act) c_k(g) N(d,k) P_k(u) from the spectrum's coefficients, and the
    partial energies sum_{k<K} N c_k^2 of each side."""
    la, sg = SphereSpectrum(act, d).coefficients(K)
    la_g, sg_g = (la, sg) if g is None else SphereSpectrum(g, d).coefficients(K)
    log_n = log_multiplicities(d, np.arange(K))
    w = sg * sg_g * np.exp(la + la_g + log_n)
    P = gegenbauer(K - 1, np.asarray(u, dtype=float), d)
    return w @ P, np.sum(np.exp(2 * la + log_n)), np.sum(np.exp(2 * la_g + log_n))


def second_moment(act, d):
    """E_u[sigma(u)^2] = Z_d int_0^pi sigma(cos t)^2 sin^{d-2} t dt (smooth at u = +-1 for
    every d, unlike the density of u at d = 2), by mpmath's tanh-sinh quadrature at 30
    digits split at the kink t = pi/2; returns (value, error estimate) as floats."""
    f = get_activation(act).mp_func
    with mpmath.workdps(30):
        z = mpmath.gamma(mpmath.mpf(d) / 2) / (mpmath.sqrt(mpmath.pi)
                                              * mpmath.gamma(mpmath.mpf(d - 1) / 2))
        val, err = mpmath.quad(lambda t: f(mpmath.cos(t)) ** 2 * mpmath.sin(t) ** (d - 2),
                               [0, mpmath.pi / 2, mpmath.pi], error=True)
        return float(z * val), float(z * err) + 1e-25


def monte_carlo(f, g, d, u, n, seed):
    """Mean and standard error of f(<w,x>) g(<w,y>), w uniform, <x,y> = u."""
    w = sample_sphere(n, d, np.random.default_rng(seed))
    a = w[:, 0]
    b = u * w[:, 0] + math.sqrt(max(0.0, 1 - u * u)) * w[:, 1]
    vals = f(a) * g(b)
    return vals.mean(), vals.std(ddof=1) / math.sqrt(n)


def quad2d(f, d, u, n_psi, n_phi):
    """E_w f(<w,x>) f(<w,y>) over (w_1, w_2), density (d-2)/(2 pi) (1-r^2)^((d-4)/2) on the
    unit disk (d >= 3); r = sin(psi) makes the integrand smooth, Gauss-Legendre in psi,
    trapezoid (spectral for periodic analytic integrands) in phi."""
    x, wx = np.polynomial.legendre.leggauss(n_psi)
    psi = (x + 1) * np.pi / 4
    w_psi = wx * np.pi / 4
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    theta = math.acos(u)
    r = np.sin(psi)[:, None]
    vals = f(r * np.cos(phi)[None, :]) * f(r * np.cos(phi - theta)[None, :])
    weight = ((d - 2) / (2 * np.pi) * np.sin(psi) * np.cos(psi) ** (d - 3) * w_psi)[:, None]
    return float(np.sum(vals * weight) * 2 * np.pi / n_phi)


def exact_moment(act, d):
    """kappa(1) = E[sigma^2] in exact rational arithmetic for single-power families:
    E[u_+^{2p}] = Gamma(d/2) Gamma(p + 1/2) / (2 sqrt(pi) Gamma(d/2 + p))
                = (2p - 1)!! / (2^{p+1} prod_{i<p} (d/2 + i))."""
    def m(p):
        out = Fraction(1, 2)
        for i in range(p):
            out *= Fraction(2 * i + 1, 2) / (Fraction(d, 2) + i)
        return out
    fam = get_activation(act).family
    return float(sum((a * a + b * b) * m(p)
                     for p, (a, b) in enumerate(zip(fam.right, fam.left))))


# --------------------------------------------------------------------------------------
# Mercer identity


# K per d with T_1(K) < 1e-12 for ReLU (T_1(K) ~ K^-3, measured: 6.6e-14 at K = 8000 for d = 2,
# 8.1e-13 for d = 100); so the remainder at every u is below 1e-12.
RELU_K = {2: 5000, 3: 5000, 6: 6000, 20: 7000, 100: 8000}


@pytest.mark.parametrize("d", sorted(RELU_K))
def test_mercer_identity_relu(d):
    K = RELU_K[d]
    k = kernel("relu", d)
    series, energy, _ = mercer_sum("relu", d, K, U_GRID)
    # T_1(K) = kappa(1) - sum_{k<K} N c_k^2 exactly (Parseval, kappa(1) = 1/(2d)); with
    # |P_k| <= 1 it bounds the remainder at every u. The subtraction loses at most
    # K * eps * kappa(1) to rounding.
    t1 = 1 / (2 * d) - energy
    assert -K * EPS / (2 * d) <= t1 < 1e-12
    # series rounding: K terms each of size <= N c_k^2, relative eps each (<= K eps kappa(1))
    tol = t1 + K * EPS / (2 * d)
    assert np.max(np.abs(k(U_GRID) - series)) <= tol
    # odd degrees >= 3 vanish, so the remainder has one sign at u = +-1: equality to T_1
    assert abs(k(1.0) - series[-1] - t1) <= K * EPS / (2 * d)
    assert abs(k(-1.0) - series[0] - t1) <= K * EPS / (2 * d)


@pytest.mark.parametrize("act,d,K", [
    ("relu2", 3, 400), ("relu2", 20, 400), ("relu3", 6, 200), ("relu3", 100, 200),
    ("abs", 3, 8000), ("leaky_relu", 6, 8000), ("relu1", 2, 4000)])
def test_mercer_identity_relu_powers_abs_leaky(act, d, K):
    k = kernel(act, d)
    series, energy, _ = mercer_sum(act, d, K, U_GRID)
    kappa1 = exact_moment(act, d)
    assert abs(k(1.0) - kappa1) <= 4 * EPS * kappa1          # closed form at u = 1
    t1 = kappa1 - energy                                      # remainder bound (Parseval)
    assert t1 < 1e-12
    assert np.max(np.abs(k(U_GRID) - series)) <= t1 + K * EPS * kappa1


@pytest.mark.parametrize("act,d", [("step", 2), ("step", 6), ("sign", 3)])
def test_mercer_identity_step_with_package_tail(act, d):
    # relu^0 coefficients decay slowly (T_1(K) ~ 1/K): no finite sum reaches 1e-12 at
    # u = +-1. Check instead the exact identity at u = 1 with the package's tail sum
    # T_1(K) (Euler-Maclaurin, relative error rel_error), and the bound elsewhere.
    K = 300
    k = kernel(act, d)
    spec = SphereSpectrum(act, d)
    tm = spec.tail_moments(K, 1)
    t1 = float(np.exp(tm.log_mass))
    series, energy, _ = mercer_sum(act, d, K, U_GRID)
    kappa1 = exact_moment(act, d)
    assert abs(energy + t1 - kappa1) <= t1 * tm.rel_error + K * EPS * kappa1
    assert np.max(np.abs(k(U_GRID) - series)) <= t1 * (1 + tm.rel_error) + K * EPS * kappa1


def test_mercer_identity_uses_package_tail_for_relu():
    # S_K(1) + T_1(K) = kappa(1) with the spectrum's tail moment (not Parseval).
    d, K = 6, 300
    tm = SphereSpectrum("relu", d).tail_moments(K, 1)
    t1 = float(np.exp(tm.log_mass))
    series, energy, _ = mercer_sum("relu", d, K, np.array([1.0]))
    assert abs(kernel("relu", d)(1.0) - energy - t1) <= t1 * tm.rel_error + K * EPS / (2 * d)


@pytest.mark.parametrize("coeffs", [(1, 2, 3), (0, 0, 1), (0.5, -1, 0, 2), (0, 1)])
@pytest.mark.parametrize("d", [2, 3, 20])
def test_polynomial_kernels(coeffs, d):
    name = "poly:" + ",".join(str(c) for c in coeffs)
    k = kernel(name, d)
    assert k.closed_form and k.method == "finite Mercer sum" and k.error_bound == 0
    assert k.degrees == len(coeffs)
    fam = get_activation(name).family
    # independent route: the arc-cosine combination of the +- half powers (the arccos
    # and sqrt terms cancel for a polynomial); both are sums of O(1) terms: a few eps.
    other = _arccos_evaluator(fam, fam, d, FLOAT64)(U_GRID)
    scale = float(k(1.0))
    assert np.max(np.abs(k(U_GRID) - other)) <= 50 * EPS * scale
    series, energy, _ = mercer_sum(name, d, len(coeffs) + 3, U_GRID)   # extra terms are 0
    assert np.max(np.abs(k(U_GRID) - series)) <= 20 * EPS * scale


def test_polynomial_kernel_closed_forms():
    # E[(w.x)^2 (w.y)^2] = (1 + 2u^2)/(d(d+2)) and E[(w.x)(w.y)] = u/d (isotropy)
    u = np.linspace(-1, 1, 9)
    for d in (2, 5, 50):
        assert np.allclose(kernel("poly:0,0,1", d)(u), (1 + 2 * u**2) / (d * (d + 2)),
                           rtol=0, atol=4 * EPS)
        assert np.allclose(kernel("linear", d)(u), u / d, rtol=0, atol=4 * EPS)


def test_mixed_power_family_closed_form():
    # sigma = relu + 0.5 relu^2 - 0.3 (-u)_+^3: mixed powers, arc-cosine closed form
    fam = PiecewisePower((0, 1, 0.5), (0, 0, 0, -0.3))
    act = Activation(name="mixed", func=fam, mp_func=fam.mp_call, family=fam)
    d, K = 5, 4000
    k = kernel(act, d)
    assert k.closed_form and k.method == "arc-cosine"
    series, energy, _ = mercer_sum(act, d, K, U_GRID)
    kappa1, err = second_moment(act, d)
    assert abs(k(1.0) - kappa1) <= err + 1e-15
    t1 = kappa1 - energy                                      # Parseval remainder
    assert np.max(np.abs(k(U_GRID) - series)) <= t1 + err + K * EPS * kappa1


# --------------------------------------------------------------------------------------
# Monte Carlo and quadrature


@pytest.mark.parametrize("act", ["relu", "step", "tanh"])
@pytest.mark.parametrize("u", [-0.6, 0.1, 0.85])
def test_against_monte_carlo(act, u):
    d, n = 5, 200_000
    f = get_activation(act)
    k = kernel(act, d)
    mean, se = monte_carlo(f, f, d, u, n, seed=hash((act, u)) % 2**32)
    # 5 standard errors (from the sample): a false failure has probability < 1e-6
    assert abs(k(u) - mean) <= 5 * se


@pytest.mark.parametrize("act", ["relu", "step", "relu2", "abs", "sign", "leaky_relu",
                                 "relu3", "tanh", "erf", "gelu"])
@pytest.mark.parametrize("d", [2, 100])
def test_kappa_one_is_second_moment(act, d):
    k = kernel(act, d)
    m2, err = second_moment(act, d)
    # quadrature error estimate + the kernel's own bound + rounding of O(1) sums
    assert abs(k(1.0) - m2) <= err + k.error_bound + 16 * EPS * m2


@pytest.mark.parametrize("d", [3, 6, 10])
def test_tanh_series_against_2d_quadrature(d):
    k = kernel("tanh", d)
    assert not k.closed_form and k.method == "truncated Mercer series"
    assert k.error_bound <= EPS * k(1.0)
    for u in (-0.9, -0.3, 0.2, 0.7, 0.999):
        coarse = quad2d(np.tanh, d, u, 40, 96)
        fine = quad2d(np.tanh, d, u, 80, 192)
        # exponential convergence: the coarse-fine gap bounds the fine rule's error;
        # plus the series bound and rounding of sums of O(kappa(1)) terms
        tol = 10 * abs(fine - coarse) + k.error_bound + 64 * EPS * k(1.0)
        assert abs(k(u) - fine) <= tol, (u, k(u) - fine, tol)


def test_tanh_error_bound_is_honest():
    # a loose truncation differs from the tight one by at most the sum of their bounds
    d = 4
    tight = kernel("tanh", d)
    loose = kernel("tanh", d, tol=1e-6)
    assert loose.degrees < tight.degrees
    assert 0 < loose.error_bound <= 1e-6 * tight(1.0)
    gap = np.max(np.abs(loose(U_GRID) - tight(U_GRID)))
    assert gap <= loose.error_bound + tight.error_bound + 16 * EPS * tight(1.0)
    assert gap > 0.01 * loose.error_bound      # the bound is not wildly pessimistic


# --------------------------------------------------------------------------------------
# Cross-kernels


@pytest.mark.parametrize("sigma,g,method", [
    ("relu", "tanh", "truncated Mercer series"),
    ("relu", "relu2", "arc-cosine"),
    ("step", "sign", "arc-cosine"),
    ("tanh", "poly:0,1,0,1", "finite Mercer sum"),
    ("relu", "poly:1,0,-3", "finite Mercer sum"),
])
def test_cross_kernel_against_monte_carlo(sigma, g, method):
    d, n = 6, 200_000
    ck = cross_kernel(sigma, g, d)
    assert ck.method == method
    fs, fg = get_activation(sigma), get_activation(g)
    for u in (-0.5, 0.3, 0.9):
        mean, se = monte_carlo(fs, fg, d, u, n, seed=hash((sigma, g, u)) % 2**32)
        assert abs(ck(u) - mean) <= 5 * se           # 5 standard errors


@pytest.mark.parametrize("sigma,g,d", [("relu", "tanh", 3), ("relu", "relu2", 6),
                                       ("abs", "relu3", 20), ("tanh", "erf", 4)])
def test_cross_kernel_mercer(sigma, g, d):
    K = 600
    ck = cross_kernel(sigma, g, d)
    series, e_s, e_g = mercer_sum(sigma, d, K, U_GRID, g=g)
    m_s, err_s = second_moment(sigma, d)
    m_g, err_g = second_moment(g, d)
    # Cauchy-Schwarz on the tails, each tail by Parseval (plus quadrature errors)
    bound = math.sqrt(max(m_s - e_s + err_s, 0) * max(m_g - e_g + err_g, 0))
    scale = math.sqrt(m_s * m_g)
    assert np.max(np.abs(ck(U_GRID) - series)) <= bound + ck.error_bound + K * EPS * scale
    # symmetric in (sigma, g)
    assert np.max(np.abs(ck(U_GRID) - cross_kernel(g, sigma, d)(U_GRID))) <= 8 * EPS * scale


def test_cross_kernel_of_equal_functions_is_the_kernel():
    u = np.linspace(-1, 1, 11)
    for act in ("relu", "tanh", "poly:0,1,1"):
        assert np.max(np.abs(cross_kernel(act, act, 5)(u) - kernel(act, 5)(u))) <= 4 * EPS


def test_cross_kernel_reflection_and_callables():
    # E relu(w.x) relu(-w.y) = kappa_relu(-u) (arc-cosine with a reflected family)
    u = np.linspace(-1, 1, 11)
    d = 7
    fam = PiecewisePower((), (0, 1))
    negf = Activation(name="negrelu_f", func=fam, mp_func=fam.mp_call, family=fam)
    k = kernel("relu", d)
    assert np.max(np.abs(cross_kernel("relu", negf, d)(u) - k(-u))) <= 4 * EPS
    # a plain callable (float quadrature, no mpmath version): truncated series whose
    # reported bound must cover the gap to the exact finite Mercer sum
    cubic = Activation.from_callable(lambda v: v**3 - v, name="cubic")
    ck = cross_kernel("relu", cubic, d)
    assert ck.method == "truncated Mercer series" and ck.error_bound > 0
    exact = cross_kernel("relu", "poly:0,-1,0,1", d)
    assert exact.method == "finite Mercer sum" and exact.closed_form
    assert np.max(np.abs(ck(u) - exact(u))) <= ck.error_bound + 16 * EPS


# --------------------------------------------------------------------------------------
# Precision


@pytest.mark.parametrize("act", ["relu", "relu3", "leaky_relu", "step", "tanh",
                                 "poly:1,0,2"])
def test_30_digits_agree_with_float(act):
    d = 5
    kf, km = kernel(act, d), kernel(act, d, Precision(30))
    vm = km(U_GRID)
    assert isinstance(vm[0], mpmath.mpf)
    scale = float(km(1.0))
    # float64 evaluation of O(scale) terms: a few eps
    assert max(abs(float(a) - b) for a, b in zip(vm, kf(U_GRID))) <= 32 * EPS * scale
    assert km.error_bound <= 1e-30 * scale


def test_30_digits_exact_values():
    P = Precision(30)
    with mpmath.workdps(45):
        for d in (3, 8):
            k = kernel("relu", d, P)
            assert abs(k(1) - mpmath.mpf(1) / (2 * d)) < mpmath.mpf(10) ** -31
            for s in ("0.3", "-0.95", "0.999"):
                u = mpmath.mpf(s)
                exact = (mpmath.sqrt(1 - u**2) + (mpmath.pi - mpmath.acos(u)) * u) \
                    / (2 * mpmath.pi * d)
                # strings are read at the working precision (30 + guard digits)
                assert abs(k(s) - exact) < mpmath.mpf(10) ** -31
        # tanh at u = 1: E[tanh(u)^2] with the density (3/4)(1-u^2) at d = 5
        kt = kernel("tanh", 5, P)
        m2 = mpmath.quad(lambda v: mpmath.tanh(v)**2 * 3 * (1 - v**2) / 4, [-1, 0, 1])
        assert abs(kt(1) - m2) < mpmath.mpf(10) ** -30 * m2


def test_cross_kernel_30_digits():
    d = 4
    cf = cross_kernel("relu", "tanh", d)
    cm = cross_kernel("relu", "tanh", d, Precision(30))
    assert cm.error_bound < 1e-29
    scale = abs(cf(1.0))
    assert max(abs(float(a) - b) for a, b in zip(cm(U_GRID), cf(U_GRID))) <= 64 * EPS * scale


# --------------------------------------------------------------------------------------
# Symbolic forms and API


def test_kernel_expr_relu_and_parts():
    import sympy as sp

    from w2s_theory._src.sphere import d_sym, u_sym
    relu = (sp.sqrt(1 - u_sym**2) + (sp.pi - sp.acos(u_sym)) * u_sym) / (2 * sp.pi * d_sym)
    assert sp.simplify(kernel_expr(1) - relu) == 0
    assert sp.simplify(kernel("relu", 9).expr() - relu) == 0
    # expressions evaluate to the numerical kernels
    for act, d in (("relu3", 4), ("abs", 6), ("poly:1,2,3", 3), ("sign", 5)):
        e = kernel(act, d).expr()
        for u in (-0.7, 0.2, 0.95):
            val = float(e.subs({d_sym: d, u_sym: sp.Float(u)}))
            assert abs(val - kernel(act, d)(u)) <= 16 * EPS * abs(float(kernel(act, d)(1.0)))
    assert arccos_parts(2, 3) == arccos_parts(3, 2)


def test_shapes_and_clipping():
    k = kernel("relu", 4)
    assert isinstance(k(0.5), float)
    G = np.array([[1.0, 0.2], [0.2, 1.0 + 1e-13]])
    out = k(G)
    assert out.shape == (2, 2) and out[1, 1] == k(1.0)
    assert k(-1 - 0.5 * U_SLACK) == k(-1.0)
    assert k(np.zeros((0, 3))).shape == (0, 3)
    t = kernel("tanh", 4)
    assert t(np.ones((3, 1, 2))).shape == (3, 1, 2)


def test_errors():
    with pytest.raises(InvalidArgument, match="dim: must be an integer >= 2"):
        kernel("relu", 1)
    with pytest.raises(InvalidArgument, match="unknown activation"):
        kernel("relux", 3)
    with pytest.raises(InvalidArgument, match=r"u: inner products must lie in \[-1, 1\]"):
        kernel("relu", 3)(1.01)
    with pytest.raises(InvalidArgument, match="u: inner products"):
        kernel("tanh", 3)(np.array([0.0, np.nan]))
    with pytest.raises(InvalidArgument, match="u: inner products"):
        kernel("relu", 3, Precision(20))("-1.5")
    with pytest.raises(InvalidArgument, match="u: must be real numbers"):
        kernel("relu", 3)("abc")
    with pytest.raises(InvalidArgument, match="tol: must be > 0"):
        kernel("tanh", 3, tol=0)
    with pytest.raises(InvalidArgument, match="activation: the kernel of 'tanh' has no "
                                              "closed form"):
        kernel("tanh", 3).expr()
    with pytest.raises(InvalidArgument, match="p: must be an integer >= 0"):
        kernel_expr(-1)
    with pytest.raises(InvalidArgument, match="digits"):
        kernel("relu", 3, 5)
