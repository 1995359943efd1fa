r"""The finite-width student's kernel: resolvent equivalent, edges, and :math:`E\,e^{-tK_S}`.

``THEORY.md`` section 3b. The student's kernel :math:`K_S = M_S^{-1}\sum_i \phi_i\otimes
\phi_i` has mean :math:`\Sigma` (eigenvalue :math:`\lambda_k`, multiplicity :math:`N_k`).
Its resolvent has the deterministic equivalent (Couillet and Liao 2022, ch. 2; Bach 2023)

.. math:: E(K_S - z)^{-1} \simeq \bar Q(z) = \Big(\frac{\Sigma}{1 + \delta(z)} - z\Big)^{-1},
          \qquad \delta = \frac{1}{M_S}\sum_k \frac{N_k\lambda_k}{\lambda_k/(1+\delta) - z}.

With :math:`\kappa(z) = -z(1 + \delta(z))` this is

.. math:: \mathrm{df}(\kappa) := \sum_k \frac{N_k\lambda_k}{\lambda_k + \kappa}
          = M_S\Big(1 + \frac{z}{\kappa}\Big), \qquad
          \bar Q_k(z) = \frac{\kappa/(-z)}{\lambda_k + \kappa},

equivalently :math:`z(\kappa) = \kappa(\mathrm{df}(\kappa)/M_S - 1)`, explicit. At
:math:`z = -a < 0` the root is the unique :math:`\kappa > a` (ridge regression; as
:math:`a \to 0`, :math:`\kappa \to \nu_S` with :math:`\mathrm{df}(\nu_S) = M_S`, the
teacher's width equation at the student's width); off the real axis the branch is the
continuation from that point along the contour, checked by :math:`\mathrm{Im}\,\delta
\ge 0` where :math:`\mathrm{Im}\,z > 0` (:math:`\bar Q_k` is the Stieltjes transform of
a probability measure :math:`\mu_k`).

Then :math:`e_k(t) = \int e^{-tx} d\mu_k(x)`, the equivalent of
:math:`E[e^{-tK_S}]` on block ``k``, is a contour integral (:mod:`.contour`): for every
eigenvalue :math:`\lambda`,

.. math:: e(t; \lambda) = \mathrm{Re}\sum_j \frac{w_j(t)}{\lambda + \kappa_j},

with complex weights :math:`w_j` (the rule, :math:`e^{-tz_j}`, :math:`\kappa_j/(-z_j)`,
:math:`dz/du`). Everything is computed in variables scaled by the contour's size
:math:`a` (:math:`\lambda/a`, :math:`\kappa/a`, :math:`z/a`), from the table's logarithms,
so nothing under- or overflows even for :math:`\nu \sim 10^{-100}`. The spectral tail
(:math:`\lambda \le \bar\lambda`) enters as moments: in the equation,
:math:`\sum_{k\ge K} N_k\lambda_k/(\lambda_k+\kappa) = \frac{T_1}{\kappa}\sum_q
(-\bar\lambda/\kappa)^q m_{q+1}`, and in :math:`e`, :math:`1/(\bar\lambda y + \kappa_j)
= \sum_q (-\bar\lambda y)^q/\kappa_j^{q+1}` gives the coefficients of
:math:`e(t;\bar\lambda y) = \sum_q c_q(t) y^q`. Both truncations are geometric in
:math:`\bar\lambda/|\kappa_j|` and reported.

Limits, exact (no quadrature): ``t = 0`` gives 1; ``t = inf`` gives
:math:`\nu_S/(\lambda+\nu_S)`; :math:`M_S = \infty` gives :math:`e^{-t\lambda}` (and
:math:`(1 - \eta\lambda)^k` for gradient descent).

The top edge of the support of the :math:`\mu_k`: :math:`s_+ = \min_{\kappa <
-\lambda_{max}} z(\kappa)` (Silverstein and Choi 1995; :math:`z` is convex there).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InvalidArgument, check_int
from ..powerseries import PowerSeries
from ..precision import FLOAT64, Precision
from .contour import NUMPY, NodeMap, QuadraturePlan, quadrature_plan
from .highprec import HP
from .table import SpectralTable
from .teacher import solve_log_nu

__all__ = ["StudentKernel", "student_kernel"]

_CHUNK = 1 << 20


def _f(x) -> float:
    return float(x)


# --------------------------------------------------------------------------------------
# the equation in scaled variables
# --------------------------------------------------------------------------------------

class _Scaled:
    r"""Coefficients of :math:`g(K) = \mathrm{df}(aK)/M` for a vector of scales ``a``.

    :math:`g(K) = \sum_k A_k/(\ell_k + K) + \frac{\tau_1}{K}\sum_q m_{q+1}(-\bar x/K)^q`
    with :math:`\ell_k = \lambda_k/a`, :math:`A_k = N_k\ell_k/M`,
    :math:`\tau_1 = T_1/(Ma)`, :math:`\bar x = \bar\lambda/a`. In float64 a block with
    :math:`\ell_k \ge 1` is evaluated as :math:`(N_k/M)/(1 + K/\ell_k)` (no overflow).
    """

    def __init__(self, eq, log_a, float_mode):
        p = eq.p
        self.float_mode = float_mode
        conv = (lambda x: np.array([_f(v) for v in np.ravel(x)]).reshape(np.shape(x))) \
            if float_mode and not p.is_float else (lambda x: x)
        with p.context():
            log_a = np.atleast_1d(np.asarray(log_a, dtype=object if not p.is_float
                                             else float))
            la = log_a[:, None]
            self.ell = conv(p.exp(eq.log_lam[None, :] - la))
            self.A = conv(p.exp(eq.log_mult[None, :] + eq.log_lam[None, :] - eq.log_M - la))
            self.n = conv(p.exp(eq.log_mult - eq.log_M))
            if eq.has_tail:
                self.tau1 = conv(p.exp(eq.log_T1 - eq.log_M - log_a))
                self.xbar = conv(p.exp(eq.log_bar - log_a))
                self.mom = [conv(m) for m in eq.mom]
            else:
                self.tau1 = self.xbar = None
                self.mom = []
        if float_mode:
            self.n = np.asarray(self.n, dtype=float)
            # each block as num / (d0 + d1 K): A/(l + K) for l < 1, n/(1 + K/l) else
            with np.errstate(divide="ignore", over="ignore"):
                small = self.ell < 1
                self.num = np.where(small, self.A, self.n[None, :])
                self.d0 = np.where(small, self.ell, 1.0)
                self.d1 = np.where(small, 1.0, 1 / self.ell)

    def g(self, K):
        """``(g(K), g'(K))`` for ``K`` of shape (windows, nodes)."""
        W, J = K.shape
        B = self.ell.shape[1]
        if self.float_mode and W * J * B <= _CHUNK:
            d1 = self.d1[:, None, :]
            d = self.d0[:, None, :] + d1 * K[:, :, None]
            term = self.num[:, None, :] / d
            g = term.sum(axis=-1)
            dg = (-(term * d1) / d).sum(axis=-1)
            return self._tail_g(K, g, dg)
        if self.float_mode:
            g = np.zeros((W, J), dtype=complex)
            dg = np.zeros((W, J), dtype=complex)
        else:
            g = np.full((W, J), mpmath.mpc(0), dtype=object)
            dg = g.copy()
        step = max(1, _CHUNK // max(1, W * J))
        for b0 in range(0, B, step):
            sl = slice(b0, b0 + step)
            e = self.ell[:, None, sl]
            Kc = K[:, :, None]
            if self.float_mode:
                d1 = self.d1[:, None, sl]
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    d = self.d0[:, None, sl] + d1 * Kc
                    term = self.num[:, None, sl] / d
                    dterm = -(term * d1) / d
            else:
                d = e + Kc
                term = self.A[:, None, sl] / d
                dterm = -term / d
            g = g + term.sum(axis=-1)
            dg = dg + dterm.sum(axis=-1)
        return self._tail_g(K, g, dg)

    def _tail_g(self, K, g, dg):
        if self.tau1 is not None and self.float_mode and len(self.mom) > 1:
            # powers of y by one cumulative product, then two dot products
            tau1 = self.tau1[:, None]
            y = -self.xbar[:, None] / K
            mom = np.asarray(self.mom, dtype=float)
            Q = len(mom)
            Y = np.ones(K.shape + (Q,), dtype=complex)
            Y[..., 1:] = np.cumprod(np.broadcast_to(y[..., None], K.shape + (Q - 1,)),
                                    axis=-1)
            P = Y @ mom
            dP = Y[..., :-1] @ (mom[1:] * np.arange(1, Q))
            g = g + tau1 / K * P
            dg = dg + tau1 / (K * K) * (-P - y * dP)
            return g, dg
        if self.tau1 is not None:
            tau1 = self.tau1[:, None]
            y = -self.xbar[:, None] / K
            P = 0 * y + self.mom[-1]
            dP = 0 * y
            for m in self.mom[-2::-1]:
                dP = dP * y + P
                P = P * y + m
            g = g + tau1 / K * P
            dg = dg + tau1 / (K * K) * (-P - y * dP)
        return g, dg

    def truncation(self, K):
        """Bound on the omitted tail terms of ``g`` at ``K`` (float64 array)."""
        if self.tau1 is None:
            return np.zeros(np.shape(K))
        Q = len(self.mom)
        Kf = np.abs(_as_complex(K))
        y = np.asarray(_as_float(self.xbar))[:, None] / Kf
        with np.errstate(divide="ignore", over="ignore"):
            out = np.asarray(_as_float(self.tau1))[:, None] / Kf * y ** Q / (1 - y)
        return np.where(y < 1, out, np.inf)


def _as_float(x):
    if isinstance(x, np.ndarray) and x.dtype == object:
        return np.array([_f(v) for v in x.ravel()]).reshape(x.shape)
    return np.asarray(x, dtype=float)


def _as_complex(x):
    if isinstance(x, np.ndarray) and x.dtype == object:
        return np.array([complex(v) for v in x.ravel()]).reshape(x.shape)
    return np.asarray(x, dtype=complex)


class _Equation:
    """The width equation's data from a table, at width ``M`` (see module docstring)."""

    def __init__(self, table: SpectralTable, M):
        p = table.precision
        self.p = p
        self.table = table
        pos = np.asarray(table.positive, dtype=bool)
        with p.context():
            self.log_lam = np.asarray(table.log_lam)[pos]
            self.log_mult = np.asarray(table.log_mult)[pos]
            self.log_M = p.log(p.scalar(M))
            self.log_lam_max_f = _f(table.log_lambda_max)
            self.has_tail = table.has_tail
            if self.has_tail:
                st = table.spec_tail
                self.log_T1 = st.log_mass
                self.log_bar = st.log_lambda_bar
                self.mom = list(st.ratios[:table.Q])
                self.rel_error = st.rel_error

    def scaled(self, log_a, float_mode=None):
        return _Scaled(self, log_a, self.p.is_float if float_mode is None else float_mode)


# --------------------------------------------------------------------------------------
# solving for kappa along a contour
# --------------------------------------------------------------------------------------

def _solve_real(sc: _Scaled, Z0, lower=None):
    r"""Root ``K > -Z0`` of :math:`g(K) = 1 + Z_0/K` per window (float64).

    :math:`\varphi(K) = g(K) - 1 - Z_0/K` is convex and decreasing on ``K > 0`` and
    positive at ``K = -Z0``: Newton from there increases monotonically to the root.
    ``lower`` (per window, optional): a start closer to the root, used where
    :math:`\varphi` is positive there (:math:`\nu_S/a`: :math:`g = 1` there, so
    :math:`\varphi = -Z_0/K > 0`).
    """
    W = sc.ell.shape[0]
    Z0 = np.broadcast_to(np.asarray(Z0, dtype=float), (W,))
    K = -Z0.copy()
    if lower is not None:
        K1 = np.maximum(K, np.broadcast_to(np.asarray(lower, dtype=float), (W,)))
        with np.errstate(all="ignore"):
            g, _ = sc.g(K1[:, None].astype(complex))
            ok = np.isfinite(K1) & (g[:, 0].real - 1 - Z0 / K1 > 0)
        K = np.where(ok, K1, K)
    for _ in range(400):
        g, dg = sc.g(K[:, None].astype(complex))
        phi = g[:, 0].real - 1 - Z0 / K
        dphi = dg[:, 0].real + Z0 / K ** 2
        step = -phi / dphi
        K_new = np.where(phi > 0, K + step, K)
        done = np.abs(K_new - K) <= 1e-15 * K
        K = K_new
        if np.all(done):
            break
    return K


def _continue(sc: _Scaled, nodemap: NodeMap, us, lower=None):
    """``K`` at the nodes ``us`` (increasing from 0) for every window, float64.

    First a sweep along the nodes with one Newton step per node from the quadratic
    extrapolation of the previous three (enough to follow the branch: each step must be
    small and land on ``Im delta >= 0``), then Newton on every node at once to the
    rounding level. Should anything fail, the careful continuation
    (:func:`_continue_careful`) redoes the windows.
    """
    K = _continue_fast(sc, nodemap, us, lower)
    return K if K is not None else _continue_careful(sc, nodemap, us, lower)


def _continue_fast(sc: _Scaled, nodemap: NodeMap, us, lower=None):
    """The sweep of :func:`_continue`, or ``None`` if it cannot vouch for its roots."""
    W = sc.ell.shape[0]
    J = len(us)
    Z0 = np.broadcast_to(np.asarray(nodemap.start(NUMPY), dtype=float), (W,))
    u = np.asarray(us, dtype=float)
    Z = np.broadcast_to(nodemap.Z(u[None, :], NUMPY), (W, J))
    K = np.zeros((W, J), dtype=complex)
    K[:, 0] = _solve_real(sc, Z0, lower)
    with np.errstate(all="ignore"):
        for j in range(1, J):
            if j < 3:          # the first nodes converged (the extrapolation needs them)
                Kj, ok = _newton_step(sc, nodemap, us[j], K[:, j - 1] + (
                    K[:, j - 1] - K[:, j - 2] if j >= 2 else 0))
                if not np.all(ok):
                    return None
                K[:, j] = Kj
                continue
            guess = 3 * K[:, j - 1] - 3 * K[:, j - 2] + K[:, j - 3]
            g, dg = sc.g(guess[:, None])
            g, dg = g[:, 0], dg[:, 0]
            step = (guess * (g - 1) - Z[:, j]) / (g - 1 + guess * dg)
            Kj = guess - step
            if not np.all(np.isfinite(Kj) & (np.abs(step) <= 0.05 * np.abs(Kj))):
                return None
            K[:, j] = Kj
        for _ in range(8):
            g, dg = sc.g(K)
            F = K * (g - 1) - Z
            dF = g - 1 + K * dg
            step = F / dF
            K = K - step
            if not np.all(np.isfinite(K)):
                return None
            if np.all(np.abs(step) <= 4 * _noise(K, g, dF, Z) + 4e-16 * np.abs(K)):
                break
        else:
            return None
        # branch: Im delta has the sign of Im Z (Stieltjes), with 1 + delta = K / (-Z)
        delta_im = (K / (-Z)).imag * np.sign(Z.imag)
        if not np.all(delta_im >= -1e-12 * np.abs(K / Z)):
            return None
    return K


def _continue_careful(sc: _Scaled, nodemap: NodeMap, us, lower=None):
    """Newton to convergence at each node from the previous one (linear extrapolation);
    a step that does not converge in 30 iterations, or lands on a branch with
    ``Im delta < 0``, is redone in 16 substeps."""
    W = sc.ell.shape[0]
    J = len(us)
    Z0 = np.broadcast_to(np.asarray(nodemap.start(NUMPY), dtype=float), (W,))
    K = np.zeros((W, J), dtype=complex)
    K[:, 0] = _solve_real(sc, Z0, lower)
    for j in range(1, J):
        guess = K[:, j - 1] + (K[:, j - 1] - K[:, j - 2] if j >= 2 else 0)
        Kj, ok = _newton_step(sc, nodemap, us[j], guess)
        if not np.all(ok):
            bad = ~ok
            sub = _Sub(sc, bad)
            nm = _sub_map(nodemap, bad)
            Kb = K[bad, j - 1]
            prev = Kb
            for s in range(1, 17):
                u = us[j - 1] + (us[j] - us[j - 1]) * s / 16
                Kn, okb = _newton_step(sub, nm, u, Kb + (Kb - prev))
                if not np.all(okb):
                    raise ArithmeticError("the resolvent equation did not converge along "
                                          "the contour")
                prev, Kb = Kb, Kn
            Kj[bad] = Kb
        K[:, j] = Kj
    return K


class _Sub:
    """A subset of windows of a :class:`_Scaled`."""

    def __init__(self, sc, mask):
        self.float_mode = sc.float_mode
        self.ell, self.A, self.n = sc.ell[mask], sc.A[mask], sc.n
        if sc.float_mode:
            self.num, self.d0, self.d1 = sc.num[mask], sc.d0[mask], sc.d1[mask]
        self.tau1 = None if sc.tau1 is None else sc.tau1[mask]
        self.xbar = None if sc.xbar is None else sc.xbar[mask]
        self.mom = sc.mom

    g = _Scaled.g
    _tail_g = _Scaled._tail_g


def _sub_map(nodemap, mask):
    if nodemap.kind == "descent":
        return dataclasses.replace(nodemap, s=np.asarray(nodemap.s)[mask])
    return nodemap


def _newton_step(sc, nodemap, u, K):
    """Newton on ``F(K) = K (g(K) - 1) - Z`` at parameter ``u``; (K, converged).

    Converged: the step is below the rounding level of ``F`` (:func:`_noise`) times 4.
    """
    W = K.shape[0]
    Z = np.broadcast_to(nodemap.Z(np.full((W, 1), u), NUMPY), (W, 1))[:, 0]
    ok = np.zeros(W, dtype=bool)
    for _ in range(30):
        g, dg = sc.g(K[:, None])
        g, dg = g[:, 0], dg[:, 0]
        F = K * (g - 1) - Z
        dF = g - 1 + K * dg
        step = F / dF
        K = K - step
        ok = np.abs(step) <= 4 * _noise(K, g, dF, Z) + 4e-16 * np.abs(K)
        if np.all(ok | ~np.isfinite(K)):
            break
    # branch: Im delta has the sign of Im Z (Stieltjes), with 1 + delta = K / (-Z)
    delta_im = (K / (-Z)).imag * np.sign(Z.imag)
    ok &= np.isfinite(K) & (delta_im >= -1e-12 * np.abs(K / Z))
    return K, ok


def _noise(K, g, dF, Z, eps=2.3e-16):
    """Float64 rounding level of the root: ``eps (|K|(|g| + 1) + |Z|) / |F'(K)|``."""
    return eps * (np.abs(K) * (np.abs(g) + 1) + np.abs(Z)) / np.maximum(np.abs(dF), 1e-300)


def polish(eq: _Equation, log_a, Z, Kf, p: Precision):
    """Newton at the working precision from the float64 roots ``Kf`` (windows, nodes),
    node by node with :data:`.highprec.HP` numbers; ``Z`` (mpmath) are the nodes.

    Returns ``(K, rel, |F'|)``: ``K`` a list (windows) of lists of ``HP`` numbers, the
    relative error bound per node and :math:`|F'(K)|` (float64 arrays). Newton converges
    quadratically: with steps ``s_1, s_2`` (relative), the error after the second is
    about ``C s_2^2`` with ``C = s_2/s_1^2`` estimated from the two; a node stops when
    that is below the target (from float64, after two steps: 1e-16, 1e-32, then ~1e-64).
    """
    W, J = Kf.shape
    tol = 10.0 ** -(p.working_digits + 2)
    sc = eq.scaled(log_a, float_mode=False)
    rel_out = np.zeros((W, J))
    dF_out = np.zeros((W, J))
    K_out = []
    with HP.context():
        poly = HP.polynomial(sc.mom) if sc.tau1 is not None else None
        for i in range(W):
            ell = [HP.real(v) for v in sc.ell[i]]
            A = [HP.real(v) for v in sc.A[i]]
            blocks = list(zip(ell, A))
            if poly is not None:
                tau1, xbar = HP.real(sc.tau1[i]), HP.real(sc.xbar[i])
            row = []
            for j in range(J):
                K = HP.cplx(complex(Kf[i, j]))
                Zj = HP.cplx(Z[i, j])
                prev = None
                for _ in range(12):
                    g = dg = 0
                    for e, a in blocks:
                        d = e + K
                        t = a / d
                        g = g + t
                        dg = dg - t / d
                    if poly is not None:
                        y = -xbar / K
                        P, dP = HP.horner(poly, y)
                        tk = tau1 / K
                        g = g + tk * P
                        dg = dg + tk / K * (-P - y * dP)
                    F = K * (g - 1) - Zj
                    dF = g - 1 + K * dg
                    step = F / dF
                    K = K - step
                    rel = abs(HP.to_complex(step / K))
                    if rel <= tol:
                        break
                    if prev is not None and prev > 0:
                        predicted = max(rel / prev ** 2, 1) * rel ** 2
                        if predicted <= tol:
                            rel = predicted
                            break
                    prev = rel
                row.append(K)
                rel_out[i, j] = max(rel, tol)
                dF_out[i, j] = abs(HP.to_complex(dF))
            K_out.append(row)
    return K_out, rel_out, dF_out


# --------------------------------------------------------------------------------------
# the top edge
# --------------------------------------------------------------------------------------

def _top_edge(eq: _Equation, log_lam_max):
    r""":math:`\log s_+`, :math:`s_+ = \min_{\kappa<-\lambda_{max}}\kappa(\mathrm{df}/M-1)`.

    Scaled by :math:`a = \lambda_{max}` (``K = kappa/a < -1``); :math:`z'(K) = g - 1 +
    K g'` increases from -1 (at :math:`-\infty`) to :math:`+\infty` (at -1), so its root
    is bracketed and found in :math:`v = \log(-1-K)` (Illinois with bisection steps, to
    1e-13 in ``v``: :math:`z` is stationary there, so its value is exact to float64),
    then at more digits polished by Newton.
    """
    p = eq.p
    sc = eq.scaled([_f(log_lam_max)], float_mode=True)

    def dz(K):
        with np.errstate(all="ignore"):
            g, dg = sc.g(np.array([[K + 0j]]))
            return (g[0, 0] - 1 + K * dg[0, 0]).real

    def f(v):
        return dz(-1 - math.exp(v))

    lo, hi = -60.0, 60.0        # v range: K = -1 - e^v
    f_hi = f(hi)
    while f_hi > 0:
        hi += 30
        f_hi = f(hi)
    f_lo = f(lo)
    while f_lo < 0:
        lo -= 30
        f_lo = f(lo)
        if lo < -700:
            break
    # Illinois (regula falsi, halving the retained end's value), with a bisection step
    # whenever the bracket did not halve; f > 0 means K too close to -1
    side = 0
    for _ in range(200):
        width = hi - lo
        if width < 1e-13 or f_lo <= 0 or f_hi >= 0:
            break
        mid = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        if not lo < mid < hi:
            mid = (lo + hi) / 2
        fm = f(mid)
        if fm > 0:
            lo, f_lo = mid, fm
            if side > 0:
                f_hi /= 2
            side = 1
        elif fm < 0:
            hi, f_hi = mid, fm
            if side < 0:
                f_lo /= 2
            side = -1
        else:
            lo = hi = mid
            break
        if hi - lo > width / 2 and hi - lo >= 1e-13:
            mid = (lo + hi) / 2
            fm = f(mid)
            if fm > 0:
                lo, f_lo = mid, fm
            elif fm < 0:
                hi, f_hi = mid, fm
            else:
                lo = hi = mid
                break
    K = -1 - math.exp((lo + hi) / 2)
    if p.is_float:
        g, _ = sc.g(np.array([[K + 0j]]))
        zK = (K * (g[0, 0] - 1)).real
        return float(np.log(zK) + log_lam_max)
    with p.context():
        scm = eq.scaled([log_lam_max], float_mode=False)
        Km = mpmath.mpf(K)
        for _ in range(40):
            # Newton on z'(K) = 0 with z''(K) = 2 g' + K g''; g'' by a complex step-free
            # difference is avoided: use the exact second derivative of each term
            g, dg = scm.g(np.array([[mpmath.mpc(Km)]], dtype=object))
            d2 = _second_derivative(scm, Km)
            f1 = (g[0, 0] - 1 + Km * dg[0, 0]).real
            f2 = (2 * dg[0, 0]).real + Km * d2
            step = f1 / f2
            Km = Km - step
            if abs(step) <= mpmath.mpf(10) ** (-p.working_digits - 2) * abs(Km):
                break
        g, _ = scm.g(np.array([[mpmath.mpc(Km)]], dtype=object))
        zK = (Km * (g[0, 0] - 1)).real
        return mpmath.log(zK) + log_lam_max


def _second_derivative(sc, K):
    """``g''(K)`` at a real ``K`` (mpmath)."""
    out = mpmath.mpf(0)
    for e, A in zip(sc.ell[0], sc.A[0]):
        out += 2 * A / (e + K) ** 3
    if sc.tau1 is not None:
        # tail: tau1 sum_q m_{q+1} (-xbar)^q K^{-q-1}; second derivative term by term
        x = sc.xbar[0]
        for q, m in enumerate(sc.mom):
            out += sc.tau1[0] * m * (-x) ** q * (q + 1) * (q + 2) * K ** (-q - 3)
    return out


# --------------------------------------------------------------------------------------
# the kernel
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudentKernel:
    r"""The student's kernel at width ``width`` on a table (``width=None``: infinite).

    ``log_nu``: :math:`\log\nu_S` (``-inf`` when :math:`M_S` equals the rank; ``None``
    for the infinite student). ``log_top_edge``: :math:`\log s_+`. ``nu_error``: bound on
    what the spectral tail series leaves out of the width equation at :math:`\nu_S`,
    relative to :math:`M_S`. Build with :func:`student_kernel`; evaluate with
    :meth:`flow` (gradient flow) or :meth:`descent` (gradient descent).
    """

    table: SpectralTable
    width: int | None
    log_nu: object
    log_top_edge: object
    plan: QuadraturePlan
    nu_error: float = 0.0

    def replace(self, **changes) -> "StudentKernel":
        return dataclasses.replace(self, **changes)

    @property
    def is_infinite(self) -> bool:
        return self.width is None

    @property
    def precision(self) -> Precision:
        return self.table.precision

    @property
    def nu(self):
        """:math:`\\nu_S` (0 for the infinite student)."""
        p = self.precision
        if self.log_nu is None:
            return p.scalar(0)
        with p.context():
            return p.exp(self.log_nu)

    @property
    def top_edge(self):
        p = self.precision
        with p.context():
            return p.exp(self.log_top_edge)

    def projection(self, log_lam):
        r""":math:`e(\infty;\lambda) = \nu_S/(\lambda + \nu_S)` (0 for :math:`M_S=\infty`)."""
        p = self.precision
        with p.context():
            ll = p.array(np.atleast_1d(log_lam)) if p.is_float else np.atleast_1d(log_lam)
            if self.log_nu is None or _f(self.log_nu) == -math.inf:
                return p.zeros(np.shape(ll))
            return p.exp(-_softplus(p, ll - self.log_nu))

    def flow(self, times):
        """:class:`~.evolution.Evolution` of gradient flow at ``times`` (``>= 0``, inf ok)."""
        from .evolution import make_flow
        return make_flow(self, times)

    def descent(self, steps, lr):
        """:class:`~.evolution.Evolution` of gradient descent: ``steps`` (integers ``>=
        0``) with learning rate ``lr``; ``multiple=2`` means ``2 k`` steps."""
        from .evolution import make_descent
        return make_descent(self, steps, lr)


def _softplus(p, x):
    """``log(1 + exp(x))`` elementwise."""
    return -p.log_expit(-x)


def student_kernel(table: SpectralTable, width) -> StudentKernel:
    r"""The student's kernel on ``table`` at width ``width`` (``None`` for infinite).

    Solves :math:`\mathrm{df}(\nu_S) = M_S` (:math:`\nu_S = 0` when :math:`M_S` equals
    the rank of a finite spectrum) and the top edge :math:`s_+`.

    >>> from w2s_theory._src.spectra import FiniteSpectrum
    >>> from w2s_theory._src.targets import parse_target
    >>> from w2s_theory._src.theory.table import build_table
    >>> sp = FiniteSpectrum([2.0], [4])     # Sigma = 2 I_4: Marchenko-Pastur, D/M = 4
    >>> tab = build_table(sp, parse_target("energies:0=1").bind(sp), 1, 7, FLOAT64)
    >>> k = student_kernel(tab, 1)          # s_+ = 2 (1 + sqrt(4))^2, nu_S: 4 * 2/(2+nu) = 1
    >>> round(float(k.top_edge), 12), round(float(k.nu), 12)
    (18.0, 6.0)
    """
    p = table.precision
    lam_max = table.log_lambda_max
    if _f(lam_max) == -math.inf:
        raise InvalidArgument("spectrum", "the kernel has no non-zero eigenvalue")
    plan = quadrature_plan(p)
    if width is None:
        return StudentKernel(table, None, None, lam_max, plan, 0.0)
    M = check_int("student_width", width, minimum=1)
    eq = _Equation(table, M)
    rank = table_rank(table)
    with p.context():
        if rank is not None and M >= rank:
            log_nu = p.scalar(-np.inf) if p.is_float else mpmath.ninf
            nu_err = 0.0
        else:
            log_nu = solve_log_nu(table, M)
            nu_err = 0.0
            if table.has_tail:
                x = _f(p.exp(table.spec_tail.log_lambda_bar - log_nu))
                if x >= 0.5:
                    raise InvalidArgument(
                        "student_width", f"the table's cut is too shallow for this width: "
                        f"lambda_bar/nu_S = {x:.3g}; rebuild the table with lambda_bar <= "
                        "rho nu_S (nu_S of the student)")
                T1M = _f(p.exp(table.spec_tail.log_mass - eq.log_M - log_nu))
                nu_err = T1M * x ** table.Q / (1 - x)
        log_edge = _top_edge(eq, lam_max)
    return StudentKernel(table, M, log_nu, log_edge, plan, nu_err)


def table_rank(table):
    """Number of non-zero eigendirections if the table holds the whole spectrum."""
    if table.has_tail:
        return None
    pos = np.asarray(table.positive, dtype=bool)
    # multiplicities are integers: round each (exp(log N) is N to a few ulps) before
    # summing, so that 6 + 175 + 483 is 664 and not 663.9999999999998
    return float(np.sum(np.rint(np.exp(_as_float(np.asarray(table.log_mult)[pos])))))
