r"""The symbolic layer (issue 6): every registry expression against independent numerics.

``CHECKS`` maps each registry name to the check of its lambdified forms
(``symbolic.numpy_function`` / ``symbolic.mpmath_function``) against a computation that
does not go through the registry: exact integers and recurrences of ``sphere``,
Funk-Hecke quadrature (``funk_hecke``), the kernels module, Mercer series and a direct
angular integral, the risk engine (``risk_curve``) on finite spectra and on relu
spectra along the two asymptotic limits, the real-axis reference of the finite-width
student (``tests/_finite_student_reference.py``, ``THEORY.md`` 3b),
``bounds.student_bound``. One parametrized test runs them all, and
``test_every_registry_name_is_checked`` fails when an entry is added without a check. The rest of the file: API errors, the drift test of
``docs/formulas.md``, and ``w2s latex`` (the whole document written by a subprocess and
compiled by pdflatex; the other command-line checks through the same entry point
in-process).

Tolerances. float64 comparisons of closed forms: a lambdified closed form is a product
of a handful of Gamma/power/elementary values, each within a few ulps (~1e-15 relative
for scipy's gamma at arguments < 170), so 1e-12 relative leaves a margin of 100 or more;
where a formula cancels, the tolerance carries the cancellation factor (written at the
check). mpmath comparisons run at 30 digits (``mpmath.workdps(30)``) and ask for 25: the
independent computation is itself good to ~1e-30 (its reported error, asserted) and the
closed form loses at most a few digits to its own roundings. Asymptotic expansions are
checked by their rate: the ratio of successive errors against the predicted factor, with
the slack stated at each check.
"""

from __future__ import annotations

import functools
import math
import re
import shutil
import subprocess
import sys
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import optimize

from w2s_theory._src import bounds, kernels, sphere, symbolic
from w2s_theory._src.activations import PiecewisePower
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.funk_hecke import funk_hecke_coefficients
from w2s_theory._src.precision import Precision
from w2s_theory._src.spectra import FiniteSpectrum
from w2s_theory._src.symbolic.document import latex_document, markdown_reference
from w2s_theory._src.targets import IrreducibleFloorWarning
from w2s_theory._src.theory import risk_curve

import _finite_student_reference as FSR  # tests/ is on sys.path (conftest.py)

ROOT = Path(__file__).resolve().parent.parent
W2S = [sys.executable, "-m", "w2s_theory._src.cli.main"]
EPS = np.finfo(float).eps
TINY25 = mpmath.mpf(10) ** -25

#: registry name -> check(name); filled by @checks below
CHECKS: dict = {}


def checks(*names):
    def deco(fn):
        for n in names:
            assert n not in CHECKS, n
            CHECKS[n] = fn
        return fn
    return deco


def rng_for(name: str) -> np.random.Generator:
    """A seeded generator per check (reproducible, different for every entry)."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def npf(name, **structural):
    return symbolic.numpy_function(name, **structural)


def mpf_(name, **structural):
    return symbolic.mpmath_function(name, **structural)


# ======================================================================================
# Sphere


@checks("multiplicity")
def check_multiplicity(name):
    rng = rng_for(name)
    f, g = npf(name), mpf_(name)
    ks = np.arange(0, 45)
    for d in [2, 3, 4] + rng.integers(5, 80, size=5).tolist():
        exact = [sphere.multiplicity(d, int(k)) for k in ks]
        # float: N up to ~1e30 from scipy's binom (Gamma/Beta based, ~1e-14 relative)
        np.testing.assert_allclose(f(dim=d, degree=ks), np.array(exact, dtype=float),
                                   rtol=1e-12, err_msg=f"d = {d}")
        with mpmath.workdps(30):
            for k in rng.choice(ks, 6):
                assert abs(g(dim=d, degree=int(k)) - exact[k]) <= TINY25 * exact[k]
        # the exact sympy value after substitution is the integer itself
        k = int(rng.integers(0, 30))
        assert symbolic.expression(name, dim=d, degree=k) == exact[k]


@checks("gegenbauer")
def check_gegenbauer(name):
    rng = rng_for(name)
    f, g = npf(name), mpf_(name)
    for d in [3, 4] + rng.integers(5, 40, size=4).tolist():
        u = np.concatenate([rng.uniform(-1, 1, 6), [-1.0, 0.0, 1.0]])
        P = sphere.gegenbauer(40, u, d)          # three-term recurrence
        got = f(dim=d, degree=np.arange(41)[:, None], u=u[None, :])
        # |P_k| <= 1 on [-1, 1]; both sides accumulate O(k) roundings of O(1) terms:
        # k eps ~ 1e-14, so 1e-12 absolute is a 100-fold margin
        np.testing.assert_allclose(got, P, rtol=0, atol=1e-12, err_msg=f"d = {d}")
        with mpmath.workdps(30):
            uu = [mpmath.mpf(int(x)) / 1024 for x in rng.integers(-1024, 1025, 3)]
            Pm = sphere.gegenbauer(25, np.array(uu, dtype=object), d, Precision(30))
            for k in range(0, 26, 5):
                for j, x in enumerate(uu):
                    assert abs(g(dim=d, degree=k, u=x) - Pm[k][j]) <= TINY25


@checks("u_density")
def check_u_density(name):
    rng = rng_for(name)
    f, g = npf(name), mpf_(name)
    for d in [2, 3] + rng.integers(4, 60, size=4).tolist():
        u = rng.uniform(-0.99, 0.99, 20)
        # exponent (d-3)/2 times |log(1-u^2)| <= 4: <= 2 d ulps of relative error
        np.testing.assert_allclose(f(dim=d, u=u), sphere.u_density(u, d),
                                   rtol=1e-12, err_msg=f"d = {d}")
    # normalisation and E u^2 = 1/d (sum of the d squared coordinates is 1), by
    # tanh-sinh quadrature. At d = 2 the integrand (1 - u^2)^(-1/2) is evaluated at nodes
    # within 1e-20 of +-1, where 1 - u^2 keeps only (digits - 20) digits: 50 digits
    # make that ~1e-30, and 25 are asked for
    with mpmath.workdps(50):
        for d in (2, 3, 4, 7, 20):
            mass = mpmath.quad(lambda x: g(dim=d, u=x), [-1, 0, 1])
            second = mpmath.quad(lambda x: x * x * g(dim=d, u=x), [-1, 0, 1])
            assert abs(mass - 1) <= TINY25, d
            assert abs(second * d - 1) <= TINY25, d


# ======================================================================================
# Activations: closed-form Funk-Hecke coefficients against quadrature

def _mp_pos(u):
    return u if u > 0 else mpmath.mpf(0)


# name -> (float function, mpmath function); written here, not taken from activations
ACTIVATIONS = {
    "funk_hecke_relu": (lambda u: np.maximum(u, 0), _mp_pos),
    "funk_hecke_step": (lambda u: (u > 0).astype(float),
                        lambda u: mpmath.mpf(1) if u > 0 else mpmath.mpf(0)),
    "funk_hecke_relu2": (lambda u: np.maximum(u, 0) ** 2, lambda u: _mp_pos(u) ** 2),
    "funk_hecke_relu3": (lambda u: np.maximum(u, 0) ** 3, lambda u: _mp_pos(u) ** 3),
    "funk_hecke_abs": (np.abs, abs),
    "funk_hecke_sign": (np.sign, lambda u: mpmath.mpf(mpmath.sign(u))),
    "funk_hecke_leaky_relu": (lambda u: np.where(u > 0, u, u / 100),
                              lambda u: u if u > 0 else u / 100),
}


@functools.lru_cache(maxsize=None)
def quadrature_coefficients(key, d, k_max=10):
    """``c_0..c_kmax`` at 30 digits by tanh-sinh quadrature, with the scales
    ``sqrt(E sigma^2 / N(d, k)) >= E|sigma P_k|`` (Cauchy-Schwarz, ``E P_k^2 = 1/N``)."""
    if key == "pos^0":                           # u_+^0 is the step, 0 for u <= 0
        func, mp = ACTIVATIONS["funk_hecke_step"]
    elif key.startswith("pos^"):
        p = int(key[4:])
        func, mp = (lambda u: np.maximum(u, 0) ** p), (lambda u: _mp_pos(u) ** p)
    elif key.startswith("mono^"):
        p = int(key[5:])
        func, mp = (lambda u: u ** p), (lambda u: u ** p)
    else:
        func, mp = ACTIVATIONS[key]
    r = funk_hecke_coefficients(func, d, k_max, Precision(30), mp_func=mp)
    with mpmath.workdps(30):
        scale = [mpmath.sqrt(r.second_moment / sphere.multiplicity(d, k))
                 for k in range(k_max + 1)]
    # the quadrature meets 1e-30 relative to those scales (its own error estimate)
    assert all(e <= 1e-28 * float(s) for e, s in zip(r.errors, scale))
    return list(r.coefficients), scale


def _compare_coefficients(name, key, dims, square=False, **structural):
    f, g = npf(name, **structural), mpf_(name, **structural)
    ks = np.arange(11)
    for d in dims:
        c, scale = quadrature_coefficients(key, d)
        with mpmath.workdps(30):
            want = [x * x for x in c] if square else c
            # |c^2 - q^2| <= |c - q| (2|q| + |c - q|) and 2 s |q| <= s^2 + q^2
            sc = [2 * s * s for s in scale] if square else scale
        got = f(dim=d, degree=ks)
        for k in ks:
            # float: ~6 Gamma values, ~1e-14; zero coefficients come out exactly 0
            assert abs(got[k] - float(want[k])) <= 1e-12 * (abs(float(want[k]))
                                                            + float(sc[k])), (d, k)
        with mpmath.workdps(30):
            for k in ks:
                v = g(dim=d, degree=int(k))
                assert abs(v - want[k]) <= TINY25 * (abs(want[k]) + sc[k]), (d, k)


def _dims(name, n=2):
    return [2] + sorted(rng_for(name).choice(np.arange(3, 40), n, replace=False).tolist())


@checks(*ACTIVATIONS)
def check_funk_hecke_family(name):
    _compare_coefficients(name, name, _dims(name))


@checks("relu_power_coefficient")
def check_relu_power_coefficient(name):
    for p in (0, 2, 5):
        _compare_coefficients(name, f"pos^{p}", _dims(name + str(p), 1), power=p)


@checks("funk_hecke_monomial")
def check_monomial(name):
    for p in (1, 4, 5):
        _compare_coefficients(name, f"mono^{p}", _dims(name + str(p), 1), power=p)
    # a polynomial of degree p has no harmonics above p: exactly zero
    assert symbolic.expression(name, power=3, dim=7, degree=5) == 0


@checks("eigenvalue_relu")
def check_eigenvalue_relu(name):
    _compare_coefficients(name, "funk_hecke_relu", _dims(name), square=True)


# ======================================================================================
# Kernels: arc-cosine closed forms

def kernel_angular(p, d, u):
    r""":math:`\kappa_p(u)` at the current mpmath precision, by quadrature.

    Project ``w`` on the plane of ``x, x'``: radius ``rho`` and a uniform angle ``phi``,
    independent; ``rho^2 = w_1^2 + w_2^2 ~ Beta(1, (d-2)/2)`` (``rho = 1`` at ``d = 2``),
    so :math:`E\rho^{2p} = \Gamma(p+1)\Gamma(d/2)/\Gamma(d/2+p)`, and with
    ``theta = arccos u`` both ``cos(phi)`` and ``cos(phi - theta)`` are positive exactly
    on ``(theta - pi/2, pi/2)``:
    :math:`\kappa_p(u) = E\rho^{2p}\,\frac{1}{2\pi}\int_{\theta-\pi/2}^{\pi/2}
    \cos^p\varphi\cos^p(\varphi-\theta)\,d\varphi`.
    """
    u = mpmath.mpf(u)
    theta = mpmath.acos(u)
    radial = mpmath.gamma(p + 1) * mpmath.gamma(mpmath.mpf(d) / 2) / mpmath.gamma(
        mpmath.mpf(d) / 2 + p)
    ang = mpmath.quad(lambda t: (mpmath.cos(t) * mpmath.cos(t - theta)) ** p,
                      [theta - mpmath.pi / 2, mpmath.pi / 2])
    return radial * ang / (2 * mpmath.pi)


def mercer_check(f_numpy, p, d, us, K=2000):
    """``kappa_p(u) = sum_k N(d,k) c_k^2 P_k(u)`` with the Funk-Hecke coefficients of
    ``u_+^p`` (in log form from the activations module, the same closed form as the
    ``relu_power_coefficient`` entry, which is checked against quadrature), truncated at
    ``K``. Since ``|P_k| <= 1`` the omitted part is at most
    ``T_K = E[u_+^{2p}] - sum_{k<K} N c_k^2``, with ``E[u_+^{2p}]`` by quadrature of the
    unnormalised density."""
    # log-space coefficients of the activations module (the lambdified Gamma ratios
    # overflow float64 beyond k ~ 300)
    log_c, _ = PiecewisePower((0,) * p + (1,)).log_abs_coefficients(d, K - 1)
    energies = np.exp(2 * np.asarray(log_c, dtype=float)
                      + sphere.log_multiplicities(d, np.arange(K)))
    with mpmath.workdps(30):
        w = lambda x: (1 - x * x) ** (mpmath.mpf(d - 3) / 2)     # noqa: E731
        second = float(mpmath.quad(lambda x: x ** (2 * p) * w(x), [0, 1])
                       / mpmath.quad(w, [-1, 0, 1]))
    tail = second - math.fsum(energies)
    assert tail >= -1e-14 * second            # Parseval: the partial sums stay below
    P = sphere.gegenbauer(K - 1, us, d)
    series = np.array([math.fsum(energies * P[:, j]) for j in range(len(us))])
    np.testing.assert_allclose(f_numpy(dim=d, u=us), series, rtol=0,
                               atol=max(tail, 0) + 1e-12 * second)
    return tail / second


def _check_kernel(name, p, **structural):
    rng = rng_for(name + str(p))
    f, g = npf(name, **structural), mpf_(name, **structural)
    act = {0: "step", 1: "relu"}.get(p, f"relu^{p}")
    for d in [2, 3] + rng.integers(4, 30, size=2).tolist():
        us = np.concatenate([rng.uniform(-1, 1, 8), [-1.0, 0.0, 1.0]])
        k1 = float(kernel_angular(p, d, 1))
        # kernels module (float64): the arc-cosine forms A + B sqrt(1-u^2) + C (pi - acos u)
        # have O(1) rational coefficients, so both codes err by a few ulps of kappa(1)
        ref = kernels.kernel(act, d)(us)
        np.testing.assert_allclose(f(dim=d, u=us), ref, rtol=0, atol=1e-12 * k1)
        kp = kernels.kernel(act, d, Precision(30))
        with mpmath.workdps(30):
            for x in [mpmath.mpf(int(v)) / 256 for v in rng.integers(-256, 257, 3)] + [1]:
                want = kernel_angular(p, d, x)
                assert abs(g(dim=d, u=x) - want) <= TINY25 * k1, (d, x)
                assert abs(kp(x) - want) <= TINY25 * k1, (d, x)
    # Mercer series: needs the harmonics to decay, d >= 3
    rel_tail = mercer_check(f, p, int(rng.integers(3, 8)), np.array([-1.0, -0.4, 0.3, 1.0]))
    assert rel_tail < (1e-2 if p == 0 else 1e-6)      # the check has teeth


@checks("kernel_relu")
def check_kernel_relu(name):
    _check_kernel(name, 1)


@checks("kernel_step")
def check_kernel_step(name):
    _check_kernel(name, 0)


@checks("kernel_relu_power")
def check_kernel_relu_power(name):
    for p in (2, 3):
        _check_kernel(name, p, power=p)
    for p, other in ((0, "kernel_step"), (1, "kernel_relu")):
        assert sp.simplify(symbolic.get_entry(name).build(power=p)
                           - symbolic.expression(other)) == 0


# ======================================================================================
# Deterministic equivalents over a FiniteSpectrum, against the risk engine

DE_TIMES = (0.0, 0.75, 20.0, 3000.0, math.inf)


@functools.lru_cache(maxsize=None)
def de_setting(seed=7):
    """A random finite spectrum (dyadic values, exact in float64 and in decimal, so the
    30-digit engine and the 30-digit lambdified functions read the same numbers), a
    zero-eigenvalue block holding energy (the floor B_null), and the engine's results
    in float64 and at 30 digits."""
    rng = np.random.default_rng(seed)
    n = 14
    lam = [float(m) * 2.0 ** -int(e) for m, e in zip(rng.integers(1, 16, n),
                                                      rng.integers(0, 15, n))]
    mult = [int(x) for x in rng.integers(1, 40, n)]
    B = [float(x) / 64 for x in rng.integers(0, 64, n)]
    B[3] = 0.0                                           # a block without energy
    lam.append(0.0), mult.append(3), B.append(0.375)    # the null block
    spec = FiniteSpectrum(lam, mult)
    M = int(rng.integers(spec.rank() // 4, spec.rank() // 2))
    target = "energies:" + ",".join(f"{i}={b!r}" for i, b in enumerate(B) if b > 0)
    out = {}
    for digits in (None, 30):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IrreducibleFloorWarning)
            out[digits] = risk_curve(spec, target=target, teacher_width=M,
                                     times=list(DE_TIMES), optimal_stopping=False,
                                     precision=digits)
    pos = [i for i, x in enumerate(lam) if x > 0]
    return {"lam": np.array([lam[i] for i in pos]), "N": np.array([mult[i] for i in pos],
                                                                   dtype=float),
            "B": np.array([B[i] for i in pos]), "B_null": 0.375, "M": M, "curve": out}


# Float64 against the engine: the engine matches an independent transcription to 1e-11
# (tests/test_theory.py); the lambdified sums add positive terms (a few ulps each) and nu
# enters with condition |d log L / d log nu| = O(1): 1e-10 relative.
DE_RTOL = 1e-10


def de_args(s, mp=False):
    """Per-degree arrays and the engine's nu (float, or 30-digit mpf lists)."""
    c = s["curve"][30 if mp else None]
    if not mp:
        return dict(eigenvalue=s["lam"], multiplicity=s["N"], energy=s["B"],
                    nu=float(c.nu_teacher))
    conv = lambda a: [mpmath.mpf(repr(float(x))) for x in a]       # noqa: E731  (exact)
    return dict(eigenvalue=conv(s["lam"]), multiplicity=conv(s["N"]), energy=conv(s["B"]),
                nu=c.nu_teacher)


def sums(s, mp=False):
    """S and D_2 from their registry summands."""
    a = de_args(s, mp)
    if mp:
        S = mpmath.fsum(mpf_("s_summand")(eigenvalue=a["eigenvalue"], energy=a["energy"],
                                          nu=a["nu"]))
        D2 = mpmath.fsum(mpf_("d2_summand")(eigenvalue=a["eigenvalue"],
                                            multiplicity=a["multiplicity"], nu=a["nu"]))
        return S, D2
    S = np.sum(npf("s_summand")(eigenvalue=a["eigenvalue"], energy=a["energy"], nu=a["nu"]))
    D2 = np.sum(npf("d2_summand")(eigenvalue=a["eigenvalue"], multiplicity=a["multiplicity"],
                                  nu=a["nu"]))
    return S, D2


def student(s, t, mp=False, S=None, D2=None, name="student_risk"):
    a = de_args(s, mp)
    S0, D20 = sums(s, mp)
    S, D2 = (S0 if S is None else S), (D20 if D2 is None else D2)
    kw = dict(a, time=t, s_sum=S, d2_sum=D2, teacher_width=s["M"])
    if name == "student_risk":
        f = mpf_(name) if mp else npf(name)
        return f(**kw, null_energy=s["B_null"])
    f = mpf_(name) if mp else npf(name)
    v = f(**kw)
    return (mpmath.fsum(v) if mp else np.sum(v)) + s["B_null"]


def close(a, b, rtol):
    return abs(a - b) <= rtol * abs(b)


@checks("width_equation", "width_summand")
def check_width_equation(name):
    s = de_setting()
    a = de_args(s)
    M = s["M"]
    if name == "width_summand":
        total = np.sum(npf(name)(eigenvalue=a["eigenvalue"], multiplicity=a["multiplicity"],
                                 nu=a["nu"]))
        assert close(total, M, DE_RTOL)
        with mpmath.workdps(30):
            b = de_args(s, mp=True)
            v = mpf_(name)(eigenvalue=b["eigenvalue"], multiplicity=b["multiplicity"],
                           nu=b["nu"])
            assert close(mpmath.fsum(v), M, TINY25)
        return
    f = npf(name)

    def residual(log_nu):
        return f(eigenvalue=a["eigenvalue"], multiplicity=a["multiplicity"],
                 nu=math.exp(log_nu), teacher_width=M)

    assert abs(residual(math.log(a["nu"]))) <= DE_RTOL * M
    # its root found here by brentq (the sum decreases from the rank to 0 in nu)
    root = math.exp(optimize.brentq(residual, -40, 20, xtol=1e-14, rtol=1e-15))
    assert close(root, a["nu"], DE_RTOL)
    with mpmath.workdps(30):
        b = de_args(s, mp=True)
        r = mpf_(name)(eigenvalue=b["eigenvalue"], multiplicity=b["multiplicity"],
                       nu=b["nu"], teacher_width=M)
        assert abs(r) <= TINY25 * M
        r2 = mpf_(name)(eigenvalue=b["eigenvalue"], multiplicity=b["multiplicity"],
                        nu=b["nu"] * (1 + mpmath.mpf(10) ** -20), teacher_width=M)
        assert abs(r2) > 100 * TINY25 * M                      # sensitive to nu


@checks("shrinkage", "teacher_risk_summand", "teacher_risk")
def check_teacher_risk(name):
    s = de_setting()
    for mp in (False, True):
        with mpmath.workdps(30):
            a = de_args(s, mp)
            want = s["curve"][30 if mp else None].teacher_risk
            rtol = TINY25 if mp else DE_RTOL
            f = mpf_(name) if mp else npf(name)
            tot = (mpmath.fsum if mp else np.sum)
            if name == "shrinkage":
                sk = f(eigenvalue=a["eigenvalue"], nu=a["nu"])
                got = tot([x * b for x, b in zip(sk, a["energy"])]) + s["B_null"]
            elif name == "teacher_risk_summand":
                got = tot(f(eigenvalue=a["eigenvalue"], energy=a["energy"], nu=a["nu"])) \
                    + s["B_null"]
            else:
                got = f(eigenvalue=a["eigenvalue"], energy=a["energy"], nu=a["nu"],
                        null_energy=s["B_null"])
            assert close(got, want, rtol), (name, mp)


@checks("s_summand", "d2_summand")
def check_spectral_sums(name):
    # S and D_2 enter L_S(t) only through F_k: the student matches the engine with the
    # summed values and not with a value 1% off (so the sums are what the engine uses)
    s = de_setting()
    S, D2 = sums(s)
    a = de_args(s)
    # M - D_2 = nu sum_k N_k lambda_k/(lambda_k+nu)^2 at the root of the width equation
    gap = a["nu"] * np.sum(a["multiplicity"] * a["eigenvalue"]
                           / (a["eigenvalue"] + a["nu"]) ** 2)
    assert abs((s["M"] - D2) - gap) <= DE_RTOL * s["M"]
    want = s["curve"][None].student_risk[2]
    assert close(student(s, DE_TIMES[2]), want, DE_RTOL)
    bad = dict(S=S * 1.01) if name == "s_summand" else dict(D2=D2 + 0.01 * (s["M"] - D2))
    assert not close(student(s, DE_TIMES[2], **bad), want, 1e-6)
    with mpmath.workdps(30):
        assert close(student(s, DE_TIMES[2], mp=True), s["curve"][30].student_risk[2],
                     TINY25)


@checks("fluctuation_energy", "fluctuation_sum_identity")
def check_fluctuations(name):
    # sum_k F_k = sum_k s_k (1 - s_k) B_k holds at the root of the width equation only
    s = de_setting()
    for mp in (False, True):
        with mpmath.workdps(30):
            a = de_args(s, mp)
            S, D2 = sums(s, mp)
            f = mpf_(name) if mp else npf(name)
            tot = mpmath.fsum if mp else np.sum
            rtol = TINY25 if mp else DE_RTOL
            kw = dict(eigenvalue=a["eigenvalue"], multiplicity=a["multiplicity"],
                      nu=a["nu"], s_sum=S, d2_sum=D2, teacher_width=s["M"])
            sk = [a["nu"] / (x + a["nu"]) for x in a["eigenvalue"]]
            rhs = tot([x * (1 - x) * b for x, b in zip(sk, a["energy"])])
            if name == "fluctuation_energy":
                assert close(tot(f(**kw)), rhs, rtol)
                off = dict(kw, teacher_width=s["M"] + 1)      # not the root any more
                assert not close(tot(f(**off)), rhs, 1e-4)
            else:
                assert abs(f(**kw, energy=a["energy"])) <= rtol * rhs
                assert abs(f(**dict(kw, teacher_width=s["M"] + 1),
                             energy=a["energy"])) > 1e-4 * rhs


@checks("learned_fraction")
def check_learned_fraction(name):
    f = npf(name)
    rng = rng_for(name)
    lam, t = 10 ** rng.uniform(-4, 0, 50), 10 ** rng.uniform(-2, 4, 50)
    # 1 - exp(-x) in [0, 1]: a couple of ulps absolute
    np.testing.assert_allclose(f(eigenvalue=lam, time=t), -np.expm1(-t * lam), rtol=0,
                               atol=4 * EPS)
    assert f(eigenvalue=0.3, time=0.0) == 0.0 and f(eigenvalue=0.3, time=math.inf) == 1.0
    with mpmath.workdps(30):
        g = mpf_(name)
        assert abs(g(eigenvalue=mpmath.mpf(3) / 8, time=2) + mpmath.expm1(
            -mpmath.mpf(3) / 4)) <= TINY25


@checks("student_summand", "student_risk")
def check_student(name):
    s = de_setting()
    for mp in (False, True):
        with mpmath.workdps(30):
            curve = s["curve"][30 if mp else None]
            for t, want in zip(DE_TIMES, curve.student_risk):
                tt = mpmath.mpf(t) if mp else t
                got = student(s, tt, mp=mp, name=name)
                assert close(got, want, TINY25 if mp else DE_RTOL), (name, t, mp)
    # the engine's limits: L_S(0) = ||f*||^2, L_S(inf) = L_T
    c = s["curve"][None]
    assert close(c.student_risk[0], float(np.sum(s["B"])) + s["B_null"], 1e-14)
    assert close(c.student_risk[-1], c.teacher_risk, 1e-12)


# ======================================================================================
# Finite-width student (THEORY.md 3b): the risk engine at a finite student width
# (risk_curve(student_width=...), which goes through theory.resolvent.student_kernel) and
# the independent real-axis reference tests/_finite_student_reference.py (no contour: the
# equivalent spectral measure from the roots of a polynomial, integrated by tanh-sinh)

FS_DPS = 30
#: The reference bisects every quadrature cell until tanh-sinh's error estimate is below
#: 10^-(dps+3) (its module docstring); each integral used here is asserted to have met
#: that everywhere (``fs_integral``). With at most ~10^3 cells and roots accurate to its
#: working precision (~36 digits) its values are good to ~1e-30, and the engine's reported
#: 30-digit bound is ~1e-40: the 25 digits asked for leave a margin of 1e4 or more.
FS_REF_TOL = mpmath.mpf(10) ** -(FS_DPS + 3)
FS_TIMES = (0.75, 20.0)
FS_RIDGE = "0.375"                   # z = -0.375: the ridge point (exact)
FS_COMPLEX = ("-0.25", "0.5")        # z = -1/4 + i/2, off [0, inf)


@functools.lru_cache(maxsize=None)
def fs_setting():
    """A random finite spectrum: three positive blocks with distinct dyadic eigenvalues
    (exact in float64 and in decimal), a null block holding energy B_null, teacher width
    M_T < student width M_S < rank; the engine's curves (float64 and 30 digits) for
    gradient flow at FS_TIMES, at T_big (T_big s_- >= 80, s_- the lower edge of the
    student's spectrum) and at t = inf, for gradient descent (finite and infinite
    student), and the reference's teacher (section 3, nu by bisection)."""
    rng = rng_for("finite-width student")
    pool = sorted({m * 2.0 ** -e for m in range(1, 16, 2) for e in range(6)})
    lam = sorted(rng.choice(pool, 3, replace=False).tolist(), reverse=True)
    N = [int(x) for x in rng.integers(2, 13, 3)]
    D = sum(N)
    M_T = int(rng.integers(max(1, D // 6), D // 3 + 1))
    M_S = int(rng.integers(D // 3 + 1, 2 * D // 3 + 1))
    B = [float(x) / 64 for x in rng.integers(1, 64, 3)]
    B_null = float(rng.integers(1, 64)) / 64
    assert M_T < M_S < D
    lower = FSR.support(lam, N, M_S, dps=FS_DPS)[0][0]
    s_plus = FSR.top_edge(lam, N, M_S, dps=FS_DPS)
    T_big = 2.0 ** math.ceil(math.log2(80 / float(lower)))
    lr = 2.0 ** math.floor(math.log2(1 / float(s_plus)))      # lr s_+ in [1/2, 1)
    steps = (3, 40)
    common = dict(eigenvalues=lam + [0.0], multiplicities=N + [4], teacher_width=M_T,
                  target="energies:" + ",".join(f"{i}={b!r}" for i, b in
                                                enumerate(B + [B_null])),
                  optimal_stopping=False)
    out = {"flow": {}, "gd": {}, "gd_inf": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IrreducibleFloorWarning)
        for digits in (None, FS_DPS):
            out["flow"][digits] = risk_curve(**common, student_width=M_S,
                                             times=[*FS_TIMES, T_big, math.inf],
                                             precision=digits)
            out["gd"][digits] = risk_curve(**common, student_width=M_S, lr=lr,
                                           steps=list(steps), precision=digits)
            out["gd_inf"][digits] = risk_curve(**common, lr=lr, steps=list(steps),
                                               precision=digits)
    tch = FSR.teacher(lam, N, B, M_T, dps=FS_DPS)
    with mpmath.workdps(FS_DPS):
        assert close(tch["nu"], out["flow"][FS_DPS].nu_teacher, TINY25)
    return dict(out, lam=lam, N=N, B=B, B_null=B_null, M_T=M_T, M_S=M_S, D=D, lower=lower,
                s_plus=s_plus, T_big=T_big, lr=lr, steps=steps, tch=tch,
                E=sum(B) + B_null)


@functools.lru_cache(maxsize=None)
def fs_integral(kind, a, b=None):
    """The reference's ``[int g dmu_k for each block k]`` at 30 digits, its convergence
    asserted: ``flow`` e_k(a); ``descent`` E(1 - a K_S)^b; ``stieltjes``
    int dmu_k(x)/(x - z) at z = a + i b (mpmath.quad takes the complex integrand)."""
    s = fs_setting()
    scale = None
    with mpmath.workdps(FS_DPS + 10):
        if kind == "flow":
            t = mpmath.mpf(a)
            g, scale = (lambda x: mpmath.exp(-t * x)), t
        elif kind == "descent":
            lr, n = mpmath.mpf(a), int(b)
            g, scale = (lambda x: (1 - lr * x) ** n), lr * n
        else:
            z = mpmath.mpc(mpmath.mpf(a), mpmath.mpf(b))
            g = lambda x: 1 / (x - z)                  # noqa: E731
    vals, err = FSR.spectral_integral(s["lam"], s["N"], s["M_S"], g, dps=FS_DPS,
                                      scale=scale, error=True)
    assert err <= FS_REF_TOL, (kind, a, b, err)
    return vals


def fs_mp(xs):
    """Exact mpf copies of dyadic floats (or integers)."""
    return [mpmath.mpf(repr(float(x))) for x in xs]


def fs_kw(s, mp):
    """Per-degree arrays of the positive blocks."""
    if mp:
        return dict(eigenvalue=fs_mp(s["lam"]), multiplicity=fs_mp(s["N"]))
    return dict(eigenvalue=np.array(s["lam"]), multiplicity=np.array(s["N"], dtype=float))


def fs_teacher_kw(s, mp):
    """Teacher inputs of the student's risk from the reference's own transcription of
    section 3 (nu by bisection, S, D_2): not the engine's, not the registry's."""
    t = s["tch"]
    conv = (lambda x: x) if mp else float
    return dict(fs_kw(s, mp), energy=fs_mp(s["B"]) if mp else np.array(s["B"]),
                nu=conv(t["nu"]), s_sum=conv(t["S"]), d2_sum=conv(t["D2"]),
                teacher_width=s["M_T"])


def fs_bisect(f, lo, hi):
    """Root of f, increasing on [lo, hi] with f(lo) < 0 < f(hi), by bisection to the
    working precision (no derivative, no starting guess, no branch to follow)."""
    assert f(lo) < 0 < f(hi)
    for _ in range(8 * mpmath.mp.prec):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def fs_nu_S(s):
    return FSR.width_nu(s["lam"], s["N"], s["M_S"], dps=FS_DPS)


@functools.lru_cache(maxsize=None)
def fs_points():
    """Independent values of delta and kappa at the two points z (30 digits).

    Ridge, z = -r: the reference's Qbar_k from its ridge equation (bisection on kappa >
    nu_S at 40 digits); kappa = lam_0 r Q_0/(1 - r Q_0) (Q_k = (kappa/r)/(lam_k + kappa)),
    delta = kappa/r - 1 (kappa = -z (1 + delta)). Complex z: the reference's real-axis
    Stieltjes transform S_k(z) = int dmu_k/(x - z); delta from block 0,
    1 + delta = lam_0/(1/S_0 + z); kappa = -z (1 + delta).
    """
    s = fs_setting()
    r = mpmath.mpf(FS_RIDGE)
    Q40 = FSR.ridge_resolvent(s["lam"], s["N"], s["M_S"], -r, dps=FS_DPS + 10)
    S_c = fs_integral("stieltjes", *FS_COMPLEX)
    S_r = [v.real for v in fs_integral("stieltjes", "-" + FS_RIDGE, "0")]
    with mpmath.workdps(FS_DPS + 10):
        l0 = mpmath.mpf(s["lam"][0])
        kap = l0 * r * Q40[0] / (1 - r * Q40[0])
        z_c = mpmath.mpc(*(mpmath.mpf(x) for x in FS_COMPLEX))
        delta_c = l0 / (1 / S_c[0] + z_c) - 1
    with mpmath.workdps(FS_DPS):
        return {"z": -r, "Q": [+q for q in Q40], "S": S_r, "kappa": +kap,
                "delta": +(kap / r - 1), "z_c": +z_c, "S_c": S_c, "delta_c": +delta_c,
                "kappa_c": +(-z_c * (1 + delta_c))}


@checks("student_delta_equation", "student_delta_summand")
def check_student_delta(name):
    s = fs_setting()
    M = s["M_S"]
    p = fs_points()
    with mpmath.workdps(FS_DPS):
        kw = fs_kw(s, True)
        if name == "student_delta_summand":
            f = mpf_(name)
            for d, z in ((p["delta"], p["z"]), (p["delta_c"], p["z_c"])):
                assert abs(mpmath.fsum(f(**kw, delta=d, z=z)) / M - d) <= TINY25 * abs(d)
        else:
            g = mpf_(name)
            res = lambda d, z=p["z"]: g(**kw, delta=d, z=z, student_width=M)  # noqa: E731
            # the independent delta satisfies the registered equation, on the real axis
            # and at a complex z (the lambdified mpmath form takes complex values)
            assert abs(res(p["delta"])) <= TINY25 * p["delta"]
            assert abs(res(p["delta_c"], p["z_c"])) <= TINY25 * abs(p["delta_c"])
            # its root, by bisection where the residual increases (kappa = r (1 + delta)
            # above nu_S; it is -1 at kappa = nu_S), is the reference's delta
            r = -p["z"]
            lo, hi = fs_nu_S(s) / r - 1, p["delta"] + 1
            while res(hi) <= 0:
                hi *= 2
            assert close(fs_bisect(res, lo, hi), p["delta"], TINY25)
            # sensitive: a relative change of 1e-20 moves it by far more than 1e-25
            assert abs(res(p["delta"] * (1 + mpmath.mpf(10) ** -20))) > \
                1e3 * TINY25 * p["delta"]
    # float64: the sum of three positive terms, a few ulps each
    kwf = fs_kw(s, False)
    d, z = float(p["delta"]), float(p["z"])
    if name == "student_delta_summand":
        assert abs(np.sum(npf(name)(**kwf, delta=d, z=z)) / M - d) <= 1e-13 * d
    else:
        assert abs(npf(name)(**kwf, delta=d, z=z, student_width=M)) <= 1e-13 * d


@checks("student_resolvent")
def check_student_resolvent(name):
    s = fs_setting()
    p = fs_points()
    f = mpf_(name)
    with mpmath.workdps(FS_DPS):
        lam = fs_mp(s["lam"])
        # ridge point: the reference's ridge equation and its real-axis Stieltjes
        # transform (every block; block 0 fixed delta, the others are predictions)
        Q = f(eigenvalue=lam, delta=p["delta"], z=p["z"])
        for q, want, st in zip(Q, p["Q"], p["S"]):
            assert close(q, want, TINY25) and close(q, st, TINY25)
        # complex z: solve the registered delta equation afresh (fixed-point iteration
        # from delta = 0, then Newton), check the Stieltjes branch (Im delta > 0 for
        # Im z > 0) and compare Qbar_k with the reference's spectral integral
        eq = mpf_("student_delta_equation")
        kw = fs_kw(s, True)
        z = p["z_c"]
        d = mpmath.mpc(0)
        for _ in range(400):
            d = d - eq(**kw, delta=d, z=z, student_width=s["M_S"])
        d = mpmath.findroot(lambda x: eq(**kw, delta=x, z=z, student_width=s["M_S"]), d)
        assert d.imag > 0
        for q, st in zip(f(eigenvalue=lam, delta=d, z=z), p["S_c"]):
            assert abs(q - st) <= TINY25 * abs(st)
    Qf = npf(name)(eigenvalue=np.array(s["lam"]), delta=float(p["delta"]),
                   z=float(p["z"]))
    # float64: Qbar_k = 1/(lam/(1 + delta) + r), positive terms: a few ulps, plus the
    # rounding of delta (condition <= 1)
    np.testing.assert_allclose(Qf, [float(q) for q in p["Q"]], rtol=1e-14)


@checks("student_kappa_equation")
def check_student_kappa(name):
    s = fs_setting()
    M = s["M_S"]
    p = fs_points()
    g = mpf_(name)
    with mpmath.workdps(FS_DPS):
        kw = fs_kw(s, True)
        res = lambda k, z=p["z"]: g(**kw, kappa_z=k, z=z, student_width=M)  # noqa: E731
        assert abs(res(p["kappa"])) <= TINY25 * M
        assert abs(res(p["kappa_c"], p["z_c"])) <= TINY25 * M
        # on (nu_S, inf) the residual df(kappa) - M + M r/kappa decreases from M r/nu_S
        # to -M: one root, the ridge regularization
        lo, hi = fs_nu_S(s), p["kappa"] + 1
        while res(hi) >= 0:
            hi *= 2
        assert close(fs_bisect(lambda k: -res(k), lo, hi), p["kappa"], TINY25)
        assert abs(res(p["kappa"] * (1 + mpmath.mpf(10) ** -20))) > 1e3 * TINY25 * M
    # float64: df(kappa) and M (1 + z/kappa) are O(M), each a few ulps
    assert abs(npf(name)(**fs_kw(s, False), kappa_z=float(p["kappa"]), z=float(p["z"]),
                         student_width=M)) <= 1e-13 * M


@checks("student_width_equation")
def check_student_width_equation(name):
    s = fs_setting()
    M = s["M_S"]
    nu_ref = fs_nu_S(s)
    with mpmath.workdps(FS_DPS):
        g = mpf_(name)
        res = lambda v: g(**fs_kw(s, True), student_nu=v, student_width=M)  # noqa: E731
        nu_e = s["flow"][FS_DPS].nu_student                 # the engine: student_kernel
        assert abs(res(nu_e)) <= TINY25 * M
        # df decreases from the rank (nu = 0) to below tr(Sigma)/nu: bisection between
        hi = mpmath.fsum(a * b for a, b in zip(fs_mp(s["lam"]), s["N"])) / M
        root = fs_bisect(lambda v: -res(v), mpmath.mpf(0), hi)
        assert close(root, nu_ref, TINY25) and close(nu_e, nu_ref, TINY25)
        assert abs(res(nu_e * (1 + mpmath.mpf(10) ** -20))) > 1e3 * TINY25 * M
    # float64: the engine's nu_S (solved in log nu to ~1e-15) and three positive terms
    nu_f = float(s["flow"][None].nu_student)
    assert abs(npf(name)(**fs_kw(s, False), student_nu=nu_f, student_width=M)) <= \
        DE_RTOL * M


@checks("student_edge_map")
def check_student_edge_map(name):
    s = fs_setting()
    M = s["M_S"]
    p = fs_points()
    lmax = s["lam"][0]
    f = npf(name)
    kwf = fs_kw(s, False)
    # float64: z(kappa) is convex on (-inf, -lambda_max) and tends to +inf at both ends;
    # Brent's bounded search to 1e-12 |kappa| leaves the value within z'' (1e-12 kappa)^2
    # of the minimum, and z(kappa) has no cancellation there (df(kappa) < 0): ~1e-14
    span = 100 * (lmax + sum(a * b for a, b in zip(s["lam"], s["N"])) / M)
    opt = optimize.minimize_scalar(lambda k: f(**kwf, kappa_z=k, student_width=M),
                                   bounds=(-lmax - span, -lmax * (1 + 1e-9)),
                                   method="bounded", options={"xatol": 1e-12 * lmax})
    assert close(opt.fun, float(s["s_plus"]), 1e-12)
    assert close(opt.fun, float(s["flow"][None].student_top_edge), 1e-12)
    with mpmath.workdps(FS_DPS):
        g = mpf_(name)
        kw = fs_kw(s, True)
        z = lambda k: g(**kw, kappa_z=k, student_width=M)      # noqa: E731
        # 30 digits: the critical point by Newton on mpmath's derivative (computed at
        # extra precision), from the float minimizer
        k_star = mpmath.findroot(lambda k: mpmath.diff(z, k), mpmath.mpf(opt.x))
        assert k_star < -lmax
        edge = z(k_star)
        # the reference: largest critical value of the polynomial form (all roots)
        assert close(edge, s["s_plus"], TINY25)
        assert close(edge, s["flow"][FS_DPS].student_top_edge, TINY25)   # the engine
        # on the physical branch the map inverts the kappa equation: the ridge point
        # and the complex point come back
        assert close(z(p["kappa"]), p["z"], TINY25)
        assert abs(z(p["kappa_c"]) - p["z_c"]) <= TINY25 * abs(p["z_c"])


def fs_total(name, kw, e1, e2, B_null, mp):
    """L_S from the registered summand (summed here) or the registered total."""
    f = mpf_(name) if mp else npf(name)
    if name == "finite_student_risk":
        return f(**kw, e_t=e1, e_2t=e2, null_energy=B_null)
    v = f(**kw, e_t=e1, e_2t=e2)
    return (mpmath.fsum(v) if mp else float(np.sum(v))) + B_null


@checks("finite_student_summand", "finite_student_risk")
def check_finite_student(name):
    s = fs_setting()
    E = s["E"]
    # gradient flow at t (factors at t and 2t) and gradient descent with n steps
    # (factors E(1 - lr K)^n and ^2n), factors from the reference
    runs = [(s["flow"], i, ("flow", t), ("flow", 2 * t)) for i, t in enumerate(FS_TIMES)]
    runs += [(s["gd"], i, ("descent", s["lr"], n), ("descent", s["lr"], 2 * n))
             for i, n in enumerate(s["steps"])]
    for curves, i, k1, k2 in runs:
        e1, e2 = fs_integral(*k1), fs_integral(*k2)
        with mpmath.workdps(FS_DPS):
            kw = fs_teacher_kw(s, True)
            got = fs_total(name, kw, e1, e2, s["B_null"], True)
            assert close(got, curves[FS_DPS].student_risk[i], TINY25), (name, k1)
            # the variance term e(2t) - e(t)^2 matters: without it the risk is off
            sq = fs_total(name, kw, e1, [x * x for x in e1], s["B_null"], True)
            assert not close(sq, curves[FS_DPS].student_risk[i], 1e-6), (name, k1)
        # float64: the engine's reported bound, plus the float sum (~20 operations per
        # degree on numbers below E: 64 eps E)
        c = curves[None]
        got = fs_total(name, fs_teacher_kw(s, False), np.array([float(x) for x in e1]),
                       np.array([float(x) for x in e2]), s["B_null"], False)
        assert abs(got - c.student_risk[i]) <= c.error_bound["student_risk"] + 64 * EPS * E
    # M_S = inf: e_k(t) = exp(-t lambda_k), e_k(2t) = e_k(t)^2 is the engine's infinite
    # student on the 14-block spectrum of the section above
    d = de_setting()
    for mp in (False, True):
        with mpmath.workdps(30):
            a = de_args(d, mp)
            S, D2 = sums(d, mp)
            kw = dict(a, s_sum=S, d2_sum=D2, teacher_width=d["M"])
            curve = d["curve"][30 if mp else None]
            for t, want in zip(DE_TIMES, curve.student_risk):
                if mp:
                    e1 = [mpmath.exp(-mpmath.mpf(t) * x) for x in a["eigenvalue"]]
                    e2 = [x * x for x in e1]
                else:
                    e1 = np.exp(-t * a["eigenvalue"]) if t < math.inf else \
                        np.zeros_like(a["eigenvalue"])
                    e2 = e1 * e1
                got = fs_total(name, kw, e1, e2, d["B_null"], mp)
                assert close(got, want, TINY25 if mp else DE_RTOL), (name, t, mp)


@checks("finite_student_limit_summand")
def check_finite_student_limit(name):
    s = fs_setting()
    E = s["E"]
    nu_S = fs_nu_S(s)
    i_big, i_inf = len(FS_TIMES), len(FS_TIMES) + 1
    with mpmath.workdps(FS_DPS):
        v = mpf_(name)(**fs_teacher_kw(s, True), student_nu=nu_S)
        got = mpmath.fsum(v) + s["B_null"]
        c = s["flow"][FS_DPS]
        assert close(got, c.student_risk[i_inf], TINY25)       # the engine at t = inf
        # the engine's contour at T_big: e_k(T) - nu_S/(lam_k + nu_S) <= exp(-T s_-)
        # <= exp(-80), so L_S(T_big) is the limit to (2E + 3 sum V) e^-80 < 1e-33 E
        assert close(got, c.student_risk[i_big], TINY25)
        # the reference: H1 = H2 = lam/(lam + nu_S), its own teacher and nu_S
        want = FSR.student_limit(s["lam"], s["N"], s["B"], s["M_T"], s["M_S"], dps=FS_DPS)
        assert close(got, want + s["B_null"], TINY25)
        # a finite student does not return to the teacher (only M_S = inf does)
        assert not close(got, c.teacher_risk, 1e-3)
    cf = s["flow"][None]
    vf = npf(name)(**fs_teacher_kw(s, False), student_nu=float(nu_S))
    gf = float(np.sum(vf)) + s["B_null"]
    assert abs(gf - cf.student_risk[i_inf]) <= 64 * EPS * E
    assert abs(gf - cf.student_risk[i_big]) <= cf.error_bound["student_risk"] + 64 * EPS * E


@checks("student_ceiling")
def check_student_ceiling(name):
    s = fs_setting()
    nu_S = fs_nu_S(s)
    with mpmath.workdps(FS_DPS):
        B = fs_mp(s["B"])
        got = mpf_(name)(eigenvalue=fs_mp(s["lam"]), energy=B, student_nu=nu_S,
                         null_energy=s["B_null"])
        assert close(got, s["flow"][FS_DPS].student_ceiling_risk, TINY25)    # engine
        want = FSR.student_ceiling(s["lam"], s["N"], s["B"], s["M_S"], dps=FS_DPS)
        assert close(got, want + s["B_null"], TINY25)                        # reference
        # what it is: trained on f*, degree k keeps e_k(2t) B_k, which decreases to
        # nu_S/(lam_k + nu_S) B_k; at 2 T_big the rest is below exp(-160)
        late = mpmath.fsum(e * b for e, b in zip(fs_integral("flow", 2 * s["T_big"]), B))
        assert close(got, late + s["B_null"], TINY25)
        early = mpmath.fsum(e * b for e, b in zip(fs_integral("flow", 2 * FS_TIMES[1]), B))
        assert early + s["B_null"] > got * (1 + mpmath.mpf(10) ** -6)
    gf = npf(name)(eigenvalue=np.array(s["lam"]), energy=np.array(s["B"]),
                   student_nu=float(nu_S), null_energy=s["B_null"])
    assert abs(gf - s["flow"][None].student_ceiling_risk) <= 64 * EPS * s["E"]


@checks("descent_filter")
def check_descent_filter(name):
    rng = rng_for(name)
    f = npf(name)
    lam = 10 ** rng.uniform(-3, 0, 40)
    lr = rng.uniform(0, 2, 40) / lam                  # lr * lambda < 2: converging steps
    x = lr * lam                                      # the product the closed form uses
    n = rng.integers(0, 200, 40)
    # the recursion f <- f + lr lambda (1 - f) from f = 0 (gradient descent on
    # (f - 1)^2 lambda / 2): each step rounds ~2 ulps, damped by |1 - lr lambda| <= 1;
    # the closed form loses n ulps in the power: 4 (n + 2) eps covers both
    rec = np.zeros(40)
    for j in range(int(n.max())):
        rec = np.where(j < n, rec + x * (1 - rec), rec)
    got = f(eigenvalue=lam, lr=lr, steps=n)
    assert np.all(np.abs(got - rec) <= 4 * (n + 2) * EPS)
    with mpmath.workdps(30):
        g = mpf_(name)
        for xi, ni in zip(x[:5], n[:5]):
            a = mpmath.mpf(repr(float(xi)))
            r = mpmath.mpf(0)
            for _ in range(int(ni)):
                r += a * (1 - r)
            assert abs(g(eigenvalue=1, lr=a, steps=int(ni)) - r) <= TINY25
    # the engine's infinite student under gradient descent: the finite-width risk with
    # e(n) = 1 - a(n), e(2n) = 1 - a(2n) (the factors of the equivalent at M_S = inf)
    s = fs_setting()
    for mp in (False, True):
        with mpmath.workdps(FS_DPS):
            kw = fs_teacher_kw(s, mp)
            c = s["gd_inf"][FS_DPS if mp else None]
            h = mpf_(name) if mp else f
            for i, k in enumerate(s["steps"]):
                e1 = [1 - v for v in h(eigenvalue=kw["eigenvalue"], lr=s["lr"], steps=k)]
                e2 = [1 - v for v in h(eigenvalue=kw["eigenvalue"], lr=s["lr"],
                                       steps=2 * k)]
                if not mp:
                    e1, e2 = np.array(e1), np.array(e2)
                got = fs_total("finite_student_risk", kw, e1, e2, s["B_null"], mp)
                want = c.student_risk[i]
                assert close(got, want, TINY25 if mp else 64 * EPS * s["E"] / want), k


# ======================================================================================
# Student lower bound against bounds.student_bound

def bound_inputs(rng, n=40):
    E = 10 ** rng.uniform(-1, 1, n)
    L = E * 10 ** rng.uniform(-3, 0, n)
    a = rng.uniform(0, 1, n)
    a[:4] = [0.0, 1.0, 1.0, 0.5]
    return L, E, a


def cancellation(L, E, a):
    """Relative condition of the first form (sqrt(D + b^2) - b)^2 used by the
    registry: (sqrt(D + b^2) + b) / (sqrt(D + b^2) - b), D = E - a F^2, b = a F/2."""
    F = np.sqrt(E - L)
    b = a * F / 2
    D = (1 - a) * E + a * L
    r = np.sqrt(D + b * b)
    return (r + b) / (r - b)


@checks("student_lower_bound", "gain_upper_bound", "pgr_upper_bound")
def check_bound(name):
    rng = rng_for(name)
    L, E, a = bound_inputs(rng)
    c = L * rng.uniform(0, 0.9, len(L))
    f = npf(name)
    kw = dict(teacher_risk=L, target_energy=E, alpha=a)
    if name == "pgr_upper_bound":
        kw["ceiling_risk"] = c
    got = f(**kw)
    cond = cancellation(L, E, a)
    for i in range(len(L)):
        b = bounds.student_bound(L[i], E[i], a[i], ceiling_risk=c[i] if "ceiling_risk" in kw
                                 else 0)
        LB = b.lower_bound
        # the first form loses a factor cond to cancellation (20 ulps times cond);
        # L_T - LB and the PGR carry that absolute error of LB, plus their own rounding
        err_lb = 20 * EPS * cond[i] * LB
        if name == "student_lower_bound":
            assert abs(got[i] - LB) <= err_lb + 1e-300, i
        elif name == "gain_upper_bound":
            assert abs(got[i] - b.gain_upper_bound) <= err_lb + 8 * EPS * (L[i] + LB), i
        else:
            want = b.pgr_upper_bound
            assert abs(got[i] - want) <= (err_lb + 8 * EPS * (L[i] + LB)) / (L[i] - c[i]) \
                + 8 * EPS * abs(want), i
    g = mpf_(name)
    with mpmath.workdps(40):      # <= 5 digits lost to cancellation (cond < 1e5 here)
        assert cond.max() < 1e5
        for i in range(0, len(L), 7):
            Lm, Em, am, cm = (mpmath.mpf(repr(float(x))) for x in (L[i], E[i], a[i], c[i]))
            b = bounds.student_bound(Lm, Em, am, ceiling_risk=cm if "ceiling_risk" in kw
                                     else 0, precision=30)
            want = {"student_lower_bound": b.lower_bound,
                    "gain_upper_bound": b.gain_upper_bound,
                    "pgr_upper_bound": b.pgr_upper_bound}[name]
            args = dict(teacher_risk=Lm, target_energy=Em, alpha=am)
            if "ceiling_risk" in kw:
                args["ceiling_risk"] = cm
            assert close(g(**args), want, TINY25), i


@checks("student_lower_bound_alpha1")
def check_bound_alpha1(name):
    rng = rng_for(name)
    L, F = 10 ** rng.uniform(-3, 0, 30), 10 ** rng.uniform(-1, 0.5, 30)
    got = npf(name)(teacher_risk=L, teacher_norm=F)
    for i in range(len(L)):
        E = L[i] + F[i] ** 2
        want = bounds.student_bound(L[i], E, 1).lower_bound
        cond = cancellation(L[i], E, 1.0)
        assert abs(got[i] - want) <= 20 * EPS * cond * want + 4 * EPS * want, i


def _catalan(n):
    return math.comb(2 * n, n) // (n + 1)


@checks("lower_bound_series", "lower_bound_series_energy")
def check_series(name):
    """Truncation error O(L_T^n): (exact - series)/L_T^n tends to the first omitted
    coefficient. In F it is known in closed form, LB = F^2 sum_{m>=1} (-1)^{m-1} C_m
    (L/F^2)^{m+1} (Catalan numbers), so the omitted term is (-1)^n C_{n-1} L^n/F^{2n-2}
    and the ratio is that coefficient times 1 + O(L/F^2). In E the ratio of the errors
    at L and L/2 is 2^n (1 + O(L/E))."""
    energy = name.endswith("energy")
    for n in (3, 4, 6, 9):
        g = mpf_(name, order=n)
        with mpmath.workdps(60):           # differences of ~L^n need the digits
            F = mpmath.mpf(3) / 4
            E = mpmath.mpf(5) / 4
            errs = []
            for j in range(4):
                L = mpmath.mpf(2) ** (-8 - j)
                if energy:
                    exact = bounds.student_bound(L, E, 1, precision=50).lower_bound
                    approx = g(teacher_risk=L, target_energy=E)
                else:
                    exact = bounds.student_bound(L, L + F * F, 1, precision=50).lower_bound
                    approx = g(teacher_risk=L, teacher_norm=F)
                errs.append((exact - approx) / L ** n)
            if energy:
                # errs[j] = c_n + c_{n+1} L_j + ...: the coefficients grow at most like
                # 5^n/E^n (radius of convergence E/5), so consecutive ratios are within
                # 5 |L_j - L_{j+1}|/E (1 + O(L/E)) < 8 L_0/E of 1
                for e0, e1 in zip(errs, errs[1:]):
                    assert abs(e1 / e0 - 1) < 8 * 2.0 ** -8 / E, (n, errs)
            else:
                coef = (-1) ** n * _catalan(n - 1) / F ** (2 * n - 2)
                # 1 + O(L/F^2): C_n/C_{n-1} < 4, so the relative correction < 8 L/F^2
                assert abs(errs[-1] / coef - 1) < 8 * 2.0 ** -11 / F ** 2, (n, errs[-1])
            # numpy: the polynomial itself (no O term), a few ulps of each term
            f = npf(name, order=n)
            L = 0.01
            if energy:
                want = float(g(teacher_risk=mpmath.mpf(L), target_energy=E))
                got = f(teacher_risk=L, target_energy=float(E))
            else:
                want = float(g(teacher_risk=mpmath.mpf(L), teacher_norm=F))
                got = f(teacher_risk=L, teacher_norm=float(F))
            assert close(got, want, 1e-13)


# ======================================================================================
# Asymptotics (a): large teacher width at fixed d, against the risk engine

@functools.lru_cache(maxsize=None)
def engine(d, M, target="degree:1"):
    """The risk engine (float64; accurate to ~1e-11, far below the errors measured)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IrreducibleFloorWarning)
        c = risk_curve(activation="relu", dim=d, target=target, teacher_width=M)
    return {"nu": float(c.nu_teacher), "L_T": float(c.teacher_risk),
            "t": float(c.optimal_time), "L_S": float(c.optimal_student_risk),
            "E": float(c.target_energy)}


def relu_eigenvalues(d, k_max, dps=40):
    """lambda_k = c_k^2 of relu, k <= k_max, by the ratio recurrence of Bach (2017):
    c_0 = G(d/2)/(2 sqrt(pi) G((d+1)/2)), c_1 = 1/(2d), c_2 = G(d/2)/(4 sqrt(pi)
    G((d+3)/2)), c_{k+2} = -c_k (k-1)/(k+d+1) (a different route from the registry's
    Gamma closed form, which the funk_hecke_relu check ties to quadrature)."""
    with mpmath.workdps(dps):
        dd, G = mpmath.mpf(d), mpmath.gamma
        c = [mpmath.mpf(0)] * (max(k_max, 2) + 1)
        c[0] = G(dd / 2) / (2 * mpmath.sqrt(mpmath.pi) * G((dd + 1) / 2))
        c[1] = 1 / (2 * dd)
        c[2] = G(dd / 2) / (4 * mpmath.sqrt(mpmath.pi) * G((dd + 3) / 2))
        for k in range(2, k_max - 1, 2):
            c[k + 2] = -c[k] * (k - 1) / (k + dd + 1)
        return [x * x for x in c[: k_max + 1]]


# (d, widths): one decade apart; M_T^{-2/(d-1)} is 10^-1 per decade at d = 3 and
# 10^(-2/3) at d = 4
FIXED = {3: (10**3, 10**4, 10**5), 4: (10**4, 10**5, 10**6)}


def decade_ratios(errors):
    return [e1 / e0 for e0, e1 in zip(errors, errors[1:])]


@checks("a_eigenvalue")
def check_a_eigenvalue(name):
    """Relative error O(k^-2): doubling k divides it by 4 (up to O(1/k): 10% at k >= 50)."""
    f = mpf_(name)
    for d in (3, 4, 7):
        lam = relu_eigenvalues(d, 800)
        with mpmath.workdps(30):
            errs = [f(dim=d, degree=k) / lam[k] - 1 for k in (50, 100, 200, 400, 800)]
        for r in decade_ratios(errs):
            assert abs(r * 4 - 1) < 0.1, (d, errs)


@checks("a_multiplicity")
def check_a_multiplicity(name):
    f = mpf_(name)
    with mpmath.workdps(30):
        for d in (3, 4):        # (k + 1/2) 2 = 2k + 1 and (k + 1)^2: exact
            for k in (1, 7, 100):
                assert abs(f(dim=d, degree=k) - sphere.multiplicity(d, k)) <= TINY25 * k * k
        for d in (5, 6, 9):
            errs = [f(dim=d, degree=k) / sphere.multiplicity(d, k) - 1
                    for k in (50, 100, 200, 400)]
            for r in decade_ratios(errs):
                assert abs(r * 4 - 1) < 0.1, (d, errs)


def rate_ok(errors, factor, slack):
    """Each ratio of successive errors within a factor ``slack`` of ``factor``, same
    sign throughout."""
    rs = decade_ratios(errors)
    return all(factor / slack <= r <= factor * slack for r in rs)


@checks("a_nu", "a_teacher_risk", "a_width_balance")
def check_a_rate(name):
    """Relative error O(M_T^{-2/(d-1)}). The next terms are relatively O(M_T^{-2/(d-1)})
    (Stirling k^-2) and O(1/M_T) (the low degrees outside the continuum): at the widths
    used they move the ratio of successive errors by < 10% at d = 3 and < 25% at d = 4,
    whence the slack 1.3."""
    f = npf(name)
    for d, widths in FIXED.items():
        errs = []
        for M in widths:
            e = engine(d, M)
            if name == "a_nu":
                errs.append(f(dim=d, teacher_width=M) / e["nu"] - 1)
            elif name == "a_teacher_risk":
                errs.append(f(dim=d, teacher_width=M) / e["L_T"] - 1)
            else:
                # the balance's M at the engine's nu (residual = M_bal - M), and the
                # consistency with a_nu: zero residual at nu = a_nu(M)
                errs.append(f(dim=d, nu=e["nu"], teacher_width=M) / -M)
                nu_a = float(npf("a_nu")(dim=d, teacher_width=M))
                assert abs(f(dim=d, nu=nu_a, teacher_width=M)) <= 1e-12 * M
        assert rate_ok(errs, 10 ** (-2 / (d - 1)), 1.3), (name, d, errs)
        assert abs(errs[-1]) < 0.01


@checks("a_optimal_time")
def check_a_optimal_time(name):
    """t* lambda_1 = log(M/nu) + O(log log M): relative error below
    log log M / log M (the stated order, constant 1), and decreasing."""
    f = npf(name)
    for d, widths in FIXED.items():
        errs = [abs(f(dim=d, teacher_width=M) / engine(d, M)["t"] - 1) for M in widths]
        assert all(e < math.log(math.log(M)) / math.log(M) for e, M in zip(errs, widths))
        assert errs[0] > errs[-1], errs


def delta_engine(d, M):
    e = engine(d, M)
    return e["L_S"] / e["L_T"] ** 2 - 1


@checks("a_risk_ratio")
def check_a_risk_ratio(name):
    """delta_a = L_S(t*)/L_T^2 - 1 = Theta((log M)^gamma / M). Its constant involves t*
    to the power gamma < 2 (t* itself only good to O(log log M/log M)), so the value is
    checked to a factor 1.5, and its decay per decade to 20%: the prediction's decay
    (log(10 M)/log M)^gamma/10 is where the log log terms cancel."""
    f = npf(name)
    for d, widths in FIXED.items():
        pred = [f(dim=d, teacher_width=M) - 1 for M in widths]
        got = [delta_engine(d, M) for M in widths]
        assert all(1 / 1.5 < g / p < 1.5 for g, p in zip(got, pred)), (d, got, pred)
        for rg, rp in zip(decade_ratios(got), decade_ratios(pred)):
            assert abs(rg / rp - 1) < 0.2, (d, got, pred)


@checks("a_student_risk")
def check_a_student_risk(name):
    """L_S(t*) = L_T^2 (1 + delta_a): the relative error of L_T^2 is 2 eps_T + delta_a,
    both O(M^{-2/(d-1)}) up to logs; it must fall below 5% and at least by the predicted
    factor (times (log 10M/log M)^2 for the logs) per decade."""
    f = npf(name)
    for d, widths in FIXED.items():
        errs = [abs(f(dim=d, teacher_width=M) / engine(d, M)["L_S"] - 1) for M in widths]
        for r, M in zip(decade_ratios(errs), widths):
            assert r < 10 ** (-2 / (d - 1)) * (math.log(10 * M) / math.log(M)) ** 2, errs
        assert errs[-1] < 0.05


@checks("a_exponent")
def check_a_exponent(name):
    """log L_S(t*)/log L_T -> 2, and the expansion 2 + log(1 + delta_a)/log L_T captures
    the approach: with L_S = L_T^2 (1 + delta), its error relative to the distance to 2
    is about |delta_a/delta - 1| (the rest is O(M^{-2/(d-1)}/log M)), below 1/2 when
    delta_a is good to a factor 1.5 (see a_risk_ratio)."""
    f = npf(name)
    for d, widths in FIXED.items():
        got = [math.log(engine(d, M)["L_S"]) / math.log(engine(d, M)["L_T"])
               for M in widths]
        gaps = [abs(x - 2) for x in got]
        assert gaps[0] > gaps[1] > gaps[2] and gaps[-1] < 1e-3, got
        for x, M in zip(got, widths):
            assert abs(f(dim=d, teacher_width=M) - x) < abs(x - 2) / 2, (d, M, x)


# ======================================================================================
# Asymptotics (b): d -> infinity with M_T = d^kappa

DIMS_B = (10**3, 10**4, 10**5)
KAPPA_B = 1.5          # regime (1, 2): r = min(kappa - 1, 2 - kappa, 1) = 1/2
KAPPA_SI = 1.25        # single-index entries (kappa < 3/2): r = 1/4


def path(d, kappa):
    """Integer width M = round(d^kappa) and the exact exponent log M/log d of the path."""
    M = int(round(d ** kappa))
    return M, math.log(M) / math.log(d)


def hermite_energy_quad(k):
    """h_k^2 = E[relu(z) He_k(z)]^2/k!, z standard normal (mpmath quadrature)."""
    he = mpmath.quad(lambda z: z * mpmath.hermite(k, z / mpmath.sqrt(2))
                     * 2 ** (-mpmath.mpf(k) / 2) * mpmath.exp(-z * z / 2), [0, mpmath.inf])
    return (he / mpmath.sqrt(2 * mpmath.pi)) ** 2 / mpmath.factorial(k)


@checks("b_hermite_energy")
def check_b_hermite_energy(name):
    g = mpf_(name)
    with mpmath.workdps(30):
        for k in range(0, 13):
            assert abs(g(degree=k) - hermite_energy_quad(k)) <= TINY25, k
    # the limit it is defined as: d N(d, k) lambda_k -> h_k^2, error O(1/d)
    for k in (0, 2, 4):
        errs = []
        for d in (10**3, 10**4, 10**5):
            lam = relu_eigenvalues(d, k)[k]
            with mpmath.workdps(30):
                errs.append(d * sphere.multiplicity(d, k) * lam / g(degree=k) - 1)
        assert rate_ok(errs, 0.1, 1.1), (k, errs)


def _tail_exact(top, d):
    """1/2 - d sum_{k <= top} N_k lambda_k: d times the relu mass of the degrees above
    top (d kappa(1) = 1/2), from the exact eigenvalues."""
    lam = relu_eigenvalues(d, top)
    with mpmath.workdps(40):
        return mpmath.mpf(1) / 2 - d * mpmath.fsum(sphere.multiplicity(d, k) * lam[k]
                                                   for k in range(top + 1))


@checks("b_tail_mass", "b_learned_mass")
def check_b_masses(name):
    g = mpf_(name)
    with mpmath.workdps(30):
        h = [hermite_energy_quad(k) for k in range(5)]
        for kappa, top in ((1.5, 1), (3, 2), (5, 4)):
            if name == "b_tail_mass":
                want = mpmath.mpf(1) / 2 - mpmath.fsum(h[: top + 1])
            else:
                want = mpmath.fsum(h[2: top + 1])
            assert abs(g(kappa=kappa) - want) <= TINY25, kappa
            if name == "b_tail_mass":        # the finite-d mass above top, error O(1/d)
                errs = [_tail_exact(top, d) / want - 1 for d in (10**3, 10**4, 10**5)]
                assert rate_ok(errs, 0.1, 1.2), (kappa, errs)


def b_errors(name, key, kappa=KAPPA_B, target="degree:1", dims=DIMS_B):
    f = npf(name)
    out = []
    for d in dims:
        M, kap = path(d, kappa)
        e = engine(d, M, target)
        out.append((f(dim=d, kappa=kap), e, d))
    return out


@checks("b_nu", "b_teacher_risk")
def check_b_rate(name):
    """Relative error O(d^-r), r = 1/2 at kappa = 3/2: 10^(-1/2) per decade. The next
    terms are relatively O(d^-1/2) smaller: slack 1.2."""
    key = {"b_nu": "nu", "b_teacher_risk": "L_T"}[name]
    errs = [v / e[key] - 1 for v, e, _ in b_errors(name, key)]
    assert rate_ok(errs, 10 ** -0.5, 1.2), errs
    assert abs(errs[-1]) < 0.01


@checks("b_optimal_time")
def check_b_optimal_time(name):
    """Leading order only: relative error O(log log d/log d), below that with constant 1."""
    for v, e, d in b_errors(name, "t"):
        assert abs(v / e["t"] - 1) < math.log(math.log(d)) / math.log(d), (d, v, e["t"])


@checks("b_optimal_time_balance")
def check_b_optimal_time_balance(name):
    """Relative error O(d^-r/log d): per decade it must fall at least by
    10^-r log(d)/log(10 d), with a slack 1.3 for the next order."""
    rows = b_errors(name, "t")
    errs = [abs(v / e["t"] - 1) for v, e, _ in rows]
    for r, (_, _, d) in zip(decade_ratios(errs), rows):
        assert r < 1.3 * 10 ** -0.5 * math.log(d) / math.log(10 * d), errs
    assert errs[-1] < 1e-3


@checks("b_student_risk")
def check_b_student_risk(name):
    """L_S(t*) = L_T^2 (1 + delta_b): relative error 2 eps_T + delta_b, both O(d^-1/2)
    up to (log d)^2 (delta_b's second term): each decade must divide it at least by
    10^(1/2) (log d/log 10d)^2 / 1.2."""
    rows = b_errors(name, "L_S")
    errs = [abs(v / e["L_S"] - 1) for v, e, _ in rows]
    for r, (_, _, d) in zip(decade_ratios(errs), rows):
        assert r < 1.2 * 10 ** -0.5 * (math.log(10 * d) / math.log(d)) ** 2, errs
    assert errs[-1] < 0.01


@checks("b_risk_ratio")
def check_b_risk_ratio(name):
    """delta_b = L_S(t*)/L_T^2 - 1 (-> 0 like d^-1/2): the expansion's relative error
    decreases and is below 10%."""
    rows = b_errors(name, "L_S")
    rel = [abs((v - 1) / (e["L_S"] / e["L_T"] ** 2 - 1) - 1) for v, e, _ in rows]
    assert rel[0] > rel[-1] and max(rel) < 0.1, rel


@checks("b_exponent")
def check_b_exponent(name):
    """log L_S(t*)/log L_T -> 2; the expansion's error is below a tenth of the distance
    to 2 (delta_b good to 10%, see b_risk_ratio)."""
    got = []
    for v, e, d in b_errors(name, "L_S"):
        x = math.log(e["L_S"]) / math.log(e["L_T"])
        assert abs(v - x) < abs(x - 2) / 10, (d, v, x)
        got.append(abs(x - 2))
    assert got[0] > got[1] > got[2] and got[-1] < 1e-3


SI = "single-index:relu"


@checks("b_si_teacher_risk", "b_si_student_risk")
def check_b_si_risks(name):
    """L_T/E and L_S(t*)/E -> 2 tau for the single-index relu target (no boost); relative
    error O(d^-r), r = 1/4 at kappa = 5/4: 10^(-1/4) per decade, slack 1.2."""
    key = "L_T" if name == "b_si_teacher_risk" else "L_S"
    rows = b_errors(name, key, KAPPA_SI, SI)
    errs = [v / (e[key] / e["E"]) - 1 for v, e, _ in rows]
    if name == "b_si_teacher_risk":
        assert rate_ok(errs, 10 ** -0.25, 1.2), errs
    else:
        # at least as fast (the student removes the part s_1 B_1 ~ d^(1-kappa) L_T of
        # the teacher's excess: L_S(t*)/E converges faster than L_T/E)
        assert all(r < 1.2 * 10 ** -0.25 for r in decade_ratios(errs)), errs
        assert abs(errs[-1]) < 0.01


@checks("b_si_optimal_time", "b_si_gain_fraction")
def check_b_si_rate(name):
    """Relative error O(d^-min(kappa-1, 3-2kappa)) = O(d^-1/4) at kappa = 5/4 for t*; the
    gain fraction's error comes from the same nu: 10^(-1/4) per decade, slack 1.3 (the
    next order is relatively O(d^-1/4) too, hence the wider slack than for L_T)."""
    rows = b_errors(name, "t", KAPPA_SI, SI)
    if name == "b_si_optimal_time":
        errs = [v / e["t"] - 1 for v, e, _ in rows]
    else:
        errs = [v / (1 - e["L_S"] / e["L_T"]) - 1 for v, e, _ in rows]
    assert rate_ok(errs, 10 ** -0.25, 1.3), errs
    assert abs(errs[-1]) < 0.1


@checks("b_si_exponent")
def check_b_si_exponent(name):
    """log(L_S/E)/log(L_T/E) -> 1 (not 2); the expansion's error is below a quarter of
    the distance to 1 and shrinking relative to it."""
    rel = []
    for v, e, d in b_errors(name, "L_S", KAPPA_SI, SI):
        x = math.log(e["L_S"] / e["E"]) / math.log(e["L_T"] / e["E"])
        rel.append(abs(v - x) / abs(x - 1))
    assert rel[0] > rel[1] > rel[2] and rel[0] < 0.25, rel


# ======================================================================================
# The one parametrization over registry names

@pytest.mark.parametrize("name", symbolic.names())
def test_entry_against_independent_numerics(name):
    if name not in CHECKS:
        pytest.fail(f"registry entry {name!r} has no check in tests/test_symbolic.py")
    CHECKS[name](name)


def test_every_registry_name_is_checked():
    assert sorted(CHECKS) == sorted(symbolic.names())


# ======================================================================================
# API errors

def test_api_errors():
    with pytest.raises(InvalidArgument, match=r"unknown expression 'multiplicty'.*"
                                              r"did you mean multiplicity"):
        symbolic.expression("multiplicty")
    with pytest.raises(ValueError, match="has no parameter 'dim'"):
        symbolic.expression("shrinkage", dim=3)
    with pytest.raises(InvalidArgument, match=r"^dim: must be integer >= 2, got 1"):
        symbolic.latex("multiplicity", dim=1)
    with pytest.raises(InvalidArgument, match=r"^degree: must be an integer, got 3/2"):
        symbolic.expression("multiplicity", degree="3/2")
    with pytest.raises(InvalidArgument, match=r"^u: must be real in \(-1, 1\)"):
        symbolic.expression("u_density", u=1)
    with pytest.raises(InvalidArgument, match=r"^kappa: must be .*not 2"):
        symbolic.expression("b_nu", kappa=2)
    with pytest.raises(InvalidArgument, match=r"^d2_sum: must be < teacher_width"):
        symbolic.expression("fluctuation_energy", d2_sum=5, teacher_width=5)
    with pytest.raises(InvalidArgument, match=r"^teacher_risk: must be <= target_energy"):
        symbolic.expression("student_lower_bound", teacher_risk=2, target_energy=1)
    with pytest.raises(InvalidArgument, match=r"^evalf: needs every parameter.*degree"):
        symbolic.latex("multiplicity", evalf=10, dim=4)
    with pytest.raises(InvalidArgument, match=r"^nu: must be a finite number"):
        symbolic.expression("shrinkage", nu="abc")
    with pytest.raises(InvalidArgument, match=r"^power: must be integer in \[0, 12\]"):
        symbolic.numpy_function("kernel_relu_power", power=13)
    with pytest.raises(InvalidArgument, match=r"^dim: 'shrinkage' has no structural"):
        symbolic.numpy_function("shrinkage", dim=3)
    f = symbolic.numpy_function("shrinkage")
    with pytest.raises(InvalidArgument, match=r"^nu: required by 'shrinkage'"):
        f(eigenvalue=1.0)
    with pytest.raises(InvalidArgument, match=r"^dim: 'shrinkage' has no parameter 'dim'"):
        f(eigenvalue=1.0, nu=1.0, dim=3)
    # exact values: "0.3" is 3/10, not the nearest float
    assert symbolic.expression("shrinkage", eigenvalue="0.7", nu="0.3") == sp.Rational(3, 10)
    # the finite-width student: z is registered on the negative axis (ridge form)
    with pytest.raises(InvalidArgument, match=r"^z: must be real < 0, got 1 .*complex z"):
        symbolic.expression("student_resolvent", z=1)
    with pytest.raises(InvalidArgument, match=r"^kappa_z: must be > -z = 1"):
        symbolic.expression("student_kappa_equation", z=-1, kappa_z="0.5")
    with pytest.raises(InvalidArgument, match=r"^e_2t: must be >= e_t\^2 = 1/4"):
        symbolic.expression("finite_student_summand", e_t="0.5", e_2t="0.2")
    with pytest.raises(InvalidArgument, match=r"^student_width: must be an integer"):
        symbolic.expression("student_width_equation", student_width="2.5")


# ======================================================================================
# Generated documents

def test_formula_reference_is_up_to_date():
    """docs/formulas.md is the generated reference, byte for byte (regenerate with
    ``python derivations/make_formula_docs.py``)."""
    committed = (ROOT / "docs" / "formulas.md").read_text(encoding="utf-8")
    fresh = markdown_reference()
    assert committed == fresh
    for name in symbolic.names():
        assert f"### `{name}`" in committed


def test_latex_document_holds_every_entry():
    doc = latex_document()
    assert doc.startswith("\\documentclass") and doc.rstrip().endswith("\\end{document}")
    for e in symbolic.entries():
        assert sp.latex(e.build()) in doc, e.name


# ======================================================================================
# w2s latex

# Two runs in subprocesses, as a user runs them (the document, and an error: one line on
# stderr, no traceback); the other checks call the same entry point in-process
# (``cli.main.main(argv)``: same parser, same error handling, no 2 s of imports each).
CLI_RUNS = {
    "all": ["latex", "--all", "--out", "formulas.tex"],
    "unknown": ["latex", "multiplicty"],
}


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    def run(key):
        cwd = tmp_path_factory.mktemp(key)
        p = subprocess.run(W2S + CLI_RUNS[key], cwd=cwd, capture_output=True, text=True,
                           timeout=300)
        return key, (p, cwd)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, CLI_RUNS))


def w2s(capsys, *argv):
    """``(exit status, stdout, stderr)`` of ``w2s ARGV`` run in-process."""
    from w2s_theory._src.cli.main import main

    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_latex_all_compiles_with_pdflatex(cli):
    p, cwd = cli["all"]
    assert p.returncode == 0, p.stderr
    # nothing on stdout; on stderr at most the progress bar (drawn after 2 s)
    assert p.stdout == ""
    import re

    assert all(not seg.strip() or seg.startswith("w2s latex: [")
               for seg in re.split(r"[\r\n]", p.stderr)), p.stderr
    assert sorted(x.name for x in cwd.iterdir()) == ["formulas.tex"]
    tex = cwd / "formulas.tex"
    assert tex.read_text(encoding="utf-8") == latex_document()
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:   # CI installs texlive-latex-base: missing is a failure
        pytest.fail("pdflatex not found: install texlive-latex-base")
    r = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                        "formulas.tex"], cwd=cwd, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-3000:]
    pdf = cwd / "formulas.pdf"
    assert pdf.exists() and pdf.stat().st_size > 20_000
    assert pdf.read_bytes().startswith(b"%PDF")
    log = (cwd / "formulas.log").read_text(errors="replace")
    pages = int(re.search(r"Output written on formulas\.pdf \((\d+) pages?", log).group(1))
    assert pages >= 5
    assert "! " not in log                  # no TeX error (nonstopmode would go on)


def test_latex_cli_subprocess_error(cli):
    p, cwd = cli["unknown"]
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert p.stderr == ("w2s latex: error: NAME: unknown expression 'multiplicty'; did you "
                        "mean multiplicity, a_multiplicity?\n")
    assert list(cwd.iterdir()) == []


def test_latex_cli_output(capsys):
    assert w2s(capsys, "latex", "kernel_relu") == (0, symbolic.latex("kernel_relu") + "\n",
                                                   "")
    assert w2s(capsys, "latex", "multiplicity", "--dim", "3") == (0, "2 k + 1\n", "")
    assert w2s(capsys, "latex", "multiplicity", "--dim", "4", "--equation") == (
        0, "N(d, k) = \\left(k + 1\\right)^{2}\n", "")
    # --evalf: the printed number is the lambdified value, to the digits printed
    status, out, err = w2s(capsys, "latex", "a_nu", "--dim", "3", "--teacher-width",
                           "1000", "--evalf", "20")
    assert status == 0 and err == ""
    m = re.fullmatch(r"([0-9.]+) \\cdot 10\^\{(-?\d+)\}", out.strip())
    assert m, out
    assert len(m.group(1).replace(".", "")) == 20
    with mpmath.workdps(30):
        printed = mpmath.mpf(m.group(1)) * mpmath.mpf(10) ** int(m.group(2))
        exact = mpf_("a_nu")(dim=3, teacher_width=1000)
        assert abs(printed / exact - 1) < 1e-19           # 20 significant digits
    assert abs(float(printed) / npf("a_nu")(dim=3, teacher_width=1000) - 1) < 1e-12
    # exact substitution, then evaluation: an integer
    status, out, _ = w2s(capsys, "latex", "multiplicity", "--dim", "5", "--degree", "7",
                         "--evalf", "6")
    assert status == 0 and float(out) == sphere.multiplicity(5, 7)
    status, out, err = w2s(capsys, "latex", "--list")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == symbolic.names()
    for line, e in zip(lines, symbolic.entries()):
        assert line.endswith(e.description)


@pytest.mark.parametrize("argv, option, words", [
    (["multiplicty"], "NAME", ["'multiplicty'", "did you mean", "multiplicity"]),
    (["shrinkage", "--dim", "3"], "--dim", ["no parameter 'dim'", "eigenvalue, nu"]),
    (["multiplicity", "--dim", "1"], "--dim", ["integer >= 2", "got 1"]),
    (["b_nu", "--kappa", "2"], "--kappa", ["not 2", "regimes"]),
    (["u_density", "--u", "1"], "--u", ["(-1, 1)", "got 1"]),
    (["fluctuation_energy", "--d2-sum", "7", "--teacher-width", "5"], "--d2-sum",
     ["must be < teacher_width"]),
    (["multiplicity", "--dim", "4", "--evalf", "5"], "--evalf", ["degree"]),
    (["multiplicity", "--evalf", "x"], "--evalf", ["must be an integer"]),
    (["--list", "--dim", "3"], "--dim", ["--list"]),
    ([], "NAME", ["--list or --all"]),
])
def test_latex_cli_errors(capsys, argv, option, words):
    status, out, err = w2s(capsys, "latex", *argv)
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err                          # one line, no traceback
    assert lines[0].startswith(f"w2s latex: error: {option}: "), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
