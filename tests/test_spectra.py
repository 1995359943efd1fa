"""Spectral core: closed-form Funk-Hecke coefficients and the Spectrum interface.

References are independent of the code under test:

* closed forms (``PiecewisePower``, ``relu_power_coefficient_expr``) against the
  package's *quadrature* (``funk_hecke_coefficients`` at 40 digits, a different code
  path: tanh-sinh integration of sigma(u) P_k(u) against the law of u) and against a
  plain Monte Carlo average over sampled sphere points;
* spectral tails T_q(K) = sum_{k >= K} N_k lambda_k^q against sums written here:
  T_1 by Parseval/Mercer at u = 1, T_1(K) = E[sigma^2] - sum_{k<K} N_k c_k^2, with
  E[sigma^2] exact (Beta integrals), and T_q (q >= 2) by a direct sum to a cut K2 plus
  the remainder bound 0 <= T_q(K2) <= T_1(K2)^q (N_k >= 1 gives N lambda^q <= (N lambda)^q,
  and sum a_i^q <= (sum a_i)^q for a_i >= 0);
* power laws by direct summation with the convexity bounds
  int_{K+1}^inf f + f(K+1)/2 <= sum_{i > K} f(i) <= int_{K+1/2}^inf f.

All spectra of the invariant tests come from ONE list, ``SPECTRA``.
"""

from __future__ import annotations

import math
import signal
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import w2s_theory as w2s
from w2s_theory import (FiniteSpectrum, InvalidArgument, LinearGaussianSpectrum,
                        PowerLawSpectrum, SphereSpectrum, funk_hecke_coefficients,
                        gegenbauer, get_activation, multiplicity, relu_power_coefficient_expr,
                        sample_sphere)
from w2s_theory._src.precision import Precision
from w2s_theory._src.sphere import d_sym, k_sym
from _references import abs_moment, e_pk  # tests/_references.py

EPS = np.finfo(float).eps
MP_DPS = 60          # digits of the reference computations


# --------------------------------------------------------------------------------------
# Independent references: piecewise powers sigma(u) = sum_p a_p u_+^p + b_p (-u)_+^p
# (e_pk and abs_moment: tests/_references.py)


def mpq(x):
    x = Fraction(x)
    return mpmath.mpf(x.numerator) / x.denominator


class PiecewiseRef:
    """Reference spectrum of sum_p a_p u_+^p + b_p (-u)_+^p on S^{d-1}."""

    def __init__(self, right, left, d):
        n = max(len(right), len(left))
        self.a = [Fraction(x) for x in right] + [Fraction(0)] * (n - len(right))
        self.b = [Fraction(x) for x in left] + [Fraction(0)] * (n - len(left))
        self.d = d
        # a polynomial (b_p = (-1)^p a_p) has c_k = 0 beyond its degree
        self.poly = all(b == (-1) ** p * a for p, (a, b) in enumerate(zip(self.a, self.b)))

    def c(self, k):
        return sum((mpq(a) + (-1) ** k * mpq(b)) * e_pk(p, k, self.d)
                   for p, (a, b) in enumerate(zip(self.a, self.b)) if a or b)

    def lam(self, k):
        return self.c(k) ** 2

    def second_moment(self):
        """E[sigma^2]: u_+^p u_+^q = u_+^(p+q), cross terms with (-u)_+ vanish a.e.,
        E[u_+^n] = E|u|^n / 2."""
        out = mpmath.mpf(0)
        for p, (ap, bp) in enumerate(zip(self.a, self.b)):
            for q, (aq, bq) in enumerate(zip(self.a, self.b)):
                out += (mpq(ap * aq) + mpq(bp * bq)) * abs_moment(self.d, p + q) / 2
        return out

    def rank(self):
        if not self.poly:
            return None
        return sum(multiplicity(self.d, k) for k in range(len(self.a)) if self.c(k) != 0)

    def lams(self, K):
        return [self.lam(k) for k in range(K)]


class QuadRef:
    """tanh on S^3 (d = 4): P_k = U_k / (k + 1) and the law of u = cos(theta) has density
    (2/pi) sin^2(theta) on [0, pi], so c_k = (2 / (pi (k+1))) int_0^pi tanh(cos t)
    sin((k+1) t) sin t dt. The integrands are smooth and pi-periodic-even: the trapezoid
    rule with n = 240 nodes converges like exp(-1.23 (n - k)) (tanh(cos t) has its
    nearest poles at Im t = asinh(pi/2) = 1.23), i.e. below 1e-80 for k < 60."""

    d = 4

    def __init__(self, n=240, k_max=60):
        with mpmath.workdps(MP_DPS):
            ts = [mpmath.pi * j / n for j in range(n + 1)]
            wts = [mpmath.pi / n * (mpmath.mpf(1) / 2 if j in (0, n) else 1)
                   for j in range(n + 1)]
            th = [mpmath.tanh(mpmath.cos(t)) for t in ts]
            st = [mpmath.sin(t) for t in ts]
            self._c = []
            for k in range(k_max):
                s = mpmath.fsum(w * f * mpmath.sin((k + 1) * t) * si
                                for w, f, t, si in zip(wts, th, ts, st))
                self._c.append(2 * s / (mpmath.pi * (k + 1)))
            self._m2 = 2 / mpmath.pi * mpmath.fsum(w * f * f * si * si
                                                   for w, f, si in zip(wts, th, st))
        self.k_max = k_max

    def c(self, k):
        return self._c[k] if k < self.k_max else None

    def lam(self, k):
        return self._c[k] ** 2

    def second_moment(self):
        return self._m2

    def rank(self):
        return None


class FiniteRef:
    def __init__(self, eigs, mults):
        # the package receives binary floats: their exact values are the reference
        self.eigs = [Fraction(x) for x in eigs]
        self.mults = list(mults)

    def lam(self, k):
        return mpq(self.eigs[k])

    def N(self, k):
        return self.mults[k]

    def T(self, K, q):
        exact = sum(n * x ** q for n, x in zip(self.mults[K:], self.eigs[K:]))
        with mpmath.workdps(MP_DPS):
            return mpq(exact), 0

    def trace(self):
        return self.T(0, 1)[0]

    def rank(self):
        return sum(n for n, x in zip(self.mults, self.eigs) if x > 0)


class PowerRef:
    """lambda_i = i^-alpha, block k holds i = k + 1 (multiplicity one)."""

    def __init__(self, alpha):
        self.alpha = alpha

    def lam(self, k):
        return mpmath.mpf(k + 1) ** (-self.alpha)

    def N(self, k):
        return 1

    def T(self, K, q, K2=1_000_000):
        """sum_{i > K} i^-s, s = alpha q: direct float sum (math.fsum: the only error is
        the rounding of each term, <= 1 ulp) for K < i <= K2, and the rest between the
        convexity bounds; returns (midpoint, half-width + rounding)."""
        s = self.alpha * q
        i = np.arange(K + 1, K2 + 1, dtype=float)
        head = math.fsum(i ** -s)
        lo = (K2 + 1) ** (1 - s) / (s - 1) + (K2 + 1) ** -s / 2
        hi = (K2 + 0.5) ** (1 - s) / (s - 1)
        return mpmath.mpf(head + (lo + hi) / 2), (hi - lo) / 2 + 2 * EPS * head

    def trace(self):
        return self.T(0, 1)[0]

    def rank(self):
        return None


def sphere_N(ref, k):
    return multiplicity(ref.d, k)


def sphere_T(ref, K, q, K2=None):
    """Reference T_q(K) for a sphere spectrum and an absolute error bound.

    q = 1: Mercer, E[sigma^2] - sum_{k<K} N c_k^2, at 60 digits (error ~ 1e-55).
    q >= 2: sum_{K <= k < K2} N lambda^q + [0, T_1(K2)^q].
    """
    with mpmath.workdps(MP_DPS):
        m2 = ref.second_moment()
        if K2 is None:
            K2 = min(getattr(ref, "k_max", 400), 400)
        lams = [ref.lam(k) for k in range(max(K, K2))]
        Ns = [multiplicity(ref.d, k) for k in range(max(K, K2))]
        T1 = m2 - mpmath.fsum(n * x for n, x in zip(Ns[:K], lams[:K]))
        if q == 1:
            return T1, mpmath.mpf(10) ** (10 - MP_DPS) * m2
        T1_K2 = m2 - mpmath.fsum(n * x for n, x in zip(Ns, lams))
        head = mpmath.fsum(n * x ** q for n, x in zip(Ns[K:K2], lams[K:K2]))
        rem = max(T1_K2, 0) ** q
        return head + rem / 2, rem / 2 + mpmath.mpf(10) ** (10 - MP_DPS) * m2


# --------------------------------------------------------------------------------------
# The one list of spectra


RIGHT_LEFT = {   # sigma = sum_p a_p u_+^p + b_p (-u)_+^p, written out here independently
    "relu": ((0, 1), ()),
    "step": ((1,), ()),
    "relu2": ((0, 0, 1), ()),
    "relu3": ((0, 0, 0, 1), ()),
    "abs": ((0, 1), (0, 1)),
    "sign": ((1,), (-1,)),
    "leaky_relu": ((0, 1), (0, Fraction(-1, 100))),
    "poly:0.5,-1,0,2": ((Fraction(1, 2), -1, 0, 2), (Fraction(1, 2), 1, 0, -2)),
    "poly:0,0,1": ((0, 0, 1), (0, 0, 1)),
}


class Case:
    def __init__(self, name, make, ref, kind, K):
        self.name, self.make, self.ref, self.kind, self.K = name, make, ref, kind, K

    def __repr__(self):
        return self.name


def sphere_case(act, d, K=10):
    ref = PiecewiseRef(*RIGHT_LEFT[act], d)
    return Case(f"{act}-d{d}", lambda: SphereSpectrum(act, d), ref, "sphere", K)


_QUAD_REF = {}


def quad_ref():
    if "tanh" not in _QUAD_REF:
        _QUAD_REF["tanh"] = QuadRef()
    return _QUAD_REF["tanh"]


class LazyQuad:
    """Defers the (0.3 s) trapezoid reference until a test needs it."""
    d = 4

    def __getattr__(self, item):
        return getattr(quad_ref(), item)


SPECTRA = [
    sphere_case("relu", 2),
    sphere_case("relu", 3),
    sphere_case("relu", 6),
    sphere_case("relu", 1000),
    sphere_case("step", 4),
    sphere_case("relu3", 5),
    sphere_case("abs", 3),
    sphere_case("poly:0.5,-1,0,2", 5, K=4),
    Case("tanh-d4", lambda: SphereSpectrum("tanh", 4), LazyQuad(), "sphere", 10),
    Case("linear-gaussian", lambda: LinearGaussianSpectrum([4, 1, 0.25, 0.5]),
         FiniteRef([4, 1, 0.25, 0.5], [1, 1, 1, 1]), "finite", 1),
    Case("finite", lambda: FiniteSpectrum([1, 0.5, 0, 0.1], [1, 3, 2, 5]),
         FiniteRef([1, 0.5, 0, 0.1], [1, 3, 2, 5]), "finite", 1),
    Case("power-law-1.5", lambda: PowerLawSpectrum(1.5), PowerRef(1.5), "power", 10),
    Case("power-law-3", lambda: PowerLawSpectrum(3), PowerRef(3), "power", 10),
]


def ref_lam_N(case, k):
    with mpmath.workdps(MP_DPS):
        if case.kind == "sphere":
            return case.ref.lam(k), multiplicity(case.ref.d, k)
        return case.ref.lam(k), case.ref.N(k)


def ref_T(case, K, q):
    if case.kind == "sphere":
        return sphere_T(case.ref, K, q)
    return case.ref.T(K, q)


def ref_trace(case):
    if case.kind == "sphere":
        with mpmath.workdps(MP_DPS):
            return case.ref.second_moment()
    return case.ref.trace()


def T_from_moments(tm, q):
    """T_q = T_1 m_q lambda_bar^(q-1) from a TailMoments (mpmath)."""
    with mpmath.workdps(MP_DPS):
        if tm.log_mass == -np.inf or tm.log_mass == mpmath.ninf:
            return mpmath.mpf(0)
        out = mpmath.exp(mpmath.mpf(tm.log_mass)) * mpmath.mpf(tm.ratios[q - 1])
        if q > 1:
            out *= mpmath.exp((q - 1) * mpmath.mpf(tm.log_lambda_bar))
        return out


# --------------------------------------------------------------------------------------
# Closed-form Funk-Hecke coefficients against quadrature and Monte Carlo


CLOSED = ["relu", "step", "relu2", "relu3", "abs", "leaky_relu", "sign", "poly:0.5,-1,0,2"]


@pytest.mark.parametrize("d", [2, 3, 6, 50, 1000])
@pytest.mark.parametrize("act", CLOSED)
def test_closed_form_against_quadrature_30_digits(act, d):
    # Quadrature at 40 digits reports an error per coefficient (<~1e-50 here); the
    # closed form (from log|c_k| and sign at 40 digits) must agree to 30 digits
    # relative; where the closed form is exactly zero (parity, or beyond a polynomial's
    # degree) the quadrature value must be within its own reported error.
    k_max = 12
    a = get_activation(act)
    p = Precision(40)
    quad = funk_hecke_coefficients(a.func, d, k_max, p, mp_func=a.mp_func,
                                   breakpoints=(0.0,))
    spec = SphereSpectrum(act, d)
    la, sg = spec.coefficients(k_max + 1, p)
    ref = PiecewiseRef(*RIGHT_LEFT[act], d)
    with mpmath.workdps(60):
        for k in range(k_max + 1):
            q = quad.coefficients[k]
            mine = ref.c(k)
            if sg[k] == 0:
                assert mine == 0, (k, mine)
                assert abs(q) <= quad.errors[k], (k, q, quad.errors[k])
                continue
            closed = sg[k] * mpmath.exp(la[k])
            assert abs(closed - q) <= 1e-30 * abs(q), (k, closed, q)
            assert abs(closed - mine) <= 1e-30 * abs(mine), (k, closed, mine)


@pytest.mark.parametrize("p", [0, 1, 2, 3])
@pytest.mark.parametrize("d", [2, 3, 6, 50, 1000])
def test_relu_power_coefficient_expr_against_quadrature(p, d):
    # The sympy expression e_{p,k}(d), evaluated with evalf(40), against quadrature of
    # u_+^p at 40 digits (to 30 digits relative; exact zeros within the quadrature's
    # reported error) and against the independent mpmath e_pk of this file.
    k_max = 9
    expr = relu_power_coefficient_expr(p)
    quad = funk_hecke_coefficients(
        lambda u: np.where(u > 0, np.maximum(u, 0) ** p, 0.0), d, k_max, Precision(40),
        mp_func=lambda x: x ** p if x > 0 else mpmath.mpf(0), breakpoints=(0.0,))
    with mpmath.workdps(60):
        for k in range(k_max + 1):
            val = expr.subs({d_sym: d, k_sym: k})
            q = quad.coefficients[k]
            if val == 0:
                assert abs(q) <= quad.errors[k]
                assert e_pk(p, k, d) == 0
                continue
            v = mpmath.mpf(str(sp.N(val, 45)))
            assert abs(v - q) <= 1e-30 * abs(q), (k, v, q)
            assert abs(v - e_pk(p, k, d)) <= 1e-40 * abs(v)


@pytest.mark.parametrize("act,d", [("relu", 6), ("abs", 3), ("leaky_relu", 5),
                                   ("poly:0.5,-1,0,2", 4), ("relu3", 2)])
def test_coefficients_exact_sympy(act, d):
    # The exact sympy numbers of PiecewisePower.coefficients_exact against the mpmath
    # reference at 60 digits (sympy's exact values have no error; 1e-50 relative).
    exact = get_activation(act).family.coefficients_exact(d, 6)
    ref = PiecewiseRef(*RIGHT_LEFT[act], d)
    with mpmath.workdps(60):
        for k, e in enumerate(exact):
            v = mpmath.mpf(str(sp.N(e, 55)))
            r = ref.c(k)
            assert abs(v - r) <= 1e-50 * max(abs(r), mpmath.mpf(10) ** -200), (k, v, r)


def test_relu_c1_is_one_over_2d():
    # float64: c_1 comes from log-Gamma terms of magnitude ~ (d/2) log(d/2) each (two of
    # them), each rounded to a few ulps: relative error <= 4 eps * 2 (d/2+2) log(d/2+2).
    for d in (2, 3, 6, 1000, 12345):
        la, sg = SphereSpectrum("relu", d).coefficients(3)
        mag = 2 * (d / 2 + 2) * math.log(d / 2 + 2) + 4
        assert sg[1] == 1 and abs(math.exp(la[1]) * 2 * d - 1) <= 4 * EPS * mag
    # at 40 digits: 1/(2d) to 1e-38 relative
    p = Precision(40)
    for d in (3, 1000):
        la, sg = SphereSpectrum("relu", d).coefficients(3, p)
        with mpmath.workdps(60):
            assert abs(mpmath.exp(la[1]) * 2 * d - 1) <= mpmath.mpf(10) ** -38


@pytest.mark.parametrize("act", ["step", "relu3", "abs", "leaky_relu", "sign", "relu2"])
def test_closed_form_against_monte_carlo(act):
    # c_k = E[sigma(<w,x>) P_k(<w,x>)] estimated from 200 000 independent pairs of
    # points sampled uniformly on S^3 (d = 4); the tolerance is 5 sample standard errors
    # (false alarm probability < 1e-6 per coefficient). Also the Mercer identity at
    # u = 1 in the sample: E[sigma^2] within 5 standard errors.
    d, k_max, n = 4, 5, 200_000
    rng = np.random.default_rng(7)
    u = np.sum(sample_sphere(n, d, rng) * sample_sphere(n, d, rng), axis=1)
    a = get_activation(act)
    samples = a(u) * gegenbauer(k_max, u, d)
    mean = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / math.sqrt(n)
    la, sg = SphereSpectrum(act, d).coefficients(k_max + 1)
    closed = sg * np.exp(la)
    assert np.all(np.abs(closed - mean) <= 5 * se + 1e-15), (closed - mean) / se
    m2 = a(u) ** 2
    ref = PiecewiseRef(*RIGHT_LEFT[act], d)
    with mpmath.workdps(30):
        assert abs(float(ref.second_moment()) - m2.mean()) <= \
            5 * m2.std(ddof=1) / math.sqrt(n)


def test_nonconvergent_activation_is_refused():
    # 1/u is not integrable at 0: building the spectrum is lazy, asking for blocks must
    # raise InvalidArgument naming the activation (not hang, not return garbage).
    s = SphereSpectrum(lambda u: 1 / u, 3)
    with pytest.raises(InvalidArgument, match="^activation:.*(converge|finite)"):
        s.blocks(5)


@pytest.mark.parametrize("call,name", [
    (lambda: SphereSpectrum("relu", 1), "dim"),
    (lambda: SphereSpectrum("nope", 3), "activation"),
    (lambda: SphereSpectrum(3.5, 3), "activation"),
    (lambda: get_activation("poly:a,b"), "activation"),
    (lambda: get_activation("poly:0,0"), "activation"),
    (lambda: FiniteSpectrum([1, -1]), "eigenvalues"),
    (lambda: FiniteSpectrum([0, 0]), "eigenvalues"),
    (lambda: FiniteSpectrum([1, 2], [1]), "multiplicities"),
    (lambda: FiniteSpectrum([1, 2], [1, 0]), "multiplicities"),
    (lambda: LinearGaussianSpectrum([1, 0]), "variances"),
    (lambda: LinearGaussianSpectrum("1,x"), "variances"),
    (lambda: PowerLawSpectrum(1.0), "alpha"),
    (lambda: PowerLawSpectrum(2, scale=0), "scale"),
])
def test_spectrum_bad_arguments(call, name):
    with pytest.raises(InvalidArgument, match=f"^{name}:"):
        call()


# --------------------------------------------------------------------------------------
# Invariants over the one list of spectra


@pytest.mark.parametrize("case", SPECTRA, ids=repr)
def test_blocks_match_reference(case):
    # float64 log lambda_k and log N_k against the 60-digit reference: sums of a few
    # log-Gamma terms of magnitude <= (k + d) log(k + d) each lose at most a few ulps of
    # that each: 16 eps (4 (k + d) log(k + d) + 40).
    s = case.make()
    K = 40 if case.kind != "finite" else s.n_blocks
    b = s.blocks(K)
    assert len(b) == K
    for k in range(K):
        lam, N = ref_lam_N(case, k)
        if case.kind == "sphere" and getattr(case.ref, "k_max", K) <= k:
            break
        dd = case.ref.d if case.kind == "sphere" else 2
        tol = 16 * EPS * (4 * (k + dd) * math.log(k + dd) + 40)
        assert abs(b.log_mult[k] - math.log(N)) <= tol, (k, N)
        # quadrature spectra: coefficients below ~1e-14 of their scale are not resolved
        # in float64 (the package declares them 0); compare the resolved ones
        if lam == 0 or (isinstance(case.ref, LazyQuad) and lam < 1e-28):
            assert b.log_lam[k] == -np.inf or isinstance(case.ref, LazyQuad), (k,)
            continue
        assert abs(b.log_lam[k] - float(mpmath.log(lam))) <= max(tol, 1e-13), (k,)


@pytest.mark.parametrize("case", SPECTRA, ids=repr)
def test_tail_moments_float_against_reference(case):
    # T_q(K) for q = 1..4, float64, against the reference (module docstring). Tolerance:
    # the package's reported relative error, plus the reference's own bound, plus the
    # float64 rounding of exp(log T_1 + log m_q + (q-1) log lambda_bar): a few ulps of the
    # magnitudes of those logs (|log| <= 100 here), i.e. 64 eps (1 + |log T_q|).
    s = case.make()
    K = case.K
    tm = s.tail_moments(K, 4)
    assert tm.start == K
    for q in range(1, 5):
        got = T_from_moments(tm, q)
        ref, ref_err = ref_T(case, K, q)
        with mpmath.workdps(MP_DPS):
            if ref == 0:
                assert got == 0
                continue
            rel = abs(got - ref) / ref
            tol = tm.rel_error + float(ref_err / ref) + 64 * EPS * (1 + abs(float(mpmath.log(ref))))
            assert rel <= tol, (q, float(rel), tol)
        assert 0 <= float(tm.ratios[q - 1]) <= 1 + 1e-12


@pytest.mark.parametrize("case", [c for c in SPECTRA if c.name in (
    "relu-d2", "relu-d6", "step-d4", "relu3-d5", "abs-d3", "tanh-d4", "finite",
    "power-law-1.5")], ids=repr)
def test_tail_moments_30_digits_against_reference(case):
    # At 30 digits the tails must match the reference to 1e-28 relative (two digits for
    # the assembly from logs), plus the reported relative error and the reference's
    # bound (power laws: direct sum with the convexity bounds, ~1e-15: only q = 1 is
    # then a 30-digit check for spectra whose reference is exact).
    s = case.make()
    K = case.K
    p = Precision(30)
    tm = s.tail_moments(K, 3, p)
    for q in (1, 2, 3):
        got = T_from_moments(tm, q)
        ref, ref_err = ref_T(case, K, q)
        with mpmath.workdps(MP_DPS):
            rel = abs(got - ref) / ref
            tol = tm.rel_error + ref_err / ref + mpmath.mpf(10) ** -28
            assert rel <= tol, (q, rel, tol)


@pytest.mark.parametrize("act,d", [("step", 4)])
def test_tail_moments_30_vs_60_digits(act, d):
    # The same tails at 30 and 60 digits: agree to 28 digits (each is accurate to its
    # own digits minus the two spent in the log assembly). step has the slowest decay
    # of the list (N lambda_k ~ k^-2), the hardest case for the tail sums.
    s = SphereSpectrum(act, d)
    t30 = s.tail_moments(12, 3, Precision(30))
    t60 = s.tail_moments(12, 3, Precision(60))
    for q in (1, 2, 3):
        a, b = T_from_moments(t30, q), T_from_moments(t60, q)
        with mpmath.workdps(MP_DPS):
            assert abs(a - b) <= mpmath.mpf(10) ** -28 * b, q
    assert abs(t30.log_lambda_bar - t60.log_lambda_bar) <= 1e-28 * abs(t60.log_lambda_bar)


@pytest.mark.parametrize("case", SPECTRA, ids=repr)
def test_lambda_bar_bounds_the_tail(case):
    # lambda_bar(K) >= lambda_k for every k >= K (checked over a window of 300 blocks
    # with the reference eigenvalues; for the closed forms |c_k| decreases along each
    # parity class beyond the window, |e_{p,k+2} / e_{p,k}| = (k-p)/(k+p+d) < 1), and
    # lambda_bar(K) <= T_1(K) would fail only for a useless bound (N_k >= 1). 1e-12
    # relative slack: float64 rounding of the logs.
    s = case.make()
    for K in sorted({case.K, case.K + 1, 2 * case.K + 3}):
        if s.n_blocks is not None and K >= s.n_blocks:
            continue
        lb = float(s.log_lambda_bar(K))
        top = K + 300 if s.n_blocks is None else s.n_blocks
        if isinstance(case.ref, LazyQuad):
            top = min(top, case.ref.k_max)
        with mpmath.workdps(MP_DPS):
            lams = [ref_lam_N(case, k)[0] for k in range(K, top)]
            m = max(lams)
            if m == 0:
                assert lb == -np.inf
                continue
            assert lb >= float(mpmath.log(m)) - 1e-12 * (1 + abs(lb)), K
            T1, _ = ref_T(case, K, 1)
            assert lb <= float(mpmath.log(T1)) + 1e-12 * (1 + abs(lb)), K


@pytest.mark.parametrize("case", SPECTRA, ids=repr)
def test_start_for(case):
    # start_for(thr) is the smallest K >= start with lambda_bar(K) <= thr.
    s = case.make()
    lb0 = float(s.log_lambda_bar(s.min_tail_start))
    if lb0 == -np.inf:
        assert s.start_for(-50.0) == s.min_tail_start
        return
    for drop in (0.5, 5.0, 20.0):
        thr = lb0 - drop
        K = s.start_for(thr)
        if s.n_blocks is not None and K >= s.n_blocks:
            assert K == s.n_blocks
            continue
        assert float(s.log_lambda_bar(K)) <= thr
        if K > s.min_tail_start:
            assert float(s.log_lambda_bar(K - 1)) > thr


@pytest.mark.parametrize("case", SPECTRA, ids=repr)
def test_log_trace_is_second_moment(case):
    # log sum_k N_k lambda_k = log E[sigma^2] (Mercer at u = 1; E[sigma^2] exact from
    # Beta integrals, or the trapezoid reference for tanh), float64 to 1e-13 plus the
    # tail's reported relative error; and to 1e-28 at 30 digits for two cases.
    s = case.make()
    ref = ref_trace(case)
    got = s.log_trace()
    tail = s.tail_moments(s.min_tail_start, 1) if s.n_blocks is None else None
    err = tail.rel_error if tail is not None else 0.0
    with mpmath.workdps(MP_DPS):
        assert abs(got - float(mpmath.log(ref))) <= 1e-13 + err
    if case.name in ("relu-d6", "relu3-d5"):
        p = Precision(30)
        got30 = s.log_trace(p)
        with mpmath.workdps(MP_DPS):
            assert abs(got30 - mpmath.log(ref)) <= mpmath.mpf(10) ** -28


@pytest.mark.parametrize("case", SPECTRA, ids=repr)
def test_rank(case):
    s = case.make()
    if case.kind == "sphere":
        with mpmath.workdps(MP_DPS):
            expected = case.ref.rank()
    else:
        expected = case.ref.rank()
    assert s.rank() == expected


def test_finite_spectrum_tail_and_blocks_beyond_end():
    s = FiniteSpectrum([1, 0.5, 0, 0.1], [1, 3, 2, 5])
    assert s.n_blocks == 4
    assert len(s.blocks(10)) == 4
    t = s.tail_moments(4, 2)
    assert t.empty and t.log_mass == -np.inf
    t = s.tail_moments(2, 2)    # blocks 2, 3: lambda = 0 (x2), 0.1 (x5)
    assert abs(math.exp(t.log_mass) - 0.5) <= 1e-15 and abs(math.exp(t.log_lambda_bar) - 0.1) \
        <= 1e-16


def test_power_law_scale():
    # lambda_i = s i^-alpha: T_q scales by s^q.
    a, b = PowerLawSpectrum(2.0), PowerLawSpectrum(2.0, scale=3.0)
    ta, tb = a.tail_moments(5, 3), b.tail_moments(5, 3)
    for q in (1, 2, 3):
        x, y = T_from_moments(ta, q), T_from_moments(tb, q)
        assert abs(y / x - 3 ** q) <= 1e-13 * 3 ** q


def test_make_spectrum():
    assert isinstance(w2s.make_spectrum("relu", 3), SphereSpectrum)
    assert isinstance(w2s.make_spectrum(variances=[1, 2]), LinearGaussianSpectrum)
    assert isinstance(w2s.make_spectrum(eigenvalues=[1, 2]), FiniteSpectrum)
    with pytest.raises(InvalidArgument, match="^activation:"):
        w2s.make_spectrum("relu", 3, variances=[1])
    with pytest.raises(InvalidArgument, match="^dim:"):
        w2s.make_spectrum("relu")


# --------------------------------------------------------------------------------------
# Regressions: bugs found by these tests, now fixed


class _Timeout(Exception):
    pass


def _run_with_timeout(seconds, fn):
    def handler(signum, frame):
        raise _Timeout()
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# Regression: tails.tail_sums used to repeat the same Euler-Maclaurin evaluation forever
# once the order reached int(2*pi*j) without meeting the tolerance (relu, d = 1000,
# K = 10, 40 digits: j = 30, order 188).
def test_relu_d1000_tail_at_40_digits_terminates():
    # What is tested is termination (and the value): the computation takes ~3-10 s on
    # two busy cores (30 digits: ~2 s); the 120 s alarm only turns an endless loop into
    # a failure. Reference: Mercer T_1(10) at 60 digits.
    s = SphereSpectrum("relu", 1000)
    tm = _run_with_timeout(120, lambda: s.tail_moments(10, 1, Precision(40)))
    ref, _ = sphere_T(PiecewiseRef(*RIGHT_LEFT["relu"], 1000), 10, 1)
    with mpmath.workdps(MP_DPS):
        assert abs(T_from_moments(tm, 1) - ref) <= mpmath.mpf(10) ** -38 * ref


def mercer_tail_relu_long(d, K):
    """T_1(K) for relu by Mercer, the head summed to K at 50 digits with the exact
    ratios c_{k+2}/c_k = -(k-1)/(k+d+1) and N(d,k+2)/N(d,k) (fast for K ~ 1e4-1e5)."""
    with mpmath.workdps(50):
        dd = mpmath.mpf(d)
        ref = PiecewiseRef(*RIGHT_LEFT["relu"], d)
        tot = ref.lam(0) + d * ref.lam(1)
        c, N, k = ref.c(2), mpmath.mpf(multiplicity(d, 2)), 2
        while k < K:
            tot += N * c * c
            c = -c * (k - 1) / (k + dd + 1)
            N = N * (2 * k + dd + 2) * (k + dd - 1) * (k + dd - 2) / (
                (2 * k + dd - 2) * (k + 1) * (k + 2))
            k += 2
        return 1 / (2 * dd) - tot


# Regression: the float64 tails (tails.numpy_tail_sums) at large K took the local
# power-law exponent from a difference of neighbouring log-terms, which loses
# ~eps j log j / (1/j); relu d = 6, K = 30000 was off by 4e-9 while reporting 1.3e-9.
def test_float_tail_error_bound_is_honest_at_large_K():
    # Reference: Mercer T_1(K) at 50 digits (independent of the package). The float64
    # value must lie within its own reported relative error (plus 64 ulps of rounding).
    d, K = 6, 30000
    tm = SphereSpectrum("relu", d).tail_moments(K, 1)
    ref = mercer_tail_relu_long(d, K)
    with mpmath.workdps(50):
        rel = abs(mpmath.exp(mpmath.mpf(tm.log_mass)) - ref) / ref
    assert float(rel) <= tm.rel_error + 64 * EPS * abs(tm.log_mass), (float(rel), tm.rel_error)


# Regression: decimal inputs of spectra used to be rounded to float64 before
# high-precision work (FiniteSpectrum('1,0.1') at 30 digits had lambda_1 =
# 0.1000000000000000055511151231).
@pytest.mark.parametrize("make,exact", [
    (lambda: FiniteSpectrum("1,0.1"), lambda: mpmath.mpf(1) / 10),
    (lambda: LinearGaussianSpectrum("1,0.1"), lambda: mpmath.mpf(1) / 10),
    (lambda: PowerLawSpectrum("1.1"), lambda: 2 ** -(mpmath.mpf(11) / 10)),
])
def test_decimal_inputs_keep_their_digits(make, exact):
    p = Precision(30)
    b = make().blocks(2, p)
    with mpmath.workdps(MP_DPS):
        got = mpmath.exp(b.log_lam[1])
        assert abs(got - exact()) <= mpmath.mpf(10) ** -28 * exact()
