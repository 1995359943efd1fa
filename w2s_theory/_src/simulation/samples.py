r"""Simulation of fits on samples, with population risks computed exactly.

The check of ``docs/finite_samples.md``: the teacher (width :math:`M_T`) is fitted on
:math:`n_T` sampled inputs with labels :math:`f^*(x) + \varepsilon`,
:math:`\varepsilon \sim N(0, \sigma^2)` (or on the population when ``samples`` is not
set), by ridge regression or gradient flow; the student (width :math:`M_S`) on
:math:`n_S` fresh sampled inputs labelled by the teacher (or on the population), by
ridge regression or gradient flow at every requested point. Only the *training* is
sampled: every risk is computed exactly from the population Grams of the features
(:math:`\|f - f^*\|^2 = a^\top G a/M - 2 a^\top b/\sqrt M + \|f^*\|^2`), so the only
randomness is the draw of features and inputs that the theory averages over.

Conventions as in the theory: :math:`f = M^{-1/2}\sum_i a_i\varphi_i`, the loss
:math:`\frac1n\sum_i(f(x_i) - y_i)^2 + \lambda\|a\|^2` (gradient flow on half of its
first term from :math:`a = 0`); ridge 0 is least squares, the minimum-norm solution
with fewer samples than features. An infinitely wide student is simulated for the
Gaussian families (linear features on Gaussian data, user spectra, truncated power
laws), where it is the model with the ``D`` features :math:`\sqrt{\lambda_j}\xi_j`.

>>> from w2s_theory._src.setting import Setting
>>> s = Setting(eigenvalues=[1, 0.3, 0.05], multiplicities=[10, 30, 60],
...             target="energies:0=0.5,1=0.3,2=0.2", teacher_width=20, samples=40,
...             noise="0.1", student_width=60, student_samples=80, times=[3, 30])
>>> r = simulate_samples(s, seeds=2)
>>> r["student_risk"].shape, bool(r["teacher_risk"].min() > 0)
((2, 2), True)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidArgument
from .families import GaussianFamily, make_family
from .runner import blas_threads

__all__ = ["simulate_samples", "fit_points"]


def fit_points(X, y, ridges=None, times=None):
    r"""Coefficients ``a`` (columns: one per point) of ridge regression at the penalties
    ``ridges``, or of gradient flow at ``times``, for the design ``X`` (``n x M``, the
    features already scaled by :math:`M^{-1/2}`) and labels ``y``; one eigen-
    decomposition of :math:`X^\top X/n` serves every point."""
    n, M = X.shape
    if n < M:
        # the dual: a = X^T c, with the n x n Gram (cheaper, exact minimum norm)
        mu, U = np.linalg.eigh(X @ X.T / n)
        z = U.T @ y / n
        V = X.T @ U
    else:
        mu, V = np.linalg.eigh(X.T @ X / n)
        z = V.T @ (X.T @ y) / n
    return V @ _filtered(mu, z, ridges, times)


def _filtered(mu, z, ridges, times):
    """The fits' coordinates in the eigenbasis (columns: one per point): ``z`` times the
    filter of ridge, ``1/(mu + lambda)``, or of gradient flow, ``(1 - e^{-t mu})/mu``
    (``t`` on the null directions, ``1/mu`` at ``t = inf``); eigenvalues below ``1e-12``
    of the largest count as null."""
    mu = np.maximum(mu, 0.0)
    keep = mu > 1e-12 * max(float(mu.max()), 1e-300)
    cols = []
    for lam in (ridges or []):
        lam = float(lam)
        g = np.where(keep | (lam > 0), 1.0 / np.where(keep | (lam > 0), mu + lam, 1.0), 0.0)
        cols.append(g * z)
    for t in (times or []):
        t = float(t)
        if math.isinf(t):
            g = np.where(keep, 1.0 / np.where(keep, mu, 1.0), 0.0)
        else:
            g = np.where(keep, -np.expm1(-t * mu) / np.where(keep, mu, 1.0), t)
        cols.append(g * z)
    return np.array(cols).T


def _population_fit(G, b, ridges=None, times=None):
    """The same fits on the population: ``X^T X/n -> G``, ``X^T y/n -> b``."""
    mu, V = np.linalg.eigh(G)
    return V @ _filtered(mu, V.T @ b, ridges, times)


def _risk(a, G, b, M, energy):
    """``||f - f*||^2`` for coefficient columns ``a`` (``G``, ``b``: population Gram and
    target inner products of the features)."""
    return np.einsum("ip,ij,jp->p", a, G, a) / M - 2 * (b @ a) / math.sqrt(M) + energy


def simulate_samples(setting, seeds=10, seed=0, truncation=None, threads=1):
    """Teacher and student risks over ``seeds`` draws for a setting with finite-sample
    parameters (ridge or gradient flow on either side; gradient descent is not
    simulated). Returns arrays ``teacher_risk`` (seeds), ``student_risk`` (seeds x
    points), their means and standard errors, and the points (``times`` or
    ``student_ridge``). ``threads``: BLAS threads (one by default: on busy cores
    multithreaded OpenBLAS is much slower, see :func:`.runner.blas_threads`)."""
    with blas_threads(threads):
        return _simulate(setting, seeds, seed, truncation)


def _simulate(setting, seeds, seed, truncation):
    spec, bt = setting.spectrum, setting.bound_target
    if setting.lr is not None:
        raise InvalidArgument("lr", "gradient descent is not simulated here")
    fam = make_family(spec, bt, truncation)
    gaussian = isinstance(fam, GaussianFamily)
    M_T, n_T = setting.teacher_width, setting.samples
    M_S, n_S = setting.student_width, setting.student_samples
    if M_S is None and not gaussian:
        raise InvalidArgument("student_width", "an infinitely wide student is simulated "
                              "for Gaussian families only; give a finite width")
    ridge_mode = setting.student_ridge is not None
    pts = list(setting.student_ridge if ridge_mode else (setting.times or ()))
    s_ridges, s_times = (pts, None) if ridge_mode else (None, pts)
    t_T = setting.teacher_time
    t_ridge = None if t_T is not None else [setting.ridge or 0]
    t_times = None if t_T is None else [t_T]
    sigma = math.sqrt(float(setting.noise or 0))
    energy = fam.target_energy
    rng_root = np.random.SeedSequence(seed)
    LT, LS, F2 = [], [], []
    for child in rng_root.spawn(seeds):
        rng = np.random.default_rng(child)
        W_T = fam.sample_weights(M_T, rng)
        G_T, b_T = fam.gram(W_T), fam.target_inner(W_T)
        if n_T is None:
            a_T = _population_fit(G_T / M_T, b_T / math.sqrt(M_T), t_ridge, t_times)[:, 0]
        else:
            X = fam.sample_inputs(n_T, rng)
            y = fam.target_values(X) + sigma * rng.standard_normal(n_T)
            a_T = fit_points(fam.features(X, W_T) / math.sqrt(M_T), y, t_ridge,
                             t_times)[:, 0]
        LT.append(float(_risk(a_T[:, None], G_T, b_T, M_T, energy)[0]))
        F2.append(float(a_T @ G_T @ a_T) / M_T)
        if M_S is None:                                  # Gaussian family: D features
            lam = fam.lam
            theta_T = np.sqrt(lam) * (W_T.T @ a_T) / math.sqrt(M_T)
            Gd, bd = np.diag(lam), np.sqrt(lam) * fam.alpha
            if n_S is None:
                a_S = _population_fit(Gd, Gd @ (theta_T / np.sqrt(lam)), s_ridges, s_times)
            else:
                Xs = fam.coordinates(fam.sample_inputs(n_S, rng))
                a_S = fit_points(Xs * np.sqrt(lam), Xs @ theta_T, s_ridges, s_times)
            LS.append(_risk(a_S, Gd, bd, 1, energy))
            continue
        W_S = fam.sample_weights(M_S, rng)
        G_S, b_S = fam.gram(W_S), fam.target_inner(W_S)
        if n_S is None:
            lab = fam.gram(W_S, W_T) @ a_T / math.sqrt(M_T * M_S)
            a_S = _population_fit(G_S / M_S, lab, s_ridges, s_times)
        else:
            Xs = fam.sample_inputs(n_S, rng)
            y_S = fam.features(Xs, W_T) @ a_T / math.sqrt(M_T)
            a_S = fit_points(fam.features(Xs, W_S) / math.sqrt(M_S), y_S, s_ridges, s_times)
        LS.append(_risk(a_S, G_S, b_S, M_S, energy))
    LT, LS, F2 = np.array(LT), np.array(LS).reshape(seeds, len(pts)), np.array(F2)
    se = (lambda a: a.std(axis=0, ddof=1) / math.sqrt(len(a))) if seeds > 1 else \
        (lambda a: np.full(np.shape(a)[1:], np.nan))
    return {"points": pts, "training": "ridge" if ridge_mode else "flow",
            "teacher_risk": LT, "student_risk": LS, "teacher_norm2": F2,
            "teacher_mean": LT.mean(), "teacher_stderr": float(se(LT)),
            "student_mean": LS.mean(axis=0), "student_stderr": se(LS),
            "target_energy": energy}
