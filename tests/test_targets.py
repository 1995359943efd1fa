"""Targets: parsing, the algebra of components, exact numbers, energies per block, tails
and the irreducible floor.

References are computed here: single-index energies B_k = N(d,k) c_k(g)^2 from the
closed form of e_{p,k} = E[u_+^p P_k(u)] (checked against quadrature in
test_spectra.py) and E[g^2] from Beta integrals (Parseval: sum_k B_k = E[g^2]); tanh by a
trapezoid rule on the periodic integrand in theta (u = cos theta); power laws by Hurwitz
zeta (mpmath) or direct sums. Float64 results are pinned bit for bit to those recorded
before targets became one class per kind (tests/data/targets_regression.json).
"""

from __future__ import annotations

import importlib.util
import json
import math
import pickle
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import mpmath
import numpy as np
import pytest

import w2s_theory as w2s
from w2s_theory import (FiniteSpectrum, InvalidArgument, IrreducibleFloorWarning,
                        LinearGaussianSpectrum, PowerLawSpectrum, SphereSpectrum, Target,
                        multiplicity, parse_target, risk_curve)
from w2s_theory._src.targets import (Component, Degree, Energies, Linear, Network,
                                     PowerLaw, SingleIndex, SphereParts)

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
    ("degree:1", Degree(1)),
    ("degree:0", Degree(0)),
    ("energies:0=0.5,1=1,2=0.25", Energies({0: "0.5", 1: 1, 2: "0.25"})),
    ("energies:2=0.25,0=0.5", Energies(((0, "0.5"), (2, "0.25")))),
    ("single-index:relu", SingleIndex("relu")),
    ("single-index:poly:0,1,1", SingleIndex("poly:0,1,1")),
    ("power-law:2", PowerLaw(2)),
    ("power-law:1.5", PowerLaw("1.5")),
    ("linear:1,0.5,-2", Linear((1, 0.5, -2))),
    ("degree:1 + 0.5*degree:2", Degree(1) + 0.5 * Degree(2)),
    ("degree:1+degree:3", Degree(1) + Degree(3)),
    ("2*single-index:tanh + 1e-3*degree:2", 2 * SingleIndex("tanh")
     + Fraction(1, 1000) * Degree(2)),
    ("1e+1*degree:1", 10 * Degree(1)),             # '+' of an exponent is not a sum
    ("-1*degree:1 + 3*energies:4=2", -Degree(1) + 3 * Energies({4: 2})),
    ("  degree : 2  ", Degree(2)),
    ("1/3*degree:1", Fraction(1, 3) * Degree(1)),
    ("singleindex:ReLU + powerlaw:2", SingleIndex("relu") + PowerLaw(2)),   # aliases
])
def test_parse_forms(text, expected):
    t = parse_target(text)
    assert isinstance(t, Target)
    assert t == parse_target(expected)
    # the description parses back to the same target
    again = parse_target(str(t))
    assert again == t and hash(again) == hash(t)
    assert parse_target(t) is t
    assert (t + parse_target("degree:5")).components[-1] == Degree(5)


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
    ("1/0*degree:1", "^target: bad weight"),
    ("power-law:1/0", "^target: power-law exponent must be a finite number"),
    # an unknown activation is the target's error (it used to name --activation)
    ("single-index:nope", "^target: unknown activation 'nope'"),
    ("single-index:rleu", "^target: unknown activation 'rleu' .did you mean relu"),
    ("2*single:relu + energies:1=x", "^target: energy must be a finite number, got 'x'"),
])
def test_parse_errors(text, match):
    with pytest.raises(InvalidArgument, match=match) as exc:
        parse_target(text)
    assert exc.value.argument == "target" and "\n" not in str(exc.value)


@pytest.mark.parametrize("make,match", [
    (lambda: Degree(-1), ">= 0"),
    (lambda: Degree(1.5), "integer"),
    (lambda: Degree(True), "integer"),
    (lambda: Energies({}), "at least one"),
    (lambda: Energies({0: -1}), ">= 0"),
    (lambda: Energies([(0, 1), (0, 2)]), "twice"),
    (lambda: Energies(3), "pairs"),
    (lambda: Energies({0: float("nan")}), "energy must be a finite number"),
    (lambda: Linear(()), "at least one"),
    (lambda: Linear((1, math.inf)), "linear coefficient must be a finite number"),
    (lambda: PowerLaw(1), "> 1"),
    (lambda: PowerLaw("x"), "finite number"),
    (lambda: SingleIndex("nope"), "unknown activation 'nope'"),
    (lambda: SingleIndex(3), "a name or a callable"),
    (lambda: Degree(1, weight=math.nan), "weight"),
    (lambda: Degree(1) * math.inf, "weight"),
    (lambda: Target(()), "at least one component"),
    (lambda: Target(["degree:1"]), "expected target components"),
])
def test_constructor_errors_name_the_target(make, match):
    with pytest.raises(InvalidArgument, match=f"^target: .*{match}") as exc:
        make()
    assert exc.value.argument == "target" and "\n" not in str(exc.value)


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
# One class per kind, composed with + and numbers (scikit-learn style): every check below
# runs on every example, and the examples cover every registered kind.

EXAMPLES = [
    Degree(1),
    Degree(0, weight="0.1"),
    -2 * Degree(3),
    Energies({0: "0.5", 1: 1, 2: "0.25"}),
    Energies({3: Fraction(1, 3)}, weight=np.float64(0.5)),
    SingleIndex("relu"),
    3 * SingleIndex("poly:0,1,1"),
    PowerLaw("1.5"),
    0.7 * PowerLaw(3),
    Linear((1, "-0.5", Fraction(1, 3))),
    Degree(1) + 0.5 * Degree(2),
    Fraction(1, 3) * (SingleIndex("tanh") + Energies({4: "1e-30"})),
    Linear((1, 2)) + 1e-3 * Degree(0) - PowerLaw(2),
    Network("relu", width=3, seed=2),
    0.5 * Network("abs", width=2, standardize=True) + Degree(1),
]


def _ids(x):
    return str(x)


def test_examples_cover_every_kind():
    kinds = {type(c) for ex in EXAMPLES for c in parse_target(ex).components}
    assert kinds == set(Component.forms.values())


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_str_round_trips_through_parse(example):
    t = parse_target(example)
    text = str(example)
    assert str(t) == text and parse_target(text) == t
    assert str(parse_target(text)) == text


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_hash_equality_and_pickling(example):
    t = parse_target(example)
    again = parse_target(str(t))
    assert again == t and hash(again) == hash(t) and len({t, again}) == 1
    assert pickle.loads(pickle.dumps(t)) == t
    assert pickle.loads(pickle.dumps(example)) == example
    assert 2 * t != t and t + t != t


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_algebra(example):
    # + concatenates, numbers multiply the weights, - is + (-1)*
    t = parse_target(example)
    d = Degree(2)
    assert (t + d).components == t.components + (d,)
    assert (d + example).components == (d,) + t.components
    assert 2 * (t + d) == 2 * t + 2 * d == (t + d) * 2
    assert Fraction(1, 2) * (4 * t) == 2 * t == np.float64(2.0) * t
    assert [c.weight for c in (-t).components] == [-c.weight for c in t.components]
    assert t - d == t + (-1) * d
    assert sum([example, d]) == t + d
    assert 1 * example == example


def test_numbers_are_exact():
    # a decimal string, a DecimalFloat, a float (read as its repr), an int and a Fraction
    from w2s_theory._src.errors import DecimalFloat

    tenth = [Degree(1, weight=x).weight for x in ("0.1", DecimalFloat("0.1"), 0.1,
                                                   Fraction(1, 10), np.float64(0.1))]
    assert tenth == [Fraction(1, 10)] * 5
    assert (0.1 * Degree(1)).weight * 10 == 1
    assert float(Degree(1, weight="1e-3").weight) == 1e-3
    assert Degree(1, weight=Fraction(0.1)).weight != Fraction(1, 10)     # the binary 0.1
    assert str(Degree(1, weight=Fraction(0.1))) == \
        "0.1000000000000000055511151231257827021181583404541015625*degree:1"
    assert str(Energies({0: "1e-30"})) == "energies:0=1e-30"


def test_a_new_kind_registers_itself():
    @dataclass(frozen=True)
    class Block(Component):
        """A toy kind: unit energy in block ``k`` (as Degree), under another form name."""

        form: ClassVar[str] = "test-block"
        k: int

        @classmethod
        def parse(cls, argument):
            return cls(int(argument))

        def argument(self):
            return str(self.k)

        @property
        def max_block(self):
            return self.k

        def amplitudes(self, spectrum, K, precision):
            return [(self.k, precision.scalar(1))] if self.k < K else []

    try:
        t = parse_target("0.5*test-block:1 + degree:1")
        assert t == 0.5 * Block(1) + Degree(1) and str(t) == "0.5*test-block:1 + degree:1"
        la, sg = t.bind(FiniteSpectrum([1, 1])).amplitudes(2)
        assert list(sg) == [0, 1] and abs(math.exp(2 * la[1]) - 2.25) <= 4 * EPS
        with pytest.raises(InvalidArgument, match="^target: test-block targets are not on"):
            Block(1).sphere_parts()
        with pytest.raises(InvalidArgument, match="^target: block 2 does not exist"):
            Block(2).bind(FiniteSpectrum([1, 1]))
        with pytest.raises(TypeError, match="already"):
            @dataclass(frozen=True)
            class Other(Block):
                form: ClassVar[str] = "degree"
    finally:
        Component.forms.pop("test-block", None)


def test_sphere_parts_for_the_exact_simulator():
    # what simulation.families.SphereFamily builds its target from
    assert (0.5 * Degree(2)).sphere_parts() == SphereParts(poly=((2, 0.5),))
    assert Energies({0: "0.25", 3: 4}).sphere_parts().poly == ((0, 0.5), (3, 2.0))
    [(v, g)] = (2 * SingleIndex("relu")).sphere_parts().ridges
    assert v == 2.0 and g.name == "relu"
    for c in (PowerLaw(2), Linear((1,))):
        with pytest.raises(InvalidArgument, match="^target: .* not on the sphere"):
            c.sphere_parts()


# --------------------------------------------------------------------------------------
# Exact numbers at high precision


def _decimal_cases():
    """(spectrum, target text, builder from a number type, quantity) with decimal
    weights, energies, coefficients and exponents."""
    def total(bt, p):
        with mpmath.workdps(80):
            return [mpmath.exp(mpmath.mpf(bt.log_total_energy(p)))]

    def amps(bt, p):
        la, sg = bt.amplitudes(6, p)
        with mpmath.workdps(80):
            return [s * mpmath.exp(mpmath.mpf(a)) for a, s in zip(la, sg) if s != 0]

    return [
        (lambda: SphereSpectrum("relu", 6),
         "0.1*degree:1 + energies:0=0.3,2=0.7 + 0.3*single-index:relu",
         lambda n: n("0.1") * Degree(1) + Energies({0: n("0.3"), 2: n("0.7")})
         + n("0.3") * SingleIndex("relu"), amps),
        (lambda: LinearGaussianSpectrum([1, 2, 4]),
         "linear:0.1,-0.2,0.3 + 0.7*power-law:1.3",
         lambda n: Linear((n("0.1"), n("-0.2"), n("0.3"))) + n("0.7") * PowerLaw(n("1.3")),
         total),
        (lambda: PowerLawSpectrum(2), "0.3*power-law:1.1",
         lambda n: n("0.3") * PowerLaw(n("1.1")), total),
        (lambda: FiniteSpectrum([1, 0.5, 0.25]), "energies:0=0.1,2=0.2 + 0.1*degree:1",
         lambda n: Energies({0: n("0.2") / 2, 2: n("0.2")}) + n("0.1") * Degree(1), total),
    ]


@pytest.mark.parametrize("case", range(4))
def test_decimal_numbers_are_exact_at_high_precision(case):
    # The target written with decimals equals the one built from exact Fractions; at 40
    # and 60 digits its values agree to 38 digits, and the same target built from the
    # float64-rounded decimals differs beyond digit 17 (so a conversion of any of its
    # numbers through float64 fails here).
    spectrum, text, build, quantity = _decimal_cases()[case]
    exact_t = parse_target(build(lambda s: Fraction(s)))
    rounded_t = parse_target(build(lambda s: Fraction(float(s))))
    assert parse_target(text) == exact_t != rounded_t
    sp = spectrum()
    p40, p60 = w2s.Precision(40), w2s.Precision(60)
    x40 = quantity(parse_target(text).bind(sp), p40)
    x60 = quantity(exact_t.bind(sp), p60)
    r40 = quantity(rounded_t.bind(sp), p40)
    with mpmath.workdps(80):
        for a, b, r in zip(x40, x60, r40, strict=True):
            assert abs(a / b - 1) <= mpmath.mpf(10) ** -38
            assert mpmath.mpf(10) ** -25 < abs(r / a - 1) < 1e-15


# --------------------------------------------------------------------------------------
# Bit for bit: float64 (and some 30-digit) results recorded before the refactor

_DATA = Path(__file__).parent / "data"


def _regression_module():
    spec = importlib.util.spec_from_file_location(
        "make_targets_regression", _DATA / "make_targets_regression.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_REGRESSION = json.loads((_DATA / "targets_regression.json").read_text())["cases"]


@pytest.mark.parametrize("case", _REGRESSION,
                         ids=lambda c: f"{c['spectrum']}:{c['target']}")
def test_results_unchanged_bit_for_bit(case):
    # amplitudes, total energy, tails: repr of every float64 identical (30-digit strings
    # for the cases recorded at 30 digits)
    mod = _regression_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IrreducibleFloorWarning)
        assert mod.record(case["spectrum"], case["target"], w2s.Precision()) == \
            case["float64"]
        if "digits30" in case:
            assert mod.record(case["spectrum"], case["target"], w2s.Precision(30)) == \
                case["digits30"]


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
