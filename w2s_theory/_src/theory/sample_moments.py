r"""Moments of fits on samples: the teacher's labels and the student's operator.

A fit (width ``M``, ``n`` samples, ridge :math:`\lambda` or gradient flow for a time
``t``) is linear in its labels; ``derivations/finite_samples.py`` derives the equivalents
of its first and second moments. With :math:`s_a = \nu_a/(\lambda + \nu_a)` at the
fit's nodes :math:`\nu_a` (one node, weight 1, for ridge; the parabola's nodes with
weights :math:`W_a(t)` for gradient flow, :func:`flow_weights`) and the *pair scalars*

.. math:: T_{ab} = \sum_k \frac{N_k\lambda_k}{(\lambda_k+\nu_a)(\lambda_k+\nu_b)},\
          D^\Sigma_{ab} = \sum_k \frac{N_k\lambda_k^2}{(\lambda_k+\nu_a)(\lambda_k+\nu_b)},\
          \gamma_{ab} = \frac{T_{ab}}{M - D^\Sigma_{ab}},\
          D_{ab} = D^\Sigma_{ab} + \gamma_{ab}\nu_a\nu_b T_{ab},\
          \rho_{ab} = \frac{D_{ab}}{n - D_{ab}}

(``M`` or ``n`` infinite: :math:`\gamma = 0` or :math:`\rho = 0`), per direction of
block ``k``:

* the mean: :math:`E[A]_{kk} = \sum_a W_a (1 - s_a(\lambda_k))`;
* for a target along one direction of block ``k``, :math:`E\|A e\|^2 =
  \sum_{ab} W_aW_b\,[(1-s_a)(1-s_b) + \rho_{ab}s_as_b + (1+\rho_{ab})\gamma_{ab}\lambda_k
  s_as_b]`, and per unit of label noise :math:`\sum_{ab}W_aW_b\rho_{ab}`;
* for the teacher's target :math:`f^*` with label noise :math:`\sigma^2` (plus the
  target's energy on null blocks, which a fit on samples sees as noise):
  :math:`E\|P_k f_T\|^2 = V_k = m_k^2 B_k + N_k\lambda_k\, x^\top\tilde\Sigma x +
  N_k\, y^\top C y` with :math:`x_a = W_a s_a`, :math:`y_a = W_a(1-s_a)`,
  :math:`\tilde\Sigma = \sigma + C\circ\gamma`, :math:`\sigma_{ab} = S_{ab}/(M -
  D^\Sigma_{ab})`, :math:`S_{ab} = \sum_k\lambda_kB_k/((\lambda_k+\nu_a)(\lambda_k+\nu_b))`,
  :math:`C_{ab} = (\beta_{ab} + \sigma_{eff}^2)/(n - D_{ab})`, :math:`\beta_{ab} =
  \nu_a\nu_b(\sum_k B_k/((\lambda_k+\nu_a)(\lambda_k+\nu_b)) + \sigma_{ab}T_{ab})`, and
  :math:`L_T = \sum_{ab}W_aW_b[\beta_{ab} + (\beta_{ab} + \sigma_{eff}^2)\rho_{ab}] +
  B_{null}`.

Every two-point sum is :meth:`.sample_equation.SampleEquation.pair`, summed directly
over the blocks (late windows' nodes cluster near :math:`\nu_0`, where divided
differences of one-point sums would lose :math:`\log_{10}(\nu_0 t)` digits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from .contour import quadrature_plan
from .sample_equation import SampleEquation, Weight, context, to_hp, to_mp

__all__ = ["Nodes", "FitModel", "Labels", "flow_weights", "teacher_labels",
           "target_labels", "StudentSums"]

_RE = np.frompyfunc(lambda v: v.real, 1, 1)


def _re(p, x):
    """The real part (elementwise; mpmath or HP numbers at more digits)."""
    if p.is_float:
        return np.real(x)
    return _RE(np.asarray(x, dtype=object)) if np.ndim(x) else x.real


@dataclass
class Nodes:
    """One contour window (or one ridge point) of one fit: ``nu`` (working precision,
    complex for a window), ``z`` (the nodes, ``None`` for ridge), ``u``, ``a``, ``h``,
    and the pair scalars ``T``, ``DS``, ``gam``, ``D``, ``rho`` (matrices)."""

    nu: np.ndarray
    z: np.ndarray | None
    u: np.ndarray | None
    a: object
    h: object
    T: np.ndarray
    DS: np.ndarray
    gam: np.ndarray
    D: np.ndarray
    rho: np.ndarray
    tail_error: float

    @property
    def is_ridge(self) -> bool:
        return self.z is None


class FitModel:
    """A model of width ``M`` fitted on ``n`` samples (``None``: infinite) over a table:
    its equation and its nodes, per contour window (cached) or per ridge penalty."""

    def __init__(self, eq: SampleEquation):
        self.eq, self.p = eq, eq.p
        self.plan = quadrature_plan(self.p)
        self.Nlam2 = eq.spectral(2)
        self._windows = {}

    def _scalars(self, nu):
        eq, p = self.eq, self.p
        with context(p):
            nu = to_hp(p, nu)
            _, _, e1 = eq.sums(eq.Nlam, nu, derivative=False)
            _, _, e2 = eq.sums(self.Nlam2, nu, derivative=False)
            T, DS = eq.pair(eq.Nlam, nu), eq.pair(self.Nlam2, nu)
            if eq.M is None:
                gam = 0 * T
            else:
                gam = T / (eq.M - DS)
            D = DS + gam * nu[:, None] * nu[None, :] * T
            rho = 0 * D if eq.n is None else D / (eq.n - D)
        err = float(np.max(e1)) + float(np.max(e2)) if len(nu) else 0.0
        return T, DS, gam, D, rho, err

    def ridge(self, lam, imag_step=None) -> Nodes:
        r"""The single node :math:`\nu(\lambda)`; with ``imag_step`` :math:`\epsilon`,
        :math:`\nu(\lambda + i\epsilon)` to first order (for complex-step derivatives)."""
        p, eq = self.p, self.eq
        with context(p):
            nu = eq.solve_ridge(lam)
            if imag_step is not None:
                F, G, _ = eq.sums(eq.Nlam_mp, np.array([nu], dtype=object if not p.is_float
                                                         else float))
                _, dR = eq.residual(nu, F[0], G[0])
                d = (mpmath.mpc(0, 1) if not p.is_float else 1j) * imag_step / dR \
                    if eq.m0 is not None else (mpmath.mpc(0, 1) if not p.is_float
                                               else 1j) * imag_step
                nu = nu + d
            arr = to_hp(p, np.array([nu], dtype=object if not p.is_float else complex))
            return Nodes(arr, None, None, None, None, *self._scalars(arr))

    def window(self, w: int) -> Nodes:
        """The nodes of window ``w`` (times in ``[2^w, 2^(w+1))``), cached."""
        if w in self._windows:
            return self._windows[w]
        p, plan = self.p, self.plan
        N = plan.nodes
        with p.context():
            h = p.scalar(plan.step)
            a = p.scalar(plan.c) * p.scalar(2) ** (-w)
            ii = 1j if p.is_float else mpmath.mpc(0, 1)
            u = [j * h for j in range(N + 1)]
            zpos = np.array([a * (x + ii) ** 2 for x in u],
                            dtype=complex if p.is_float else object)
            nupos = self.eq.contour(zpos[None, :])[0]
            conj = np.conj if p.is_float else np.frompyfunc(mpmath.conj, 1, 1)
            nu = np.concatenate([conj(nupos[:0:-1]), nupos])
            z = np.concatenate([conj(zpos[:0:-1]), zpos])
            uu = np.array([-x for x in u[:0:-1]] + u, dtype=float if p.is_float else object)
        with context(p):
            nu = to_hp(p, nu)
            nodes = Nodes(nu, z, uu, a, h, *self._scalars(nu))
        self._windows[w] = nodes
        return nodes


def flow_weights(p, nodes: Nodes, t, derivative=0):
    r"""Quadrature weights :math:`W_j(t) = \frac{ih}{\pi}\,\frac{e^{-t z_j}}{u_j + i}`
    of gradient flow (the rule for :math:`-\frac{1}{2\pi i}\int e^{-tz}\,\cdot\,dz/z`,
    which turns a function of the ridge penalty :math:`\lambda = -z` into the same
    function of gradient flow at time ``t``), times :math:`(-z_j)^r` for the ``r``-th
    derivative in ``t``. A ridge point has the weight 1."""
    if nodes.is_ridge:
        with context(p):
            return to_hp(p, np.array([1.0 if p.is_float else mpmath.mpf(1)],
                                     dtype=complex if p.is_float else object))
    with p.context():
        if p.is_float:
            W = 1j * float(nodes.h) / math.pi * np.exp(-float(t) * nodes.z) / (nodes.u + 1j)
            return W * (-nodes.z) ** derivative
        ii = mpmath.mpc(0, 1)
        t = p.scalar(t)
        W = np.array([ii * nodes.h / mpmath.pi * mpmath.exp(-t * z) / (u + ii)
                      * (-z) ** derivative for z, u in zip(nodes.z, nodes.u)], dtype=object)
    with context(p):
        return to_hp(p, W)


@dataclass
class Labels:
    r"""What a student needs of its labels ``y``: per block the mean
    :math:`E\langle P_k y, P_k f^*\rangle` (weight ``mB``), the second moment
    :math:`E\|P_k y\|^2` (weight ``V``), and the variance of label noise white on the
    student's samples (``noise``); plus, for a teacher, its risk and diagnostics."""

    mB: Weight
    V: Weight
    noise: object
    risk: object = None
    nu: object = None
    tail_error: float = 0.0


def target_labels(eq: SampleEquation, floor) -> Labels:
    """The target itself as labels (the student's ceiling): ``mB = V = B``, and the
    target's energy on null blocks as noise."""
    B = eq.target(0)
    with context(eq.p):
        return Labels(B, B, to_hp(eq.p, floor))


def teacher_labels(model: FitModel, nodes: Nodes, W, noise, floor) -> Labels:
    """The teacher fitted with nodes ``nodes`` and weights ``W`` (module docstring):
    its mean and second moments per block (head values, tail series) and its risk."""
    eq, p = model.eq, model.p
    nu = nodes.nu
    with context(p):
        seff = to_hp(p, p.scalar(noise) + floor)
        _, _, e1 = eq.sums(eq.target(0), nu, derivative=False)
        _, _, e2 = eq.sums(eq.target(1), nu, derivative=False)
        PB, S = eq.pair(eq.target(0), nu), eq.pair(eq.target(1), nu)
        nn = nu[:, None] * nu[None, :]
        sig = 0 * S if eq.M is None else S / (eq.M - nodes.DS)
        beta = nn * (PB + sig * nodes.T)
        C = 0 * beta if eq.n is None else (beta + seff) / (eq.n - nodes.D)
        Lab = beta + (beta + seff) * nodes.rho
        risk = to_mp(p, _re(p, W @ Lab @ W)) + floor
        St = sig + C * nodes.gam
        # per head block
        lam = eq.lam
        s = nu[None, :] / (lam[:, None] + nu[None, :])
        X = W[None, :] * s
        Y = W[None, :] * (1 - s)
        m = _re(p, Y.sum(axis=1))
        qx = _re(p, ((X @ St) * X).sum(axis=1))
        qy = _re(p, ((Y @ C) * Y).sum(axis=1))
        N = to_hp(p, p.exp(eq.log_N))
        # tail series in y = lambda / lambda_bar
        Q = eq.Q
        E = np.array([[Wj * (-eq.bar / nj) ** q for q in range(Q)] for Wj, nj in
                      zip(W, nu)], dtype=complex if p.is_float else object)
        m_ser = [_re(p, -E[:, q].sum()) if q else 0 * eq.bar for q in range(Q)]
        Gx = E.T @ St @ E
        Ep = E / nu[:, None]
        Gy = Ep.T @ C @ Ep
        vx = [_re(p, sum(Gx[i, q - i] for i in range(q + 1))) for q in range(Q)]
        vy = [_re(p, sum(Gy[i, q - i] for i in range(q + 1))) for q in range(Q)]
        v_ser = [vx[q] + (eq.bar * vy[q - 1] if q else 0 * eq.bar) for q in range(Q)]
        tgt = eq.target(0)
        m2 = [sum((m_ser[i] * m_ser[q - i] for i in range(q + 1)), 0 * eq.bar)
              for q in range(Q)]
        mB = tgt.times(m, m_ser)
        Vb = tgt.times(m * m, m2)
        Vn = _n_weight(eq, N * lam * qx + N * qy, v_ser)
        V = Vb + Vn
        err = nodes.tail_error + float(np.max(e1)) + float(np.max(e2))
        zero = to_hp(p, p.scalar(0))
    return Labels(mB, V, zero, risk, None, err)


def _n_weight(eq: SampleEquation, head, series) -> Weight:
    """A weight ``N_k lambda_k v(lambda_k)`` given its head values and the series of
    ``v`` on the tail."""
    base = eq.Nlam
    tails = []
    for s, c, mom in base.tails:
        tails.append((s, list(series), mom))
    return Weight(head, tuple(tails), base.lam, base.bar, base.Q)


class StudentSums:
    r"""A student's nodes against one set of labels: the vector ``h`` and matrix ``H``
    with :math:`L_S = \|f^*\|^2 + D + I`, :math:`D = -2\,\mathrm{Re}\,W\cdot h`,
    :math:`I = \mathrm{Re}\,W^\top H W` (module docstring; ``W`` the fit's weights)."""

    def __init__(self, model: FitModel, nodes: Nodes, labels: Labels):
        eq, p = model.eq, model.p
        nu = nodes.nu
        with context(p):
            self.h, _, e1 = eq.sums(labels.mB.times_lam(1), nu, derivative=False)
            V, Vl, Vl2 = labels.V, labels.V.times_lam(1), labels.V.times_lam(2)
            _, _, e2 = eq.sums(Vl2, nu, derivative=False)
            e3 = e4 = e2
            nn = nu[:, None] * nu[None, :]
            rho, gam = nodes.rho, nodes.gam
            self.H = eq.pair(Vl2, nu) + rho * nn * eq.pair(V, nu) \
                + (1 + rho) * gam * nn * eq.pair(Vl, nu) + rho * labels.noise
            self.scale = abs(complex(labels.mB.total())) + abs(complex(V.total())) + \
                abs(complex(labels.noise)) * float(np.max(np.abs(np.array(
                    [complex(x) for x in rho.ravel()]))))
            self.tail_error = nodes.tail_error + sum(float(np.max(e)) for e in
                                                     (e1, e2, e3, e4))
