"""Targets: parsing, energies per block, tails and the irreducible floor.

References are computed here: single-index energies B_k = N(d,k) c_k(g)^2 from the
closed form of e_{p,k} = E[u_+^p P_k(u)] (checked against quadrature in
test_spectra.py) and E[g^2] from Beta integrals (Parseval: sum_k B_k = E[g^2]); tanh by a
trapezoid rule on the periodic integrand in theta (u = cos theta); power laws by Hurwitz
zeta (mpmath) or direct sums.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

import w2s_theory as w2s
from w2s_theory import (FiniteSpectrum, InvalidArgument, IrreducibleFloorWarning,
                        LinearGaussianSpectrum, PowerLawSpectrum, SphereSpectrum, Target,
                        multiplicity, parse_target, risk_curve)

from _references import abs_moment, e_pk  # tests/_references.py

EPS = np.finfo(float).eps
DPS = 50


def relu_power_energy(p, d, k):
    """B_k of the single-index target u_+^p: N(d,k) e_{p,k}^2."""
    return multiplicity(d, k) * e_pk(p, k, d) ** 2


def relu_power_second_moment(p, d):
    """E[(u_+^p)^2] = E|u|^{2p} / 2."""
    return abs_moment(d, 2 * p) / 2


def tanh_d4_reference(k_max=40, n=200):
    """c_k of tanh on S^3 and E[tanh^2] by the trapezoid rule in theta (u = cos theta,
    density (2/pi) sin^2 theta, P_k = U_k/(k+1)); geometric convergence ~exp(-1.23 (n-k))
    for this analytic periodic integrand, far below 1e-40 here."""
    with mpmath.workdps(DPS):
        ts = [mpmath.pi * j / n for j in range(n + 1)]
        wt = [mpmath.pi / n * (mpmath.mpf(1) / 2 if j in (0, n) else 1) for j in range(n + 1)]
        th = [mpmath.tanh(mpmath.cos(t)) for t in ts]
        st = [mpmath.sin(t) for t in ts]
        c = [2 / (mpmath.pi * (k + 1)) * mpmath.fsum(
            a * f * mpmath.sin((k + 1) * t) * s for a, f, t, s in zip(wt, th, ts, st))
            for k in range(k_max)]
        m2 = 2 / mpmath.pi * mpmath.fsum(a * f * f * s * s for a, f, s in zip(wt, th, st))
    return c, m2


# --------------------------------------------------------------------------------------
# Parsing


@pytest.mark.parametrize("text,expected", [
    ("degree:1", [("degree", 1.0, 1)]),
    ("degree:0", [("degree", 1.0, 0)]),
    ("energies:0=0.5,1=1,2=0.25", [("energies", 1.0, ((0, "0.5"), (1, "1"), (2, "0.25")))]),
    ("energies:2=0.25,0=0.5", [("energies", 1.0, ((0, "0.5"), (2, "0.25")))]),
    ("single-index:relu", [("single-index", 1.0, "relu")]),
    ("single-index:poly:0,1,1", [("single-index", 1.0, "poly:0,1,1")]),
    ("power-law:2", [("power-law", 1.0, 2.0)]),
    ("power-law:1.5", [("power-law", 1.0, 1.5)]),
    ("linear:1,0.5,-2", [("linear", 1.0, (1.0, 0.5, -2.0))]),
    ("degree:1 + 0.5*degree:2", [("degree", 1.0, 1), ("degree", 0.5, 2)]),
    ("degree:1+degree:3", [("degree", 1.0, 1), ("degree", 1.0, 3)]),
    ("2*single-index:tanh + 1e-3*degree:2", [("single-index", 2.0, "tanh"),
                                             ("degree", 1e-3, 2)]),
    ("1e+1*degree:1", [("degree", 10.0, 1)]),       # '+' of an exponent is not a sum
    ("-1*degree:1 + 3*energies:4=2", [("degree", -1.0, 1), ("energies", 3.0, ((4, "2"),))]),
    ("  degree : 2  ", [("degree", 1.0, 2)]),
])
def test_parse_forms(text, expected):
    t = parse_target(text)
    assert isinstance(t, Target)
    assert [(c.kind, c.weight, c.param) for c in t.components] == expected
    # the description parses back to the same target
    again = parse_target(str(t))
    assert [(c.kind, c.weight, c.param) for c in again.components] == \
        [(c.kind, c.weight, c.param) for c in t.components]
    assert parse_target(t) is t
    assert (t + parse_target("degree:5")).components[-1].param == 5


@pytest.mark.parametrize("text,match", [
    ("", "^target:"),
    ("   ", "^target:"),
    ("foo:1", "^target: unknown target form 'foo'"),
    ("degre:1", "^target: unknown target form 'degre'.*degree"),
    ("degree", "^target: cannot parse"),
    ("degree:x", "^target:.*integer"),
    ("degree:-1", "^target:.*>= 0"),
    ("degree:1.5", "^target:.*integer"),
    ("energies:0", "^target:.*BLOCK=ENERGY"),
    ("energies:0=-1", "^target:"),
    ("energies:0=nan", "^target:"),
    ("energies:0=inf", "^target:"),
    ("energies:-1=1", "^target:"),
    ("energies:0=1,0=2", "^target:.*twice"),
    ("energies:a=1", "^target:"),
    ("power-law:1", "^target:.*> 1"),
    ("power-law:0.5", "^target:.*> 1"),
    ("power-law:x", "^target:"),
    ("linear:a,b", "^target:"),
    ("x*degree:1", "^target:"),
    ("degree:1 + bogus", "^target:"),
    ("single-index:nope", "unknown activation 'nope'"),
])
def test_parse_errors(text, match):
    with pytest.raises(InvalidArgument, match=match):
        parse_target(text)


def test_parse_rejects_non_strings():
    for bad in (None, 3, ["degree:1"]):
        with pytest.raises(InvalidArgument, match="^target:"):
            parse_target(bad)


# Regression: non-finite linear coefficients used to be accepted, and the error came
# later from the bounds, naming an argument (--target-energy) the user never gave.
@pytest.mark.parametrize("text", ["linear:1,nan,2", "linear:1,inf,2"])
def test_parse_rejects_non_finite_linear_coefficients(text):
    with pytest.raises(InvalidArgument, match="^target:"):
        parse_target(text)


@pytest.mark.parametrize("text,spectrum", [
    ("energies:0=0", lambda: SphereSpectrum("relu", 6)),
    ("energies:0=0,3=0", lambda: SphereSpectrum("relu", 6)),
    ("0*degree:1", lambda: SphereSpectrum("relu", 6)),
    ("degree:1 + -1*degree:1", lambda: SphereSpectrum("relu", 6)),
    ("linear:0,0", lambda: LinearGaussianSpectrum([1, 2])),
    ("energies:1=0", lambda: FiniteSpectrum([1, 0.5])),
])
def test_zero_energy_is_refused(text, spectrum):
    with pytest.raises(InvalidArgument, match="^target:.*zero energy"):
        parse_target(text).bind(spectrum())
    with pytest.raises(InvalidArgument, match="^target:.*zero energy"):
        risk_curve(spectrum(), text, 1, [1.0])


@pytest.mark.parametrize("text,spectrum,match", [
    ("single-index:relu", lambda: FiniteSpectrum([1, 0.5]), "sphere"),
    ("linear:1,2", lambda: SphereSpectrum("relu", 3), "linear features"),
    ("linear:1,2", lambda: LinearGaussianSpectrum([1, 2, 3]), "3 coefficients"),
    ("power-law:2", lambda: SphereSpectrum("relu", 3), "block-indexed"),
    ("degree:5", lambda: FiniteSpectrum([1, 0.5]), "does not exist"),
])
def test_target_spectrum_mismatch(text, spectrum, match):
    with pytest.raises(InvalidArgument, match=f"^target:.*{match}"):
        parse_target(text).bind(spectrum())


# --------------------------------------------------------------------------------------
# Energies per block


def energies(bt, K):
    la, sg = bt.amplitudes(K)
    return np.exp(2 * np.asarray(la, dtype=float)), sg


def test_degree_and_energies_components_add_as_amplitudes():
    # All sphere components are zonal in one direction: degree-k parts add as signed
    # amplitudes a_k, B_k = a_k^2 (exact small numbers: 4 ulps).
    s = SphereSpectrum("relu", 5)
    B, sg = energies(parse_target("degree:1 + 0.5*degree:2").bind(s), 4)
    np.testing.assert_allclose(B, [0, 1, 0.25, 0], rtol=4 * EPS, atol=0)
    B, _ = energies(parse_target("degree:1 + degree:1").bind(s), 3)
    np.testing.assert_allclose(B, [0, 4, 0], rtol=4 * EPS)
    B, _ = energies(parse_target("energies:0=0.5,1=1,2=0.25 + degree:1").bind(s), 3)
    np.testing.assert_allclose(B, [0.5, 4, 0.25], rtol=4 * EPS)
    B, sg = energies(parse_target("-2*degree:3").bind(s), 4)
    np.testing.assert_allclose(B, [0, 0, 0, 4], rtol=4 * EPS)
    assert sg[3] == -1
    bt = parse_target("energies:0=0.5,1=1,2=0.25").bind(s)
    assert abs(math.exp(bt.log_total_energy()) - 1.75) <= 4 * EPS


@pytest.mark.parametrize("g,p,d", [("relu", 1, 6), ("relu", 1, 3), ("step", 0, 4),
                                   ("relu3", 3, 6), ("relu2", 2, 1000)])
def test_single_index_energies(g, p, d):
    # B_k = N(d,k) c_k(g)^2 against the closed-form reference (float64: log-Gamma sums of
    # magnitude ~(k+d) log(k+d), a few ulps each -> 16 eps (k+d) log(k+d) relative), and
    # sum_k B_k = E[g^2] = E|u|^{2p}/2 (the package sums the tail beyond its explicit
    # blocks; tolerance 1e-13 plus the tail's reported relative error).
    s = SphereSpectrum("relu", d)
    bt = parse_target(f"single-index:{g}").bind(s)
    K = 12
    B, _ = energies(bt, K)
    with mpmath.workdps(DPS):
        for k in range(K):
            ref = relu_power_energy(p, d, k)
            if ref == 0:
                assert B[k] == 0, k
            else:
                tol = 16 * EPS * (k + d) * math.log(k + d + 1)
                assert abs(B[k] / float(ref) - 1) <= tol, (k, B[k], ref)
        m2 = relu_power_second_moment(p, d)
    tail = bt.tail(bt.min_tail_start, 0, s.log_lambda_bar(bt.min_tail_start))
    total = math.exp(bt.log_total_energy())
    assert abs(total / float(m2) - 1) <= 1e-13 + tail.rel_error
    # weights scale energies by their squares
    bt2 = parse_target(f"3*single-index:{g}").bind(s)
    assert abs(math.exp(bt2.log_total_energy()) / (9 * total) - 1) <= 1e-14


def test_single_index_energy_30_digits():
    # At 30 digits: sum_k B_k = 1/(2d) for relu at d = 6 to 1e-28.
    p = w2s.Precision(30)
    bt = parse_target("single-index:relu").bind(SphereSpectrum("relu", 6))
    total = bt.log_total_energy(p)
    with mpmath.workdps(DPS):
        assert abs(mpmath.exp(total) * 12 - 1) <= mpmath.mpf(10) ** -28


def test_single_index_target_tail_moments():
    # U_q(K) = sum_{k >= K} B_k lambda_k^q, relu target on relu features (d = 6):
    # q = 0 by Parseval (E[g^2] - head), q >= 1 by a direct sum to K2 = 400 plus a
    # remainder in [0, U_0(K2) lambda_bar(K2)^q], lambda_bar(K2) = max(lambda_K2,
    # lambda_{K2+1}) (|c_k| decreases along each parity class: ratio (k-1)/(k+d+1)).
    d, K, K2 = 6, 10, 400
    s = SphereSpectrum("relu", d)
    bt = parse_target("single-index:relu").bind(s)
    log_bar = s.log_lambda_bar(K)
    tt = bt.tail(K, 3, log_bar)
    with mpmath.workdps(DPS):
        lam = [e_pk(1, k, d) ** 2 for k in range(K2 + 2)]
        B = [multiplicity(d, k) * lam[k] for k in range(K2 + 2)]
        U0 = relu_power_second_moment(1, d) - mpmath.fsum(B[:K])
        U0_K2 = relu_power_second_moment(1, d) - mpmath.fsum(B[:K2])
        bar = mpmath.exp(mpmath.mpf(log_bar))
        assert abs(mpmath.exp(tt.log_mass) / U0 - 1) <= 1e-13 + tt.rel_error
        for q in (1, 2, 3):
            head = mpmath.fsum(b * x ** q for b, x in zip(B[K:K2], lam[K:K2]))
            rem = U0_K2 * max(lam[K2], lam[K2 + 1]) ** q
            got = mpmath.exp(tt.log_mass) * tt.ratios[q] * bar ** q
            ref = head + rem / 2
            assert abs(got / ref - 1) <= 1e-12 + tt.rel_error + rem / ref, q
    assert tt.log_null == -np.inf


def test_single_index_tanh_numerical_energies():
    # tanh (quadrature coefficients) as a target on relu features, d = 4: its energy
    # E[tanh^2] (trapezoid reference to ~1e-40) and degree energies to 1e-12 (the package
    # computes these coefficients by quadrature at >= 30 digits and rounds to float64);
    # even degrees vanish (tanh is odd): the reference's |c_k| there is a rounding
    # residue ~1e-50, so those B_k are compared with absolute tolerance 1e-80.
    c, m2 = tanh_d4_reference()
    bt = parse_target("single-index:tanh").bind(SphereSpectrum("relu", 4))
    B, _ = energies(bt, 12)
    for k in range(12):
        ref = float(multiplicity(4, k) * c[k] ** 2)
        assert abs(B[k] - ref) <= 1e-12 * ref + 1e-80, k
    assert abs(math.exp(bt.log_total_energy()) / float(m2) - 1) <= 1e-12


def test_linear_target_energies():
    # B_i = sigma_i theta_i^2 (THEORY.md 1b): exact small numbers, 4 ulps.
    s = LinearGaussianSpectrum([4, 1, 0.25])
    bt = parse_target("linear:1,-2,3").bind(s)
    B, sg = energies(bt, 3)
    np.testing.assert_allclose(B, [4, 4, 2.25], rtol=4 * EPS)
    assert list(sg) == [1, -1, 1]
    assert abs(math.exp(bt.log_total_energy()) - 10.25) <= 8 * EPS * 10.25


def test_power_law_target_energies():
    # B_i = i^-beta on a power-law spectrum: total zeta(beta); tail U_q(K) = s^q
    # zeta(beta + alpha q, K + 1) (mpmath's Hurwitz zeta, an independent library).
    s = PowerLawSpectrum(2.0)
    bt = parse_target("power-law:3").bind(s)
    B, _ = energies(bt, 5)
    np.testing.assert_allclose(B, [i ** -3.0 for i in range(1, 6)], rtol=8 * EPS)
    assert abs(math.exp(bt.log_total_energy()) - float(mpmath.zeta(3))) <= 1e-14
    log_bar = s.log_lambda_bar(7)
    tt = bt.tail(7, 2, log_bar)
    for q in (0, 1, 2):
        ref = float(mpmath.zeta(3 + 2 * q, 8))
        got = math.exp(tt.log_mass) * float(tt.ratios[q]) * math.exp(q * log_bar)
        assert abs(got / ref - 1) <= 1e-13, q


def test_power_law_target_on_finite_spectrum_blocks():
    # On a finite spectrum a power-law target has B_i = i^-beta on its blocks; the risk
    # engine's target energy is their sum.
    s = FiniteSpectrum([1, 0.5, 0.1])
    c = risk_curve(s, "power-law:2", 1, [0.0])
    assert abs(c.target_energy - (1 + 1 / 4 + 1 / 9)) <= 8 * EPS
    assert abs(c.student_risk[0] - (1 + 1 / 4 + 1 / 9)) <= 8 * EPS


# Regression: BoundTarget.log_total_energy used to return -inf for a power-law target
# on a FiniteSpectrum (an empty head, and no tail since the target has a last block).
def test_power_law_target_on_finite_spectrum_total_energy():
    bt = parse_target("power-law:2").bind(FiniteSpectrum([1, 0.5, 0.1]))
    assert abs(math.exp(bt.log_total_energy()) - (1 + 1 / 4 + 1 / 9)) <= 8 * EPS


# --------------------------------------------------------------------------------------
# The irreducible floor


def test_floor_relu3_on_relu():
    # relu kernels have lambda_k = 0 for odd k >= 3; relu3 = u_+^3 has odd-degree energy
    # only at k = 1 and k = 3 (e_{3,k} = 0 for k > 3 odd), so the floor is exactly
    # N(d,3) e_{3,3}^2; it is reported by risk_curve with a warning, and every risk is
    # at least the floor.
    d = 6
    with mpmath.workdps(DPS):
        floor = float(relu_power_energy(3, d, 3))
        energy = float(relu_power_second_moment(3, d))
    with pytest.warns(IrreducibleFloorWarning, match="cannot represent"):
        c = risk_curve(activation="relu", dim=d, target="single-index:relu3",
                       teacher_width=50, times=[0, 10, 1e4, float("inf")])
    assert abs(c.floor / floor - 1) <= 1e-13
    assert abs(c.target_energy / energy - 1) <= 1e-13
    assert all(x >= c.floor * (1 - 1e-12) for x in c.student_risk)
    assert c.teacher_risk >= c.floor and c.optimal_student_risk >= c.floor * (1 - 1e-12)
    bt = parse_target("single-index:relu3").bind(SphereSpectrum("relu", d))
    assert abs(math.exp(bt.null_energy_head(12)) / floor - 1) <= 1e-13


def test_floor_tanh_on_relu():
    # tanh is odd: all its energy is in odd degrees; relu represents degree 1 only, so
    # floor = E[tanh^2] - N(4,1) c_1(tanh)^2 (trapezoid reference, ~1e-40).
    c_ref, m2 = tanh_d4_reference()
    floor = float(m2 - 4 * c_ref[1] ** 2)
    with pytest.warns(IrreducibleFloorWarning):
        c = risk_curve(activation="relu", dim=4, target="single-index:tanh",
                       teacher_width=20, times=[1.0])
    assert abs(c.floor / floor - 1) <= 1e-11


def test_floor_whole_target():
    # A degree-3 harmonic is invisible to relu features: floor = all of it, every risk 1.
    with pytest.warns(IrreducibleFloorWarning):
        c = risk_curve(activation="relu", dim=5, target="degree:3", teacher_width=20,
                       times=[0, 1, 1e6])
    assert c.floor == pytest.approx(1, abs=1e-15)
    assert c.teacher_risk == pytest.approx(1, abs=1e-15)
    assert all(x == pytest.approx(1, abs=1e-15) for x in c.student_risk)


@pytest.mark.parametrize("tgt,act", [("single-index:abs", "relu"), ("degree:2", "relu"),
                                     ("single-index:relu", "relu"), ("degree:3", "relu3")])
def test_no_floor_no_warning(tgt, act):
    # abs is even (relu represents every even degree), relu3 features have lambda_3 > 0.
    with warnings.catch_warnings():
        warnings.simplefilter("error", IrreducibleFloorWarning)
        c = risk_curve(activation=act, dim=5, target=tgt, teacher_width=20, times=[1.0])
    assert c.floor == 0
