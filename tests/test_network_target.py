"""Two-layer network targets (issue 12, item 2): f*(x) = sum_j a_j g(<v_j, x>).

References computed here:

* energies per degree by a direct pairwise computation,
  B_k = c_k(g)^2 N(d,k) sum_{j,j'} alpha_j alpha_j' P_k(<v_j_hat, v_j'_hat>),
  alpha_j = a_j |v_j|^q, with c_k from the closed form of tests/_references.py and the
  Gegenbauer recurrence in numpy (or mpmath);
* energies by Monte Carlo projection: B_k = E_{x,x'} f*(x) f*(x') N(d,k)
  P_k(<x, x'>) over independent pairs of sampled inputs (the addition theorem), on
  Gaussian inputs with |x|^p |x'|^p / E|x|^{2p} (the projection on |x|^p Y_k);
* totals by the kernel of g, sum alpha alpha' kappa_g(<v_hat, v_hat'>), and tails by
  explicit sums to a large degree;
* the simulator's cross inner products b_i = E_x sigma(<w_i, x>) f*(x) by Monte Carlo.

Theory against the exact simulation: tolerance 3 standard errors plus the deterministic
equivalent's error at that size (see tests/test_gaussian_inputs.py, REFERENCE_GAP,
measured by benchmarks/gaussian_network_gap.py).
"""

from __future__ import annotations

import json
import math
import re
import warnings

import mpmath
import numpy as np
import pytest

import w2s_theory as w2s
from w2s_theory import InvalidArgument, Setting, SphereSpectrum, parse_target, simulate
from w2s_theory._src.activations import Activation, PiecewisePower
from w2s_theory._src.kernels import cross_kernel, kernel
from w2s_theory._src.simulation.families import make_family
from w2s_theory._src.spectra import GaussianInputSpectrum
from w2s_theory._src.spectra.sphere import coefficient_sequence
from w2s_theory._src.sphere import gegenbauer, log_multiplicities, multiplicity
from w2s_theory._src.targets import Degree, Network

from _references import e_pk  # tests/_references.py
from test_gaussian_inputs import check_against_exact_simulation, chi_moment

EPS = np.finfo(float).eps

#: (g, its pieces: [(power q, a_q, b_q)] with g = sum a_q u_+^q + b_q (-u)_+^q)
PIECES = {"relu": [(1, 1, 0)], "abs": [(1, 1, 1)], "relu2": [(2, 1, 0)],
          "step": [(0, 1, 0)], "leaky_relu": [(1, 1, -0.01)], "poly:1,1": [(0, 1, 1),
                                                                          (1, 1, -1)]}


def c_ref(g, k, d):
    """c_k(g) by the closed form of e_{q,k} (mpmath)."""
    return sum((a + (-1) ** k * b) * e_pk(q, k, d) for q, a, b in PIECES[g])


def direct_energies(t: Network, d, K, gaussian=False, p=1):
    """B_k, k < K, pairwise over the neurons, each homogeneous piece with its norms."""
    V, a = t.raw(d)
    norms = np.linalg.norm(V, axis=1)
    U = V / norms[:, None]
    T = np.clip(U @ U.T, -1, 1)
    P = gegenbauer(K - 1, T, d)
    out = np.zeros(K)
    with mpmath.workdps(30):
        m2p = chi_moment(d, 2 * p)
        for k in range(K):
            amp = np.zeros(len(a))
            for q, _, _ in PIECES[t.activation().name]:
                c = float(sum((x + (-1) ** k * y) * e_pk(q, k, d)
                              for q2, x, y in PIECES[t.activation().name] if q2 == q))
                v = float(chi_moment(d, p + q) / mpmath.sqrt(m2p)) if gaussian else 1.0
                amp = amp + a * norms ** q * c * v
            out[k] = multiplicity(d, k) * amp @ P[k] @ amp
    return out


def energies(bt, K):
    la, _ = bt.amplitudes(K)
    return np.exp(2 * np.asarray(la, dtype=float))


# --------------------------------------------------------------------------------------
# The string form


@pytest.mark.parametrize("text,expected", [
    ("network:relu,width=64,seed=0", Network("relu", width=64, seed=0)),
    ("network:relu,width=64", Network("relu", width=64, seed=0)),
    ("network:RELU, width = 3 , seed=2, standardize", Network("relu", width=3, seed=2,
                                                            standardize=True)),
    ("network:poly:1,1,width=2,seed=1", Network("poly:1,1", width=2, seed=1)),
    ("net:abs,seed=5,width=4,standardize=false", Network("abs", width=4, seed=5)),
    ("0.5*network:step,width=2,seed=0 + degree:1",
     0.5 * Network("step", width=2, seed=0) + Degree(1)),
])
def test_parse_and_round_trip(text, expected):
    t = parse_target(text)
    assert t == parse_target(expected) and parse_target(str(t)) == t


def _files(tmp_path, d=4, W=3):
    rng = np.random.default_rng(0)
    V, a = rng.standard_normal((W, d)), rng.standard_normal(W)
    np.savez(tmp_path / "net.npz", V=V, a=a, activation="abs")
    np.save(tmp_path / "net.npy", np.column_stack([V, a]))
    (tmp_path / "net.json").write_text(json.dumps({"V": V.tolist(), "a": a.tolist()}))
    return V, a


def test_file_forms(tmp_path):
    V, a = _files(tmp_path)
    sp = SphereSpectrum("relu", 4)
    ref = None
    for name, g in (("net.npz", "abs"), ("net.npy", "relu"), ("net.json", "relu")):
        t = parse_target(f"network:{tmp_path / name}")
        c = t.components[0]
        assert c.activation().name == g and str(parse_target(str(t))) == str(t)
        V2, a2 = c.raw(4)
        np.testing.assert_array_equal(V2, V)
        np.testing.assert_array_equal(a2, a)
        B = energies(t.bind(sp), 8)
        if g == "relu":
            ref = B if ref is None else ref
            np.testing.assert_array_equal(B, ref)
    # g given in the string wins over the file's
    t = parse_target(f"network:{tmp_path / 'net.npz'},g=relu")
    np.testing.assert_array_equal(energies(t.bind(sp), 8), ref)


@pytest.mark.parametrize("text,words", [
    ("network:relu,width=0", "width must be a positive integer, got 0"),
    ("network:relu,width=-3,seed=1", "width must be a positive integer"),
    ("network:relu,width=two", "width must be an integer"),
    ("network:relu,width=2,seed=-1", "seed must be an integer >= 0"),
    ("network:relu,width=2,depth=3", "unknown option 'depth'"),
    ("network:tanh,width=2", "piecewise-power g"),
    ("network:nope,width=2", "unknown activation 'nope'"),
    ("network:relu", "give width=W"),
    ("network:/nonexistent/net.npz", "cannot read it"),
    ("network:relu,width=2,standardize=maybe", "standardize must be true or false"),
])
def test_bad_strings(text, words):
    with pytest.raises(InvalidArgument) as info:
        parse_target(text)
    assert info.value.argument == "target" and words in info.value.message
    assert "\n" not in str(info.value)


def test_bad_files(tmp_path):
    V = np.ones((2, 4))
    cases = {"nan.npz": (dict(V=np.where(np.eye(2, 4) > 0, np.nan, 1.0), a=np.ones(2)),
                         "directions must be finite (row 0"),
             "inf_a.npz": (dict(V=V, a=np.array([1, np.inf])), "output weights must be"),
             "zero.npz": (dict(V=np.vstack([V[0], np.zeros(4)]), a=np.ones(2)),
                          "direction 1 is zero"),
             "shape.npz": (dict(V=V, a=np.ones(3)), "one weight per direction"),
             "noa.npz": (dict(V=V), "no array 'a'")}
    for name, (arrays, words) in cases.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(InvalidArgument, match=f"^target: .*{re.escape(words)}"):
            parse_target(f"network:{tmp_path / name}")
    # a file whose directions do not match d: at binding, naming target (and --target)
    np.savez(tmp_path / "ok.npz", V=V, a=np.ones(2))
    with pytest.raises(InvalidArgument, match="^target: .*have 4 coordinates but the "
                                              "inputs have d = 6"):
        Setting(dim=6, target=f"network:{tmp_path / 'ok.npz'}")
    p = _cli("risk", "--dim", "6", "--teacher-width", "10", "--target",
             f"network:{tmp_path / 'ok.npz'}")
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and "--target" in lines[0], p.stderr
    p = _cli("risk", "--dim", "6", "--teacher-width", "10", "--target",
             "network:relu,width=0")
    assert p.returncode == 2 and "--target" in p.stderr and "width" in p.stderr


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "w2s_theory._src.cli.main", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("spectrum", [lambda: w2s.LinearGaussianSpectrum([1, 2]),
                                      lambda: w2s.FiniteSpectrum([1, 0.5])])
def test_needs_activation_features(spectrum):
    with pytest.raises(InvalidArgument, match="^target: network targets need activation"):
        parse_target("network:relu,width=2").bind(spectrum())


# --------------------------------------------------------------------------------------
# Energies

#: (g, d, width, seed, inputs, features)
ENERGY_CASES = [("relu", 6, 8, 1, "sphere", "relu"), ("abs", 3, 5, 0, "sphere", "relu"),
                ("relu2", 5, 4, 2, "sphere", "abs"), ("step", 4, 6, 3, "sphere", "relu"),
                ("poly:1,1", 6, 3, 4, "sphere", "relu"),
                ("leaky_relu", 2, 4, 5, "sphere", "relu"),
                ("relu", 6, 8, 1, "gaussian", "relu"), ("abs", 5, 4, 6, "gaussian", "abs"),
                ("relu2", 4, 3, 7, "gaussian", "relu")]


@pytest.mark.parametrize("case", ENERGY_CASES, ids=str)
def test_energies_against_direct_pairwise_computation(case):
    g, d, W, seed, inputs, feat = case
    t = Network(g, width=W, seed=seed)
    sp = (GaussianInputSpectrum if inputs == "gaussian" else SphereSpectrum)(feat, d)
    p = sp.power if inputs == "gaussian" else 1
    K = 14
    B = energies(t.bind(sp), K)
    ref = direct_energies(t, d, K, gaussian=inputs == "gaussian", p=p)
    scale = np.abs(ref).max()
    assert np.all(np.abs(B - ref) <= 1e-12 * scale + 64 * EPS * np.abs(ref)), (B, ref)


@pytest.mark.parametrize("case", [("relu", 5, 6, 0, "sphere"), ("abs", 4, 3, 1, "sphere"),
                                  ("relu", 5, 6, 0, "gaussian")], ids=str)
def test_energies_by_monte_carlo_projection(case):
    # B_k = E f(x) f(x') N P_k(<x_hat, x_hat'>) [|x|^p |x'|^p / E|x|^{2p}] over 400,000
    # independent pairs (x, x') of the family's sampled inputs: within 4 standard errors
    g, d, W, seed, inputs = case
    s = Setting(activation="relu", dim=d, inputs=inputs, target=f"network:{g},width={W},"
                f"seed={seed}")
    fam = make_family(s.spectrum, s.bound_target)
    rng = np.random.default_rng(9)
    n = 400_000
    X, Y = fam.sample_inputs(n, rng), fam.sample_inputs(n, rng)
    fx, fy = fam.target_values(X), fam.target_values(Y)
    rx, ry = np.linalg.norm(X, axis=1), np.linalg.norm(Y, axis=1)
    u = np.clip(np.einsum("ij,ij->i", X, Y) / (rx * ry), -1, 1)
    w = fx * fy
    if inputs == "gaussian":
        w = w * rx * ry / d                               # p = 1: |x||x'| / E|x|^2
    K = 6
    P = gegenbauer(K - 1, u, d)
    B = energies(s.bound_target, K)
    for k in range(K):
        terms = w * multiplicity(d, k) * P[k]
        mc, se = terms.mean(), terms.std() / math.sqrt(n)
        assert abs(mc - B[k]) <= 4 * se + 1e-15, (k, mc, B[k], se)


def _piece_activation(q, a, b):
    f = PiecewisePower((0,) * q + (a,), (0,) * q + (b,))
    return Activation(f"piece{q}", f, f.mp_call, f)


@pytest.mark.parametrize("g,d", [("relu", 6), ("abs", 3), ("relu2", 7), ("poly:1,1", 5),
                                 ("step", 4)])
def test_total_parities_and_tails(g, d):
    # ||f*||^2 = sum_{pieces q, q'} sum alpha^q alpha'^q' kappa_{g_q g_q'}(t), and per
    # parity with (kappa(t) +- kappa(-t)) / 2; relu features see the even degrees and
    # degree 1, so beyond K the odd parity is the null energy and
    # U_0(K) = E_even - sum_{even k < K} B_k (head by the pairwise recurrence here);
    # U_q (q >= 1) against explicit sums to degree 6,000 plus the remainder, at most
    # (E_even - head(6000)) lambda_bar(6000)^q
    t = Network(g, width=7, seed=3)
    sp = SphereSpectrum("relu", d)
    bt = t.bind(sp)
    V, a = t.raw(d)
    norms = np.linalg.norm(V, axis=1)
    U = V / norms[:, None]
    T = np.clip(U @ U.T, -1, 1)
    np.fill_diagonal(T, 1.0)        # kappa_step has an infinite slope at 1: t = 1 exactly
    pieces = [(q, _piece_activation(q, x, y)) for q, x, y in PIECES[g]]
    plus = sum((a * norms ** q1) @ cross_kernel(f1, f2, d)(T) @ (a * norms ** q2)
               for q1, f1 in pieces for q2, f2 in pieces)
    minus = sum((a * norms ** q1) @ cross_kernel(f1, f2, d)(-T) @ (a * norms ** q2)
                for q1, f1 in pieces for q2, f2 in pieces)
    E_par = [(plus + minus) / 2, (plus - minus) / 2]
    assert abs(math.exp(bt.log_total_energy()) / plus - 1) < 1e-13
    K, KK = 12, 6000
    iu = np.triu_indices(len(a))
    wts = np.where(iu[0] == iu[1], 1.0, 2.0)
    P = gegenbauer(KK - 1, T[iu], d)                      # (KK, pairs)
    logN = np.asarray(log_multiplicities(d, np.arange(KK)), float)
    h = np.zeros((KK, len(a)))
    for q, f in pieces:
        la, sg = coefficient_sequence(f, d).log_abs(KK)
        c = np.where(sg != 0, sg * np.exp(np.asarray(la, float) + 0.5 * logN), 0.0)
        h += c[:, None] * (a * norms ** q)[None, :]
    B = np.einsum("kp,kp->k", h[:, iu[0]] * h[:, iu[1]] * wts, P)
    la_s, sg_s = sp.coefficients(KK)
    lam = np.where(sg_s != 0, np.exp(2 * np.asarray(la_s, float)), 0.0)
    bar = sp.log_lambda_bar(K)
    tt = bt.tail(K, 3, bar)
    U0 = E_par[0] - B[:K:2].sum()
    null = E_par[1] - B[1:K:2].sum()
    got_null = math.exp(tt.log_null) if tt.log_null > -np.inf else 0.0
    assert abs(got_null - null) <= 1e-13 * plus
    if U0 <= 1e-13 * plus:          # relu2 on relu features: only null degrees beyond 2
        assert tt.log_mass == -np.inf
        return
    assert abs(math.exp(tt.log_mass) / U0 - 1) < 1e-10 + tt.rel_error
    rest = max(E_par[0] - B[0:KK:2].sum(), 0.0)
    bar_KK = math.exp(sp.log_lambda_bar(KK))
    for q in (1, 2, 3):
        Uq = (B[K:] * lam[K:] ** q).sum()
        got = math.exp(tt.log_mass) * tt.ratios[q] * math.exp(bar) ** q
        assert Uq * (1 - 1e-10 - tt.rel_error) <= got <= \
            (Uq + rest * bar_KK ** q) * (1 + 1e-10 + tt.rel_error), (q, got, Uq)


def test_one_neuron_is_a_single_index_target(tmp_path):
    # a file with the one direction e_1 and a = 1: the same function as
    # single-index:relu; energies, total, tails and risks agree to rounding, and the
    # exact simulation agrees seed by seed
    d = 6
    np.save(tmp_path / "one.npy", np.array([[1.0] + [0.0] * (d - 1) + [1.0]]))
    net = f"network:{tmp_path / 'one.npy'}"
    sp = SphereSpectrum("relu", d)
    b1, b2 = parse_target(net).bind(sp), parse_target("single-index:relu").bind(sp)
    np.testing.assert_allclose(energies(b1, 20), energies(b2, 20), rtol=1e-13, atol=1e-300)
    assert abs(b1.log_total_energy() - b2.log_total_energy()) < 1e-14
    kw = dict(activation="relu", dim=d, teacher_width=30, times=[10.0, 300.0])
    c1, c2 = w2s.risk_curve(target=net, **kw), w2s.risk_curve(target="single-index:relu",
                                                               **kw)
    np.testing.assert_allclose([float(x) for x in c1.student_risk],
                               [float(x) for x in c2.student_risk], rtol=1e-11)
    r1 = simulate(target=net, seeds=2, seed=3, workers=1, **kw)
    r2 = simulate(target="single-index:relu", seeds=2, seed=3, workers=1, **kw)
    for x, y in zip(r1.runs, r2.runs):
        assert abs(x.teacher_risk - y.teacher_risk) < 1e-14
        np.testing.assert_allclose(x.student_risk, y.student_risk, rtol=1e-11)


def test_a_network_plus_zonal_components_cross_terms():
    # network + degree:1 + single-index: the degree-1 energy is ||c_1(relu) d sum
    # alpha_j v_hat_j + sqrt(d) e_1 + c_1(relu) d e_1||^2 / d (the degree-1 parts are
    # linear functions), the degree-2 energy a pairwise sum over all atoms
    d = 5
    t = parse_target("network:relu,width=4,seed=8 + degree:1 + single-index:relu")
    B = energies(t.bind(SphereSpectrum("relu", d)), 3)
    V, a = t.components[0].raw(d)
    al = a * np.linalg.norm(V, axis=1)
    U = V / np.linalg.norm(V, axis=1)[:, None]
    c1 = float(e_pk(1, 1, d))
    e1 = np.eye(d)[0]
    vec = c1 * d * (al @ U) + math.sqrt(d) * e1 + c1 * d * e1
    assert abs(B[1] / (vec @ vec / d) - 1) < 1e-13
    c2 = float(e_pk(1, 2, d))
    A = np.vstack([U, e1])
    s = np.append(al, 1.0)
    P2 = gegenbauer(2, np.clip(A @ A.T, -1, 1), d)[2]
    assert abs(B[2] / (multiplicity(d, 2) * c2 ** 2 * s @ P2 @ s) - 1) < 1e-12


def test_standardized_network():
    # unit variance and zero mean under the setting's input law: ||f*||^2 = 1, and on
    # the sphere B_0 = (E f*)^2 = 0; the simulator's target values agree (sampled)
    for inputs in ("sphere", "gaussian"):
        s = Setting(activation="relu", dim=6, inputs=inputs,
                    target="network:relu,width=6,seed=0,standardize")
        assert abs(math.exp(s.bound_target.log_total_energy()) - 1) < 1e-13
        fam = make_family(s.spectrum, s.bound_target)
        y = fam.target_values(fam.sample_inputs(200_000, np.random.default_rng(1)))
        assert abs(y.mean()) < 5 * y.std() / math.sqrt(len(y))
        assert abs(y.var() - 1) < 5 * np.std(y * y) / math.sqrt(len(y))
    B = energies(Setting(dim=6, target="network:relu,width=6,seed=0,standardize")
                 .bound_target, 3)
    assert B[0] < 1e-28
    with pytest.raises(InvalidArgument, match="zero variance"):
        Setting(dim=4, target="network:poly:1,width=2,seed=0,standardize")


def test_thirty_digits():
    # energies at 30 digits against an mpmath pairwise computation (1e-25), and the
    # float64 values against them (1e-13)
    d, K = 5, 8
    t = Network("relu", width=3, seed=2)
    bt = t.bind(SphereSpectrum("relu", d))
    la, _ = bt.amplitudes(K, w2s.Precision(30))
    V, a = t.raw(d)
    with mpmath.workdps(40):
        Vm = [[mpmath.mpf(x) for x in row] for row in V]
        nrm = [mpmath.sqrt(mpmath.fsum(x * x for x in row)) for row in Vm]
        al = [mpmath.mpf(x) * n for x, n in zip(a, nrm)]
        T = [[mpmath.fsum(x * y for x, y in zip(r1, r2)) / (n1 * n2)
              for r2, n2 in zip(Vm, nrm)] for r1, n1 in zip(Vm, nrm)]
        for k in range(K):
            Pk = [[mpmath.gegenbauer(k, mpmath.mpf(d - 2) / 2, x) /
                   mpmath.gegenbauer(k, mpmath.mpf(d - 2) / 2, 1) for x in row] for row in T]
            ref = multiplicity(d, k) * e_pk(1, k, d) ** 2 * mpmath.fsum(
                al[i] * al[j] * Pk[i][j] for i in range(3) for j in range(3))
            got = mpmath.exp(2 * mpmath.mpf(la[k])) if la[k] > mpmath.ninf else 0
            assert abs(got - ref) <= mpmath.mpf(10) ** -25 * max(ref, 1e-30), k
            f = math.exp(2 * float(bt.amplitudes(K)[0][k])) if ref else 0.0
            assert abs(f - float(ref)) <= 1e-13 * float(ref) + 1e-300


# --------------------------------------------------------------------------------------
# The exact simulator


@pytest.mark.parametrize("act,inputs", [("relu", "sphere"), ("tanh", "sphere"),
                                        ("relu", "gaussian")])
def test_cross_inner_products_by_monte_carlo(act, inputs):
    # b_i = E_x sigma(<w_i, x>) f*(x) (cross-kernels of sigma and the pieces of g,
    # times E|x|^{p+q} on Gaussian inputs) against 200,000 sampled inputs
    s = Setting(activation=act, dim=5, inputs=inputs,
                target="network:poly:1,1,width=4,seed=3 + 0.5*degree:2")
    fam = make_family(s.spectrum, s.bound_target)
    rng = np.random.default_rng(2)
    W = fam.sample_weights(5, rng)
    X = fam.sample_inputs(200_000, rng)
    cross = fam.features(X, W) * fam.target_values(X)[:, None]
    z = np.abs(cross.mean(0) - fam.target_inner(W)) / (cross.std(0) / math.sqrt(len(X)))
    assert z.max() < 5, z.max()


#: (setting, student width, dimension of the reference, seeds)
VERSUS = [
    (dict(dim=6, target="network:relu,width=16,seed=0"), None, 6, 24),
    (dict(dim=8, target="network:relu,width=8,seed=3 + degree:1"), None, 8, 24),
    (dict(dim=10, target="network:relu,width=16,seed=2"), 400, 10, 12),
]


@pytest.mark.parametrize("case", VERSUS, ids=lambda c: f"{c[0]['target']}-{c[1]}")
def test_theory_against_exact_simulation(case):
    check_against_exact_simulation(*case)


def test_network_energies_with_tanh_features():
    # features without closed form (quadrature coefficients): the target's energies are
    # the same; the tail is summed to the features' computed degrees; tanh is odd, so
    # the even part of a relu network (and its mean) is the floor
    d = 5
    t = Network("relu", width=4, seed=0)
    Bt = energies(t.bind(SphereSpectrum("tanh", d)), 10)
    Br = energies(t.bind(SphereSpectrum("relu", d)), 10)
    np.testing.assert_allclose(Bt, Br, rtol=1e-13, atol=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = w2s.risk_curve(activation="tanh", dim=d, target=str(t), teacher_width=20,
                           times=[1.0])
    V, a = t.raw(d)
    U = V / np.linalg.norm(V, axis=1)[:, None]
    al = a * np.linalg.norm(V, axis=1)
    kap = kernel("relu", d)
    T = np.clip(U @ U.T, -1, 1)
    even = al @ ((kap(T) + kap(-T)) / 2) @ al               # energy of the even degrees
    assert abs(float(c.floor) / even - 1) < 1e-12


def test_practitioners_simulation_agrees_on_gaussian_inputs():
    # sampled Gaussian inputs, SGD with fresh batches, held-out risks: the same seeds
    # give the same weights as the exact simulation, so the paired differences carry
    # only sampling and SGD noise (and SGD biases below 1%): within 4 standard errors
    kw = dict(activation="relu", dim=6, inputs="gaussian",
              target="network:relu,width=8,seed=0,standardize", teacher_width=20,
              student_width=100, times=[10, 60], seeds=6, seed=5, workers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = simulate(method="exact", **kw)
        sa = simulate(method="sampled", **kw)
    for a, b in [(sa.teacher_risk, ex.teacher_risk)] + list(zip(sa.student_risk,
                                                                ex.student_risk)):
        diff = np.array(a.values) - np.array(b.values)
        m, se = diff.mean(), diff.std(ddof=1) / math.sqrt(len(diff))
        assert abs(m) <= 4 * se + 1e-3 * b.mean, (m, se, b.mean)
