"""The simulators (issue 4): exact-in-input Monte Carlo and the practitioner's simulation.

Every tolerance below comes from an argument stated next to it: Monte Carlo standard
errors (``z`` scores at 4 or 5, i.e. false-alarm rates of 1e-4 to 1e-6 per check), the
rigorous truncation bounds the simulators report, or rounding estimates. Each check can
fail: a wrong kernel, time scale, projection or seed stream moves the compared numbers by
many standard errors.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.simulation import (SymmetricEigen, fit_teacher, finite_student,
                                        infinite_student, make_family, simulate)
from w2s_theory._src.simulation import api as sim_api
from w2s_theory._src.simulation import linalg as sim_linalg
from w2s_theory._src.spectra import (FiniteSpectrum, LinearGaussianSpectrum,
                                     PowerLawSpectrum, SphereSpectrum)
from w2s_theory._src.targets import parse_target

EPS = np.finfo(float).eps


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Low-level calls below run in-process: one BLAS thread, as ``simulate`` uses (on
    busy cores multithreaded OpenBLAS can be a hundred times slower)."""
    from w2s_theory._src.simulation.runner import blas_threads

    with blas_threads(1):
        yield


def _family(spectrum, target, truncation=None):
    return make_family(spectrum, parse_target(target).bind(spectrum), truncation)


# --------------------------------------------------------------------------------------
# The eigensolver


@pytest.mark.parametrize("n, chunk_cols", [(1, None), (2, None), (57, None), (200, 60)])
def test_symmetric_eigen_against_numpy(n, chunk_cols, monkeypatch):
    if chunk_cols:      # force the chunked path (eigenvectors of T recomputed by blocks)
        monkeypatch.setattr(sim_linalg, "_CHUNK_BYTES", 8 * n * chunk_cols)
        monkeypatch.setenv("W2S_MEMORY_BUDGET", str(8 * n * n))
    rng = np.random.default_rng(n)
    r = max(1, n - 5)                     # rank-deficient: n - r zero eigenvalues
    B = rng.standard_normal((n, r))
    A = B @ B.T / r
    ref_vals, ref_vecs = np.linalg.eigh(A)
    eig = SymmetricEigen(A.copy())
    scale = float(ref_vals[-1])
    # backward stability of both solvers: eigenvalues agree to O(n eps ||A||)
    assert np.max(np.abs(eig.values - ref_vals)) <= 50 * n * EPS * scale
    x = rng.standard_normal((n, 2))
    g = np.exp(-ref_vals / scale)        # a smooth spectral function: f(A) x
    ref = ref_vecs @ (g[:, None] * (ref_vecs.T @ x))
    ours = eig.combine(np.exp(-eig.values / scale)[:, None] * eig.coordinates(x))
    assert np.max(np.abs(ours - ref)) <= 1e3 * n * EPS * np.max(np.abs(x))
    assert np.allclose(eig.combine(eig.coordinates(x[:, 0])), x[:, 0], atol=1e-10)
    if n > 2:
        assert eig.conditioning()["discarded"] == n - r       # exact zeros are cut off


# --------------------------------------------------------------------------------------
# Exact teacher against a brute-force least-squares fit on sampled inputs

BRUTE_FORCE = [
    # ReLU; the degree-3 part is invisible to ReLU features (floor)
    (SphereSpectrum("relu", 5), "degree:1 + 0.5*degree:2 + 0.3*degree:3", 12, None),
    # tanh (truncated Mercer series) and a single-index ReLU target (cross-kernel)
    (SphereSpectrum("tanh", 4), "single-index:relu", 10, None),
    (LinearGaussianSpectrum([1, 0.5, 0.25, 0.1]), "linear:1,-0.5,0.25,2", 3, None),
    (FiniteSpectrum([1, 0.3, 0.05, 0], [1, 2, 3, 2]),
     "energies:0=0.5,1=1,2=0.25,3=0.1", 4, None),
    (PowerLawSpectrum(2.0), "power-law:1.5", 10, 40),
]


@pytest.mark.parametrize("spectrum, target, m, trunc", BRUTE_FORCE,
                         ids=["relu", "tanh-single-index", "linear", "finite", "power-law"])
def test_exact_teacher_against_least_squares(spectrum, target, m, trunc):
    fam = _family(spectrum, target, trunc)
    rng = np.random.default_rng(7)
    W = fam.sample_weights(m, rng)
    fit = fit_teacher(fam, W)
    G, b = fam.gram(W), fam.target_inner(W)
    n, chunks = 200_000, 8
    S = np.zeros((m, m))
    c = np.zeros(m)
    prods = []
    for _ in range(chunks):
        X = fam.sample_inputs(n // chunks, rng)
        F, y = fam.features(X, W), fam.target_values(X)
        S += F.T @ F
        c += F.T @ y
        prods.append((F[:, :, None] * F[:, None, :]).reshape(len(F), -1)[:2000])
    # 1. the Gram and b against their sample means: z-scores of every entry below 5
    P = np.concatenate(prods)
    se = P.std(axis=0).reshape(m, m) / math.sqrt(n)
    z = np.abs(S / n - G) / np.maximum(se, 1e-300)
    assert np.max(z) < 5, np.max(z)
    # 2. the least-squares fit on n inputs, scored on n fresh inputs
    theta = np.linalg.lstsq(S / n, c / n, rcond=None)[0]
    X = fam.sample_inputs(n, rng)
    F, y = fam.features(X, W), fam.target_values(X)
    err = (F @ theta - y) ** 2
    mse, se_mse = err.mean(), err.std() / math.sqrt(n)
    # E[mse] = L_T + excess, excess ~ tr(G^+ E[r^2 phi phi^T]) / n (r = f* - f_T); the
    # excess is a weighted chi-square with mean `excess`: below 3x its mean except with
    # probability < 1e-3 for m >= 3 (< 1e-4 for m >= 10).
    r = y - F @ fit.a
    Sr = (F * (r * r)[:, None]).T @ F / n
    excess = float(np.trace(np.linalg.pinv(G, rcond=1e-12) @ Sr)) / n
    assert abs(mse - fit.teacher_risk) <= 5 * se_mse + 3 * excess, \
        (mse, fit.teacher_risk, se_mse, excess)
    # 3. the projection is optimal: no coefficient vector has a lower population risk
    pop = fam.target_energy - 2 * theta @ b + theta @ G @ theta
    assert pop >= fit.teacher_risk - 1e3 * EPS * fam.target_energy
    assert fit.teacher_risk > 0


# --------------------------------------------------------------------------------------
# Infinite-width student: identities and the truncation bound


def test_infinite_student_identities_and_truncation_bound():
    fam = _family(SphereSpectrum("relu", 6), "single-index:relu + degree:1")
    W = fam.sample_weights(30, np.random.default_rng(3))
    fit = fit_teacher(fam, W)
    times = [0.0, 100.0, 1e3, 1e4, math.inf]
    coarse, b_coarse, i_coarse = infinite_student(fam, W, fit, times, rtol=0.3)
    fine, b_fine, i_fine = infinite_student(fam, W, fit, times, rtol=1e-12)
    assert i_fine["degrees"] > i_coarse["degrees"]             # the check has teeth
    # the two truncations differ by at most the sum of their rigorous bounds
    assert np.all(np.abs(coarse - fine) <= b_coarse + b_fine + 1e-14)
    assert np.all(b_coarse[1:4] > 0) and np.all(b_coarse[1:4] < coarse[1:4])
    # L_S(0) = ||f*||^2 and L_S(inf) = L_T
    assert abs(fine[0] - fam.target_energy) <= 1e-13
    assert fine[-1] == fit.teacher_risk
    # Mercer: the per-degree energies E_k = c_k^2 N_k a^T P_k(W W^T) a of f_T sum to
    # ||f_T||^2 = b^T a (computed from the kernel). Beyond K they total at most
    # ||a||^2 M T_1(K) (lambda_max(N_k P_k(W W^T)) <= its trace M N_k), T_1 = kernel tail.
    sums = fam.degree_sums(W, fit.a)
    for K in (8, 64, 400):
        q, _ = sums.extend(K)
        resid = fit.energy - float(fam.degree_table(K)["energy_weight"] @ q)
        tail = float(np.exp(float(fam.spectrum.tail_moments(K, 1).log_mass)))
        assert -1e-12 <= resid <= (fit.a @ fit.a) * len(W) * tail, (K, resid)


def test_gaussian_family_student_limits():
    fam = _family(FiniteSpectrum([1, 0.2, 0.05], [1, 3, 5]), "energies:0=1,1=0.5,2=0.2")
    rng = np.random.default_rng(0)
    W = fam.sample_weights(4, rng)
    fit = fit_teacher(fam, W)
    r, bd, info = infinite_student(fam, W, fit, [0.0, 1e6, math.inf])
    assert np.all(bd == 0)
    assert abs(r[0] - fam.target_energy) < 1e-13
    assert abs(r[1] - fit.teacher_risk) < 1e-10 and r[2] == fit.teacher_risk
    assert abs(info["energy_residual"]) < 1e-12
    # a finite student as wide as the spectrum's rank learns f_T exactly at t = inf
    fr, finfo = finite_student(fam, W, fit, fam.sample_weights(40, rng), [math.inf])
    assert abs(fr[0] - fit.teacher_risk) < 1e-10


# --------------------------------------------------------------------------------------
# Finite-width student -> infinite-width student


def test_finite_student_converges_to_infinite_at_rate_one_over_width():
    """E[L_S^{M_S}(t)] - L_S^inf(t) = O(1/M_S): the student's kernel K_S is an unbiased
    estimate of K (E K_S = K), so the first-order term of the risk averages out and the
    bias is second order, 1/M_S (a 1/sqrt(M_S) rate would be the per-draw fluctuation).
    The slope of log(mean difference) against log M_S is fitted by weighted least squares
    with weights from the standard errors (delta method); it must lie in [-1.5, -0.5],
    and its standard error below 0.125, so that the test separates 1/M from 1/sqrt(M)
    at 4 standard errors."""
    fam = _family(SphereSpectrum("relu", 6), "degree:1")
    rng = np.random.default_rng(11)
    W = fam.sample_weights(50, rng)
    fit = fit_teacher(fam, W)
    t = [300.0, 1000.0]
    inf, _, _ = infinite_student(fam, W, fit, t)
    widths, seeds = [50, 100, 200, 400], [32, 16, 12, 8]
    means, ses = [], []
    for M_S, S in zip(widths, seeds):
        D = np.array([finite_student(fam, W, fit, fam.sample_weights(M_S, rng), t)[0] - inf
                      for _ in range(S)])
        means.append(D.mean(axis=0))
        ses.append(D.std(axis=0, ddof=1) / math.sqrt(S))
    means, ses = np.array(means), np.array(ses)
    x = np.log(widths)
    for j in range(len(t)):
        assert np.all(means[:, j] > 4 * ses[:, j])          # the finite student is worse
        y, w = np.log(means[:, j]), (means[:, j] / ses[:, j]) ** 2
        X = np.column_stack([np.ones_like(x), x])
        cov = np.linalg.inv(X.T @ (w[:, None] * X))
        slope = (cov @ (X.T @ (w * y)))[1]
        se_slope = math.sqrt(cov[1, 1])
        assert se_slope < 0.125, se_slope
        assert -1.5 <= slope <= -0.5, (t[j], slope, se_slope)


# --------------------------------------------------------------------------------------
# Exact and practitioner's simulations


def _paired(a, b):
    d = np.array(a.values) - np.array(b.values)
    return d.mean(), d.std(ddof=1) / math.sqrt(len(d))


@pytest.mark.parametrize("student_width", ["inf", 200])
def test_exact_and_sampled_simulations_agree(student_width):
    """Same seeds give the same weights in both simulators, so the per-seed differences
    carry only what differs: held-out sampling error, SGD noise and the SGD biases
    (discretization: a relative error eta*lambda/2 <= 0.3% in the exponents at
    student_lr = 0.02; the teacher's noise floor, about eta*tau/(2B) = 0.25% of L_T).
    The biases are below the standard error of the mean difference (~1% of the risks),
    so the mean difference must be within 4 standard errors of zero."""
    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=20,
              student_width=student_width, times=[10, 30, 60], seeds=8, seed=5)
    ex = simulate(method="exact", **kw)
    sa = simulate(method="sampled", workers=2, **kw)
    assert sa.diagnostics["teacher_training"]["converged"] == 8
    m, se = _paired(sa.teacher_risk, ex.teacher_risk)
    assert abs(m) <= 4 * se, (m, se)
    for a, b in zip(sa.student_risk, ex.student_risk):
        m, se = _paired(a, b)
        assert abs(m) <= 4 * se, (m, se)
        assert se < 0.03 * b.mean                # precise enough to catch a 10% error


def test_finite_sample_student_departs_from_theory():
    """With n = 20 inputs the student cannot learn what the teacher knows (paired risk
    difference > 4 standard errors at t = 300); with n = 5,000 it agrees with the
    fresh-batch student within 4 standard errors."""
    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=20,
              student_width=100, times=[300], seeds=8, seed=9, method="sampled",
              workers=2)
    fresh = simulate(**kw)
    small = simulate(n=20, **kw)
    large = simulate(n=5000, **kw)
    assert small.theory is None and large.n == 5000
    m, se = _paired(small.student_risk[0], fresh.student_risk[0])
    assert m > 4 * se, (m, se)
    m, se = _paired(large.student_risk[0], fresh.student_risk[0])
    assert abs(m) <= 4 * se, (m, se)


# --------------------------------------------------------------------------------------
# Reproducibility


def test_reproducible_from_seed_across_workers():
    kw = dict(activation="relu", dim=5, target="degree:1", teacher_width=40,
              student_width="inf", times=[100, 1000], seed=123)
    a = simulate(seeds=4, workers=1, **kw)
    b = simulate(seeds=4, workers=2, **kw)
    c = simulate(seeds=6, workers=2, **kw)
    d = simulate(seeds=4, workers=1, **{**kw, "seed": 124})
    assert a.teacher_risk.values == b.teacher_risk.values
    assert [s.values for s in a.student_risk] == [s.values for s in b.student_risk]
    assert c.teacher_risk.values[:4] == a.teacher_risk.values     # seed i is seed i
    assert set(d.teacher_risk.values).isdisjoint(a.teacher_risk.values)
    f1 = simulate(seeds=2, workers=1, **{**kw, "student_width": 60})
    f2 = simulate(seeds=2, workers=2, **{**kw, "student_width": 60})
    assert [s.values for s in f1.student_risk] == [s.values for s in f2.student_risk]


def test_sampled_reproducible():
    kw = dict(activation="relu", dim=4, target="degree:1", teacher_width=10,
              student_width=30, times=[10], seeds=2, seed=1, method="sampled",
              max_steps=400)
    a, b = simulate(workers=1, **kw), simulate(workers=2, **kw)
    assert a.to_dict()["student_risk"] == b.to_dict()["student_risk"]
    # times in any order: trained along increasing times, reported in the given order
    c = simulate(workers=1, **{**kw, "times": [30, 10]})
    d = simulate(workers=1, **{**kw, "times": [10, 30]})
    assert [s.values for s in c.student_risk] == [s.values for s in d.student_risk][::-1]


def test_result_carries_theory():
    r = simulate(activation="relu", dim=6, target="degree:1", teacher_width=50,
                 student_width="inf", times=[300, 1000], seeds=2, workers=1)
    d = json.loads(r.to_json())
    assert d["theory"]["times"] == [300.0, 1000.0]
    assert d["theory_teacher_risk"] == d["theory"]["teacher_risk"]
    assert len(d["relative_gap"]["student_risk"]) == 2
    f = simulate(activation="relu", dim=6, target="degree:1", teacher_width=50,
                 student_width=80, times=[300], seeds=2, workers=1)
    # a finite student has its theory too (THEORY.md 3b), for the same width
    assert f.theory.student_width == 80 and f.theory.times == (300.0,)
    assert f.theory_teacher_risk == d["theory_teacher_risk"]
    assert len(f.relative_gaps()["student_risk"]) == 1
    assert "student_ceiling_risk" in f.diagnostics
    p = simulate(PowerLawSpectrum(2.0), target="power-law:1.5", teacher_width=20,
                 student_width="inf", times=[10], seeds=2, workers=1,
                 optimal_stopping=False)
    fam = p.diagnostics["family"]
    assert fam["dimension"] >= 40 and fam["omitted_kernel_trace"] > 0


# --------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("kw, match", [
    (dict(seeds=0), "seeds"),
    (dict(student_width=0), "student_width"),
    (dict(student_width="abc"), "student_width"),
    (dict(teacher_width=0), "teacher_width"),
    (dict(times=[-1]), "times"),
    (dict(times=[]), "times"),
    (dict(n=10), "n: .*sampled"),
    (dict(method="sampled", n=0), "n"),
    (dict(method="sampled", times=[math.inf]), "times"),
    (dict(method="magic"), "method"),
    (dict(seed=-1), "seed"),
])
def test_bad_input(kw, match):
    args = dict(activation="relu", dim=6, teacher_width=10, times=[1], seeds=1)
    with pytest.raises(InvalidArgument, match=match):
        simulate(**{**args, **kw})


def test_width_too_large_for_memory_before_allocating(monkeypatch):
    monkeypatch.setenv("W2S_MEMORY_BUDGET", str(200 * 2**20))

    def boom(*a, **k):                       # nothing may be built before the check
        raise AssertionError("allocated before the memory check")

    monkeypatch.setattr(sim_api, "build_family", boom)
    with pytest.raises(InvalidArgument, match=r"student_width: .*at most (\d+) fits") as e:
        simulate(activation="relu", dim=6, teacher_width=10, student_width=10**5,
                 times=[1], seeds=1)
    fit = int(e.value.message.split("at most ")[1].split()[0])
    sim_linalg.check_width_fits("student_width", fit, other=10)          # fits
    with pytest.raises(InvalidArgument):
        sim_linalg.check_width_fits("student_width", fit + 1, other=10)  # does not
    with pytest.raises(InvalidArgument, match="teacher_width: .*at most"):
        simulate(activation="relu", dim=6, teacher_width=10**5, times=[1], seeds=1)


# --------------------------------------------------------------------------------------
# Command line


def _w2s(*args):
    return subprocess.Popen([sys.executable, "-m", "w2s_theory._src.cli.main", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_cli_json_and_errors():
    runs = {
        "inf": _w2s("simulate", "--activation", "relu", "--dim", "6", "--target",
                    "degree:1", "--teacher-width", "50", "--student-width", "inf",
                    "--time", "300,1000", "--seeds", "3", "--json"),
        "seeds": _w2s("simulate", "--dim", "6", "--time", "1", "--seeds", "0"),
        "memory": _w2s("simulate", "--dim", "6", "--time", "1", "--student-width",
                       "10000000"),
        "n": _w2s("simulate", "--dim", "6", "--time", "1", "--method", "sampled",
                  "--n", "0"),
    }
    out = {k: (p.communicate(timeout=300), p.returncode) for k, p in runs.items()}
    (so, se), rc = out["inf"]
    assert rc == 0 and se == ""                  # --json: no progress bar
    d = json.loads(so)
    assert d["times"] == [300.0, 1000.0]
    assert set(d["teacher_risk"]) >= {"mean", "stderr", "values"}
    assert len(d["teacher_risk"]["values"]) == 3
    assert len(d["student_risk"]) == 2 and set(d["student_risk"][0]) >= {"mean", "stderr"}
    assert d["theory"]["student_risk"] and d["theory"]["teacher_risk"] > 0
    for key, option in [("seeds", "--seeds"), ("memory", "--student-width"), ("n", "--n")]:
        (so, se), rc = out[key]
        lines = se.strip().splitlines()
        assert rc == 2 and len(lines) == 1, se
        assert lines[0].startswith(f"w2s simulate: error: {option}:"), se
        assert "Traceback" not in se and so == ""
    assert "at most" in out["memory"][0][1]


def test_cli_finite_student_carries_its_theory(capsys):
    from w2s_theory._src.cli.main import main

    rc = main(["simulate", "--dim", "6", "--teacher-width", "30", "--student-width", "60",
               "--time", "100", "--seeds", "2", "--json"])
    cap = capsys.readouterr()
    d = json.loads(cap.out)
    assert rc == 0 and cap.err == ""
    assert d["theory"]["student_width"] == 60 and d["theory_teacher_risk"] > 0
    assert d["setting"]["student_width"] == 60
    assert len(d["relative_gap"]["student_risk"]) == 1
    rc = main(["simulate", "--dim", "6", "--time", "1", "--n", "5"])
    assert rc == 2 and capsys.readouterr().err.startswith("w2s simulate: error: --n:")


def test_progress_bar_draws_after_delay():
    import io

    from w2s_theory._src.progress import ProgressBar

    s = io.StringIO()
    bar = ProgressBar("w2s simulate", stream=s, delay=0.0)
    bar(0, 4, "seeds")
    bar(4, 4, "seeds")
    bar.close()
    assert "4/4  seeds" in s.getvalue() and s.getvalue().endswith("\n")
    quiet = io.StringIO()
    bar = ProgressBar("w2s simulate", stream=quiet, delay=60.0)
    bar(1, 1)
    bar.close()
    assert quiet.getvalue() == ""


def test_sample_settings_are_simulated_with_their_theory():
    """A setting with sample sizes goes to the fits-on-samples simulator (the same seeds
    give the same numbers as calling it directly) and carries the finite-sample
    theory."""
    from w2s_theory import Setting
    from w2s_theory._src.simulation.samples import simulate_samples

    s = Setting(eigenvalues=[1, 0.3, 0.05], multiplicities=[10, 30, 60],
                target="energies:0=0.5,1=0.3,2=0.2", teacher_width=20, samples=40,
                noise="0.1", student_width=60, student_samples=80, times=[3, 30])
    r = simulate(s, seeds=3, seed=5)
    direct = simulate_samples(s, seeds=3, seed=5)
    assert list(r.teacher_risk.values) == list(direct["teacher_risk"])
    assert [x.mean for x in r.student_risk] == list(direct["student_mean"])
    assert r.theory.samples["teacher_samples"] == 40
    assert len(r.relative_gaps()["student_risk"]) == 2
    with pytest.raises(InvalidArgument, match="exact method"):
        simulate(s, seeds=2, method="sampled")
