r"""Exact-in-input simulation of one draw of the weights (``THEORY.md`` section 5).

Inputs are integrated exactly (population Grams); only the weights are random.

**Teacher.** ``G = E phi phi^T`` (``m x m``), ``b = E[f* phi]``,
:math:`a = G^+ b` (pseudo-inverse with a relative cut-off, :mod:`.linalg`),
:math:`L_T = \|f^*\|^2 - b^T a`, and :math:`\|f_T\|^2 = a^T G a = b^T a`.

**Infinite-width student** :math:`f_S(t) = \sum_k \alpha_k(t) P_k f_T`,
:math:`\alpha_k = 1 - e^{-t\lambda_k}`, so that

.. math:: L_S(t) = \sum_k \big(\alpha_k^2 E_k - 2\alpha_k X_k + B_k\big),
   \quad E_k = \|P_k f_T\|^2,\ X_k = \langle P_k f_T, P_k f^*\rangle,\ B_k = \|P_k f^*\|^2.

On the sphere :math:`E_k = c_k^2 N(d,k)\, a^T P_k(W W^T) a` and
:math:`X_k = c_k A_k \sqrt{N(d,k)} \sum_i a_i P_k(\langle w_i, \beta\rangle)`; blocks
``k < K`` are summed explicitly. The rest is bounded rigorously: the energies over all
degrees sum to :math:`a^T G a`, so :math:`E_{>K} = b^T a - \sum_{k<K} E_k`; likewise
:math:`B_{>K} = \|f^*\|^2 - \sum_{k<K} B_k`; with
:math:`\bar\alpha = 1 - e^{-t\bar\lambda_K}`
(:math:`\bar\lambda_K \ge \lambda_k` for ``k >= K``) and Cauchy-Schwarz
(:math:`|X_k| \le \sqrt{E_k B_k}`, then over ``k``),

.. math:: \Big|\sum_{k\ge K} (\alpha_k^2 E_k - 2\alpha_k X_k + B_k) - B_{>K}\Big|
          \le \bar\alpha^2 E_{>K} + 2\bar\alpha \sqrt{E_{>K} B_{>K}}.

``K`` grows (by half) until this bound is below ``rtol`` times the risk at every finite time
(or ``k_max`` is reached; the bound is reported either way). At ``t = inf`` the student
equals the teacher: :math:`L_S = L_T` exactly. For Gaussian families every coordinate is
a block: :math:`E_i = \lambda_i (Z^T a)_i^2`, no remainder.

**Finite-width student** with weights :math:`W_S`: :math:`G_S`, the cross inner products
:math:`y = C a` (:math:`C = E\phi_S\phi_T^T`, by blocks, never stored),
:math:`b_S = E[f^*\phi_S]`; in the eigenbasis of :math:`G_S = V \mathrm{diag}(\mu) V^T`,
with :math:`z = V^T y`, :math:`q = V^T b_S` and
:math:`g_i(t) = (1 - e^{-t\mu_i/M_S})/\mu_i` (:math:`t/M_S` at :math:`\mu_i = 0`;
:math:`1/\mu_i` on the kept eigenvalues at ``t = inf``),

.. math:: L_S(t) = \|f^*\|^2 + \sum_i \big(\mu_i g_i^2 z_i^2 - 2 g_i z_i q_i\big).

The student's own ceiling (trained on :math:`f^*` to convergence) is
:math:`\|f^*\|^2 - \sum_i q_i^2/\mu_i`.

**A random initial top layer** (``init``, ``docs/paper.md``): the student starts from
:math:`\theta(0) = a(0)/\sqrt{M_S}`, :math:`a(0)` drawn per seed from the setting's law
(:func:`draw_init`). Gradient flow from there is still solved in the eigenbasis:
:math:`\theta(t) = e^{-tG_S/M_S}\theta(0) + g(t)\,y`, so with :math:`\zeta = V^T
\theta(0)` the coordinates are :math:`c_i = d_i(t)\zeta_i + g_i z_i`,
:math:`d_i = e^{-t\mu_i/M_S}` (:math:`(1 - \eta\mu_i/M_S)^k` for descent), and
:math:`L_S = \|f^*\|^2 + \sum_i(\mu_i c_i^2 - 2c_iq_i)`. The teacher, trained to
convergence, is the projection whatever its start (the null space of its Gram carries no
function), so its fit is unchanged. The infinite-width student's initial function is a
Gaussian process with covariance :math:`v K` (:math:`v` the variance of one weight):
Gaussian families draw it per coordinate, :math:`f_{0,i} = \sqrt{v\lambda_i}\,\xi`,
and the risk gains :math:`d_i^2 f_{0,i}^2 + 2 d_i f_{0,i}(\alpha_i f_{T,i} - f^*_i)`;
on the sphere its expected energy :math:`v\sum_k N_k\lambda_k d_k(t)^2` is added
exactly (the cross term has mean zero), degrees beyond the cut bounded by
:math:`v(\mathrm{tr}\,\Sigma - \sum_{k<K}N_k\lambda_k)`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..parameters import init_variance as _exact_init_variance
from .families import GaussianFamily, SphereFamily
from .linalg import SymmetricEigen

__all__ = ["TeacherFit", "fit_teacher", "infinite_student", "finite_student", "learned",
           "K_MAX", "draw_init", "init_variance", "sgd_excess"]

_EPS = np.finfo(float).eps
#: Largest number of degrees summed explicitly for the infinite-width student.
K_MAX = 4096


@dataclass(frozen=True)
class TeacherFit:
    a: np.ndarray
    teacher_risk: float
    energy: float                 # ||f_T||^2 = b^T a
    target_energy: float
    conditioning: dict


def fit_teacher(family, W) -> TeacherFit:
    """The teacher's exact population projection for weights ``W``."""
    b = family.target_inner(W)
    G = family.gram(W)
    eig = SymmetricEigen(G)
    del G
    coords = eig.coordinates(b)
    keep = eig.kept()
    mu = eig.values
    w = np.zeros_like(coords)
    w[keep] = coords[keep] / mu[keep]
    a = eig.combine(w)
    energy = float(np.sum(coords[keep] * w[keep]))
    E = family.target_energy
    return TeacherFit(a, E - energy, energy, E, eig.conditioning())


# --------------------------------------------------------------------------------------
# The initial top layer


def _init_law(init):
    """``(law, scale)`` of a setting's ``init`` string (``None``: zero)."""
    if init is None:
        return None, 0.0
    if init == "torch":
        return "torch", None
    law, _, scale = init.partition(":")
    return law, float(scale)


def init_variance(init, m):
    """The variance of one initial output weight for width ``m`` (``None``: infinite), a
    float (:func:`~w2s_theory._src.parameters.init_variance`, rounded once)."""
    return float(_exact_init_variance(init, m))


def draw_init(init, m, rng):
    """Initial output weights :math:`a(0)` of a width-``m`` model, drawn from the law of
    ``init`` (``normal:S``: ``S N(0,1)``; ``uniform:S``: ``U(-S, S)``; ``torch``:
    ``U(-1/sqrt(m), 1/sqrt(m)))``; ``None`` (zero) draws nothing and returns zeros."""
    law, scale = _init_law(init)
    if law is None:
        return np.zeros(m)
    if law == "normal":
        return scale * rng.standard_normal(m)
    bound = scale if law == "uniform" else 1.0 / math.sqrt(m)
    return rng.uniform(-bound, bound, m)


def _decay(points, s, lr=None):
    r""":math:`e^{-ts}` (flow) or :math:`(1 - \eta s)^k` (descent), 0 at an infinite
    time where ``s > 0`` (1 where ``s = 0``): ``1 - learned``."""
    return 1.0 - learned(points, s, lr)


# --------------------------------------------------------------------------------------
# Infinite-width student


def learned(points, s, lr=None):
    r"""The training filter :math:`h(s)` at eigenvalues ``s`` of the student's kernel, as
    a ``(T, len(s))`` array: :math:`1 - e^{-ts}` for gradient flow run for the times
    ``points`` (``lr=None``), or :math:`1 - (1 - \eta s)^k` for ``k`` steps of gradient
    descent with learning rate :math:`\eta` (``points`` are the step counts). An
    infinite time or step count gives 1 where ``s > 0``; ``s = 0`` is never learned.

    >>> bool(learned([1.0], [2.0])[0, 0] == 1 - np.exp(-2.0))
    True
    >>> bool(learned([3], [0.5], lr=0.5)[0, 0] == 1 - 0.75 ** 3)
    True
    """
    t = np.asarray(points, dtype=float)[:, None]
    lam = np.asarray(s, dtype=float)[None, :]
    with np.errstate(invalid="ignore", over="ignore"):
        if lr is None:
            out = -np.expm1(-t * lam)
        else:
            out = 1 - np.where(np.isinf(t), 0.0, (1 - lr * lam) ** np.where(np.isinf(t),
                                                                             0.0, t))
    return np.where(lam > 0, np.where(np.isinf(t), 1.0, out), 0.0)


def _block_risks(times, lam, E, X, B, lr=None):
    al = learned(times, lam, lr)
    return np.sum(al * al * E - 2 * al * X + B, axis=1)


def infinite_student(family, W, fit: TeacherFit, times, *, rtol=1e-6, k_max=K_MAX,
                     lr=None, init_var=0.0, rng=None, batch=None):
    """``(risks, bounds, info)``: the infinite-width student's risk at each time (or,
    with ``lr``, after each number of gradient-descent steps), a rigorous bound on the
    omitted degrees, and diagnostics. ``init_var > 0``: the student starts from a
    Gaussian process of covariance ``init_var K`` (drawn with ``rng`` for Gaussian
    families; its expected energy on the sphere, see the module docstring)."""
    times = [float(t) for t in times]
    if isinstance(family, GaussianFamily):
        s = family.coordinate_sums(W, fit.a)
        lam = family.lam
        E = lam * s * s
        X = np.sqrt(lam) * s * family.alpha
        B = family.alpha ** 2
        risks = _block_risks(times, lam, E, X, B, lr) + family.omitted_target_energy
        if batch is not None:
            # the kernel's features are the coordinates: c = lambda, and the teacher's
            # labels lie in their span (sigma^2 = 0); the init enters in expectation
            risks = risks + sgd_excess(lam, E, init_var * lam, 0.0, lr, batch, times)
        elif init_var > 0:
            f0 = np.sqrt(init_var * lam) * rng.standard_normal(len(lam))
            d = _decay(times, lam, lr)
            al = learned(times, lam, lr)
            fT, fs = np.sqrt(lam) * s, family.alpha
            risks = risks + np.sum(d * d * f0 * f0 + 2 * d * f0 * (al * fT - fs), axis=1)
        risks = np.where(np.isinf(times), fit.teacher_risk, risks)
        resid = fit.energy - float(E.sum())
        return risks, np.zeros(len(times)), {"degrees": int(family.D),
                                            "energy_residual": resid}
    if not isinstance(family, SphereFamily):                       # pragma: no cover
        raise TypeError(family)
    return _sphere_student(family, W, fit, times, rtol, k_max, lr, init_var)


def _sphere_student(family: SphereFamily, W, fit, times, rtol, k_max, lr=None,
                    init_var=0.0):
    m = len(W)
    finite = [t for t in times if math.isfinite(t)]
    # the degrees needed depend on the training time (lr * steps for gradient descent)
    K = family.start_degree(max(finite, default=0.0) * (lr or 1.0), k_max)
    sums = family.degree_sums(W, fit.a)
    while True:
        q, r = sums.extend(K)
        tab = family.degree_table(K)
        lam = tab["lam"]
        E = tab["energy_weight"] * q
        X = tab["c_sqrtN"] * tab["A"] * r
        B = tab["A"] ** 2
        resid = fit.energy - float(E.sum())
        # rounding of the sums (K recurrence steps, m-term dot products)
        delta = 8 * _EPS * (K + m) * (fit.energy + fit.target_energy)
        E_tail = max(resid, 0.0) + delta
        B_tail = max(fit.target_energy - float(B.sum()), 0.0)
        lam_bar = tab["lam_bar"]
        risks = _block_risks(times, lam, E, X, B, lr) + B_tail
        bounds = np.zeros(len(times))
        if init_var > 0:
            # the initial layer's expected energy v sum_k N_k lambda_k d_k(t)^2: exact to
            # the cut; beyond it each d_k^2 lies in [d(lam_bar)^2, 1] (the filter is
            # monotone below 1/lr), so the rest of the trace is added at the middle of
            # that range, half its width the bound
            d = _decay(times, lam, lr)
            head = np.sum(d * d * tab["energy_weight"], axis=1)
            rest = max(family.kernel_trace - float(np.sum(tab["energy_weight"])), 0.0)
            d_bar = _decay(times, np.array([lam_bar]), lr)[:, 0]
            risks = risks + init_var * (head + rest * (1 + d_bar ** 2) / 2)
            bounds += init_var * rest * (1 - d_bar ** 2) / 2
        for i, t in enumerate(times):
            if math.isinf(t):
                risks[i] = fit.teacher_risk
                bounds[i] = 0.0
                continue
            # the filter is increasing in lambda below 1/lr: lam_bar bounds the tail's
            ab = -math.expm1(-t * lam_bar) if lr is None else 1 - (1 - lr * lam_bar) ** t
            bounds[i] += ab * ab * E_tail + 2 * ab * math.sqrt(E_tail * B_tail)
        ok = all(bd <= rtol * max(abs(v), 1e3 * delta) for bd, v in zip(bounds, risks))
        if ok or K >= k_max:
            break
        K = min(K + max(K // 2, 2), k_max)
    return risks, bounds, {"degrees": K, "energy_residual": resid, "rounding": delta,
                           "bound_met": bool(ok)}


# --------------------------------------------------------------------------------------
# Finite-width student


def sgd_excess(c, mean0, var0, sigma2, lr, batch, steps):
    r"""The exact expected excess risk of online SGD over gradient descent from zero,
    :math:`\sum_i q_i(k)` at the step counts ``steps``, for linear regression on
    **Gaussian** features (``docs/paper.md``, ``derivations/practitioner_conventions.py``
    section 4).

    In the eigenbasis of the features' covariance (eigenvalues ``c``), with
    :math:`\mu_i(k) = (1 - \eta c_i)^{2k}\mu_i(0)` the mean residual's energy
    (``mean0``: the zero-init start's, :math:`c_i a^{*2}_i`), :math:`q_i` the variance's
    energy (``var0``: the random initial layer's, :math:`v c_i`), ``sigma2`` the labels'
    part no feature explains, and fresh batches of ``batch`` inputs,

    .. math:: q_i(k+1) = (1-\eta c_i)^2 q_i(k) + \frac{\eta^2 c_i^2}{B}
              \big(q_i(k) + \mu_i(k) + L_k\big),\qquad
              L_k = \sum_j \big(q_j(k) + \mu_j(k)\big) + \sigma^2,

    exact because :math:`E[uu^\top V uu^\top] = 2CVC + \mathrm{tr}(CV)\,C` for
    Gaussian ``u`` (a discrete Volterra equation for the training loss :math:`L_k`).
    """
    c = np.asarray(c, dtype=float)
    q = np.array(var0, dtype=float)
    mu = np.array(mean0, dtype=float)
    d2 = (1 - lr * c) ** 2
    g = lr * lr * c * c / batch
    want = sorted({int(k) for k in steps})
    out, j = {}, 0
    for k in want:
        while j < k:
            L = q.sum() + mu.sum() + sigma2
            q = d2 * q + g * (q + mu + L)
            mu = d2 * mu
            j += 1
        out[k] = float(q.sum())
    return np.array([out[int(k)] for k in steps])


def finite_student(family, W_T, fit: TeacherFit, W_S, times, lr=None, a0=None,
                   batch=None, init_var=0.0):
    """``(risks, info)`` of the width-``M_S`` student trained on the teacher, exactly:
    by gradient flow for the ``times``, or (``lr``) by gradient descent for the step
    counts ``times``; ``a0``: its initial output weights (default zero). ``batch``
    (Gaussian families, with ``lr``): the exact expectation of online SGD with fresh
    batches of that size, over the batches and over an initial layer of variance
    ``init_var`` per weight (:func:`sgd_excess`)."""
    M_S = len(W_S)
    t0 = time.perf_counter()
    y = family.gram_times(W_S, W_T, fit.a)
    b_S = family.target_inner(W_S)
    G = family.gram(W_S)
    t1 = time.perf_counter()
    eig = SymmetricEigen(G)
    del G
    t2 = time.perf_counter()
    Z = eig.coordinates(np.column_stack([y, b_S]))
    z, qv = Z[:, 0], Z[:, 1]
    mu = np.maximum(eig.values, 0.0)
    keep = eig.kept()
    risks = []
    E = fit.target_energy
    zeta = None
    if a0 is not None and np.any(a0 != 0):
        zeta = eig.coordinates(np.asarray(a0, dtype=float) / math.sqrt(M_S))
    for t in times:
        t = float(t)
        if math.isinf(t):
            g = np.where(keep, 1.0 / np.where(keep, mu, 1.0), 0.0)
        elif lr is None:
            x = t * mu / M_S
            with np.errstate(invalid="ignore", divide="ignore"):
                g = np.where(mu > 0, -np.expm1(-x) / np.where(mu > 0, mu, 1.0), t / M_S)
        else:
            h = learned([t], mu / M_S, lr)[0]
            with np.errstate(invalid="ignore", divide="ignore"):
                g = np.where(mu > 0, h / np.where(mu > 0, mu, 1.0), lr * t / M_S)
        if zeta is None:
            risks.append(E + float(np.sum(mu * g * g * z * z - 2 * g * z * qv)))
        else:
            c = _decay([t], mu / M_S, lr)[0] * zeta + g * z
            risks.append(E + float(np.sum(mu * c * c - 2 * c * qv)))
    inv = np.where(keep, 1.0 / np.where(keep, mu, 1.0), 0.0)
    if batch is not None:
        # u = phi / sqrt(M_S): covariance G_S / M_S, eigenvalues mu / M_S; the best
        # predictor's coordinates a*_i = sqrt(M_S) z_i / mu_i
        c = mu / M_S
        mean0 = z * z * inv
        sigma2 = max(fit.energy - float(np.sum(mean0)), 0.0)
        risks = list(np.array(risks) + sgd_excess(c, mean0, init_var * c, sigma2, lr,
                                                   batch, times))
    ceiling = E - float(np.sum(qv * qv * inv))
    info = {"ceiling_risk": ceiling, "conditioning": eig.conditioning(),
            "seconds_gram": t1 - t0, "seconds_eigen": t2 - t1,
            "seconds_total": time.perf_counter() - t0}
    return np.array(risks), info
