r"""The finite-width student's :math:`e(t;\lambda)` by contour quadrature, at many times.

:class:`FiniteEvolution` implements :class:`.evolution.Evolution` for :math:`M_S <
\infty` with the windowed parabolic rule of :mod:`.contour`: a time ``t`` of window
``w`` (:math:`t \in [2^w, 2^{w+1})`, time variable ``x = t``, or ``x = k\eta`` for
gradient descent) has :math:`\tau = x a_w` and

.. math:: \frac{d^r}{dt^r} e(mt;\lambda) = m^r\,\mathrm{Re}\sum_j E_j(\tau)\,
          W_j\, dL_j^r\, G_j, \qquad E_j(\tau) = e^{\tau L_j},\ L_j = -(u_j + i)^2,

with the nodes, weights :math:`W_j` and :math:`dL_j` of window ``w + m - 1`` (``2t``
lies in window ``w + 1`` at the same :math:`\tau`: one :math:`E(\tau)` serves ``e(t)``
and ``e(2t)``) and a column :math:`G_j` (:math:`1/(\ell + K_j)` for one eigenvalue;
:math:`\sum_b w_b/(\ell_b + K_j)` plus a tail for a weighted sum, :class:`WeightedSum`).

*What is computed once.* Nothing in a window's nodes depends on the times: the
resolvent is solved per window (float64 continuation, then, at more digits, Newton's
polish with :data:`.highprec.HP`) and the window is cached on the kernel
(:class:`NodeFamily`, one per kind of contour), so that the many small batches of the
optimal-stopping search solve each window once. A :class:`WeightedSum` caches its
columns :math:`W_j dL_j^r G_j` per window (in fixed point at more digits). A batch of
times then costs one :math:`E(\tau)` per time and a dot product per sum.

*More digits: node sums in fixed-point integers.* With :math:`P` bits (the working
digits, the cancellation allowance of the plan, and 24 more), :math:`E_j` and each
column are integers scaled by :math:`2^P` (a column by its largest power of two); the
sum is an exact integer dot product, one rounding per entry. On the parabola
:math:`E_j = e^{\tau} q^{j^2} r^j` (:math:`q = e^{-\tau h^2}`, :math:`r =
e^{-2i\tau h}`) by the recurrence :math:`E_{j+1} = E_j\rho_j`, :math:`\rho_{j+1} =
\rho_j q^2`, two complex integer products per node.

*Error bounds* (absolute, per time, uniform in :math:`\lambda \ge 0`): the quadrature
bound of :mod:`.contour`, the resolvent's accuracy :math:`|\delta K_j|` (Newton and the
truncated tail of the equation) through each node's sensitivity, and rounding; all in
float64 from :math:`|E_j|`.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..powerseries import PowerSeries
from .contour import MP, NUMPY, NodeMap, trapezoid_weights
from .evolution import Evolution
from .highprec import HP
from .resolvent import (_as_complex, _as_float, _continue, _Equation, _f, _noise,
                        polish)

__all__ = ["FiniteEvolution", "NodeFamily", "WeightedSum", "family_of"]

_MP_EXP = np.frompyfunc(mpmath.exp, 1, 1)


# --------------------------------------------------------------------------------------
# node families: the resolvent at the nodes of every window, cached on the kernel
# --------------------------------------------------------------------------------------

class _Window:
    """Nodes of one window: ``K`` (:math:`\\kappa_j/a`), ``Wt`` (weights), ``dL``
    (:math:`dE_j/dt = dL_j E_j`) in the working precision (float64 arrays, or lists of
    :data:`.highprec.HP` numbers), their float64 copies ``Kc``, ``Wc``, ``dLc``, and for
    the error bounds ``dK`` (bound on :math:`|\\delta K_j|`), ``sens`` (sensitivity of
    ``e`` to ``K_j``), ``inv_d`` (bound on :math:`1/|\\ell + K_j|`), ``xbar``
    (:math:`\\bar\\lambda/a`), ``quad`` (quadrature bound per derivative), ``L`` and
    ``Lre`` (:math:`E_j = e^{x L_j}`; shared by the parabolas), ``vectors`` (cached
    error-bound vectors)."""

    __slots__ = ("w", "log_a", "K", "Wt", "dL", "Kc", "Wc", "dLc", "dK", "sens",
                 "inv_d", "xbar", "quad", "L", "Lre", "vectors")


class NodeFamily:
    """Windows of one kind of contour for one kernel (gradient flow, or gradient
    descent at one learning rate), solved on demand, batch by batch, and kept."""

    kind = "flow"

    def __init__(self, kernel, lr=None):
        self.kernel = kernel
        self.lr = lr
        p = kernel.precision
        self.p = p
        self.plan = plan = kernel.plan
        self.eq = _Equation(kernel.table, kernel.width)
        self.windows = {}
        N, h = plan.nodes, plan.step
        with p.context(plan.extra_digits):
            self.hp = p.scalar(h)
            self.us = [j * self.hp for j in range(N + 1)]
            self.om = trapezoid_weights(N, p)
            self.pi = p.scalar(math.pi) if p.is_float else +mpmath.pi
            self.ln2 = math.log(2) if p.is_float else mpmath.log(2)
            self.log_c = p.log(p.scalar(plan.c))
            us = np.asarray(self.us, dtype=float if p.is_float else object)
            self.L = -((us + 1j) ** 2)               # E_j = exp(tau L_j), every window
        self.Lre = _as_complex(self.L).real
        self.bits = int(math.ceil((p.working_digits + plan.extra_digits)
                                  * math.log2(10))) + 24

    # -- per-kind parts ----------------------------------------------------------------
    def log_a(self, w):
        """:math:`\\log a_w = \\log c - w \\log 2` (working precision)."""
        return self.log_c - w * self.ln2

    def usable(self, w) -> bool:
        """Whether window ``w``'s parabola serves (descent: the images are far)."""
        return True

    def image_error(self, w) -> float:
        return 0.0

    def nodemap(self, la):
        return NodeMap("flow")

    def coefficients(self, us, Z, la):
        """``c_j`` with ``W_j = c_j K_j`` (windows, nodes; working precision)."""
        c = (2j * self.hp / self.pi) * self.om / (us + 1j)
        return np.broadcast_to(c[None, :], (len(la), len(us)))

    def weight_float(self, us, Z, K, la):
        """``W_j`` in float64 (``K``: windows, nodes)."""
        return (2j * self.hp / self.pi) * self.om * K / (us + 1j)

    def dL_scale(self, la):
        p = self.p
        return np.array([p.exp(v) for v in la], dtype=float if p.is_float else object)

    def dL(self, us, la):
        return self.dL_scale(la)[:, None] * (-((us + 1j) ** 2))[None, :]

    # -- solving -----------------------------------------------------------------------
    def get(self, ws):
        """The :class:`_Window` of each ``w`` in ``ws`` (solving the missing ones)."""
        missing = sorted({w for w in ws if w not in self.windows})
        if missing:
            for w, win in zip(missing, self._solve(missing, self.us, self.om)):
                win.w = w
                win.L, win.Lre = self.L, self.Lre
                self.windows[w] = win
        return [self.windows[w] for w in ws]

    def _solve(self, ws, us, om, la=None):
        p, plan, eq = self.p, self.plan, self.eq
        with p.context(plan.extra_digits):
            if la is None:
                la = [self.log_a(w) for w in ws]
            la_arr = np.array(la, dtype=float if p.is_float else object)
            nodemap = self.nodemap(la_arr)
            sc = eq.scaled([_f(v) for v in la], float_mode=True)
            log_nu = self.kernel.log_nu
            lower = None
            if log_nu is not None and math.isfinite(_f(log_nu)):
                with np.errstate(over="ignore"):
                    lower = np.exp(_f(log_nu) - np.array([_f(v) for v in la]))
            Kf = _continue(sc, nodemap, [_f(u) for u in us], lower)
            W, J = Kf.shape
            trunc = sc.truncation(Kf)
            us_p = np.asarray(us, dtype=float if p.is_float else object)
            if p.is_float:
                Z = np.broadcast_to(nodemap.Z(us_p[None, :], NUMPY), (W, J))
                g, dg = sc.g(Kf)
                dF = np.abs(g - 1 + Kf * dg)
                rel = 2 * _noise(Kf, g, dF, Z) / np.maximum(np.abs(Kf), 1e-300) + 2.3e-16
                Wt = np.broadcast_to(self.weight_float(us_p, Z, Kf, la_arr), (W, J))
                dL = np.broadcast_to(self.dL(us_p, la_arr), (W, J))
                rows = [(Kf[i], Wt[i], dL[i]) for i in range(W)]
                Kc, Wc, dLc = Kf, np.asarray(Wt), np.asarray(dL, dtype=complex)
            else:
                Z = nodemap.Z(us_p[None, :], MP)
                Z = np.broadcast_to(Z, (W, J)) if np.shape(Z) != (W, J) else Z
                Z = np.array([[mpmath.mpc(z) for z in row] for row in Z], dtype=object)
                K, rel, dF = polish(eq, la, Z, Kf, p)
                coef = np.broadcast_to(self.coefficients(us_p, Z, la_arr), (W, J))
                dL = np.broadcast_to(self.dL(us_p, la_arr), (W, J))
                rows = []
                with HP.context():
                    for i in range(W):
                        Ki = K[i]
                        Wi = [HP.cplx(c) * k for c, k in zip(coef[i], Ki)]
                        dLi = [HP.cplx(v) for v in dL[i]]
                        rows.append((Ki, Wi, dLi))
                Kc = np.array([[HP.to_complex(k) for k in r[0]] for r in rows])
                Wc = np.array([[HP.to_complex(k) for k in r[1]] for r in rows])
                dLc = _as_complex(dL)
        dK = np.abs(Kc) * (rel + trunc / np.maximum(dF, 1e-300))
        # eigenvalues l = lambda/a lie in [0, l_max]. W_j is proportional to K_j, and
        # |d/dK [K/(l + K)]| = l/|l + K|^2 increases up to l = |K| and decreases after:
        # a change dK_j moves e by at most |E_j W_j/K_j| f(min(|K_j|, l_max)) dK_j
        la_f = np.asarray([_f(v) for v in la])
        l_max = np.broadcast_to(np.exp(float(eq.log_lam_max_f) - la_f)[:, None], (W, J))
        lm = np.minimum(np.abs(Kc), l_max)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sens = np.nan_to_num(np.abs(Wc / Kc) * lm / np.abs(lm + Kc) ** 2, nan=0.0)
            # |1/(l + K)| <= 1/d, d = dist(-K, [0, l_max]): each term's size (rounding)
            proj = np.clip(-Kc.real, 0, l_max)
            inv_d = 1 / np.maximum(np.abs(Kc + proj), 1e-300)
        xbar = None if sc.xbar is None else np.asarray(_as_float(sc.xbar))
        out = []
        for i in range(W):
            win = _Window()
            win.log_a = la[i]
            win.K, win.Wt, win.dL = rows[i]
            win.Kc, win.Wc, win.dLc = Kc[i], Wc[i], dLc[i]
            win.dK, win.sens, win.inv_d = dK[i], sens[i], inv_d[i]
            win.xbar = None if xbar is None else float(xbar[i])
            a = math.exp(_f(la[i])) * (1.0 if self.lr is None else _f(self.lr))
            win.quad = tuple(plan.bound[r] * a ** r for r in range(3))
            if ws is not None and ws[i] is not None:
                win.quad = tuple(q + self.image_error(ws[i]) for q in win.quad)
            win.vectors = {}
            out.append(win)
        return out


def family_of(kernel, kind="flow", lr=None):
    """The kernel's :class:`NodeFamily` for gradient flow or descent at ``lr`` (cached
    on the kernel)."""
    cache = kernel.__dict__.setdefault("_node_families", {})
    key = (kind, None if lr is None else str(lr))
    if key not in cache:
        if kind == "flow":
            cache[key] = NodeFamily(kernel)
        else:
            from .descent import DescentFamily
            cache[key] = DescentFamily(kernel, lr)
    return cache[key]


# --------------------------------------------------------------------------------------
# weighted sums
# --------------------------------------------------------------------------------------

class WeightedSum:
    r""":math:`\sum_b w_b\, e(mt;\lambda_b)` plus a tail ``(log_scale, series, moments)``
    (see :meth:`.evolution.Evolution.pair`), with its columns cached per window."""

    def __init__(self, p, log_lam, weights, tail=None):
        self.p = p
        self.ll = np.atleast_1d(log_lam)
        self.w = np.atleast_1d(weights)
        self.tail = tail
        self.Dp = None
        self.cache = {}
        with p.context():
            if tail is not None:
                log_scale, series, moments = tail
                Q = len(moments)
                g = list(series.coeffs)
                Dp = []
                for q0 in range(Q):
                    acc = p.scalar(0)
                    for q in range(q0, Q):
                        if q - q0 < len(g):
                            acc = acc + g[q - q0] * moments[q]
                    Dp.append(acc)
                self.Dp = Dp
                self.scale = p.exp(log_scale)
        self.wsum = float(np.sum(np.abs(_as_float(self.w))))
        self.tail_size = 0.0
        if tail is not None:
            sc = _f(self.scale)
            self.wsum += sc * float(np.sum(np.abs(_as_float(np.array(self.Dp,
                                                                     dtype=object)))))
            self.tail_size = sc * sum(abs(_f(a)) for a in tail[1].coeffs)

    def columns(self, fam, wins):
        """Float64: :math:`G_j` of several windows at once (windows, J, 1)."""
        eq = fam.eq
        K = np.stack([win.K for win in wins])
        la = np.array([win.log_a for win in wins], dtype=float)
        col = 0 * K
        step = max(1, (1 << 18) // max(1, K.size))
        for b0 in range(0, len(self.ll), step):
            with np.errstate(over="ignore"):
                ell = np.exp(np.asarray(self.ll[b0:b0 + step], dtype=float)[None, :]
                             - la[:, None])
            col = col + (self.w[None, None, b0:b0 + step]
                         / (ell[:, None, :] + K[:, :, None])).sum(-1)
        if self.Dp is not None and eq.has_tail:
            y = -np.exp(eq.log_bar - la)[:, None] / K
            P = 0 * K + self.Dp[-1]
            for d in self.Dp[-2::-1]:
                P = P * y + d
            col = col + self.scale * P / K
        return col[:, :, None]

    def column(self, fam, win):
        """:math:`G_j` of window ``win`` (J, 1)."""
        p, eq = self.p, fam.eq
        has_tail = self.Dp is not None and eq.has_tail
        if p.is_float:
            K = win.K
            col = 0 * K
            step = max(1, (1 << 18) // max(1, len(K)))
            for b0 in range(0, len(self.ll), step):
                with np.errstate(over="ignore"):
                    ell = np.exp(np.asarray(self.ll[b0:b0 + step], dtype=float)
                                 - win.log_a)
                col = col + (self.w[None, b0:b0 + step]
                             / (ell[None, :] + K[:, None])).sum(1)
            if has_tail:
                y = -np.exp(eq.log_bar - win.log_a) / K
                P = 0 * K + self.Dp[-1]
                for d in self.Dp[-2::-1]:
                    P = P * y + d
                col = col + self.scale * P / K
            return col[:, None]
        ell = [HP.real(v) for v in p.exp(self.ll - win.log_a)]
        w = [HP.real(v) for v in self.w]
        if has_tail:
            xbar = HP.real(p.exp(eq.log_bar - win.log_a))
            poly = HP.polynomial(self.Dp)
            scale = HP.real(self.scale)
        col = []
        for K in win.K:
            acc = 0
            for e, wb in zip(ell, w):
                acc = acc + wb / (e + K)
            if has_tail:
                P, _ = HP.horner(poly, -xbar / K)
                acc = acc + scale * P / K
            col.append([acc])
        return col


# --------------------------------------------------------------------------------------
# the evolution
# --------------------------------------------------------------------------------------

class FiniteEvolution(Evolution):
    """Contour quadrature at a vector of times (module docstring); see
    :class:`.evolution.Evolution` for the interface."""

    def __init__(self, kernel, times, kind="flow", lr=None):
        super().__init__(kernel, times, kind, lr)
        self.family = family_of(kernel, kind, lr)
        self.plan = kernel.plan
        self.eq = self.family.eq
        self._layout()

    # -- times and windows -------------------------------------------------------------
    def _x_of(self, T):
        """The time variable of the window's rule (``t``, or ``k lr`` for descent)."""
        return T if self.kind == "flow" else T * self.p.scalar(self.lr)

    def _layout(self):
        """Base window and :math:`\\tau` of every finite time; solve their windows."""
        p, fam = self.p, self.family
        idx = np.flatnonzero(self.finite)
        with p.context(self.plan.extra_digits):
            xs = [self._x_of(self.times[i]) for i in idx]
            ws = _windows(xs)
            if p.is_float:
                ws = np.asarray(ws, dtype=int)
                taus = np.asarray(xs, dtype=float) * np.exp(fam.log_c - ws * fam.ln2)
                #: float64: every finite time at once (index, base window, tau)
                self._flat = (idx, ws, taus)
                self.groups = {int(w): (idx[ws == w], taus[ws == w]) for w in set(ws)}
            else:
                groups = {}
                for i, x, w in zip(idx, xs, ws):
                    groups.setdefault(w, ([], []))
                    groups[w][0].append(i)
                    groups[w][1].append(x)
                self.groups = {}
                for w, (ii, gx) in groups.items():
                    a = p.exp(fam.log_a(w))
                    self.groups[w] = (np.array(ii), [x * a for x in gx])
        both = {v for w in self.groups for v in (w, w + 1)}
        #: the parabola windows used, and those left to the circle (descent, small k)
        self.windows = sorted(v for v in both if fam.usable(v))
        self.circle_windows = both - set(self.windows)
        fam.get(self.windows)
        self._Ecache = {}

    def _flat_ok(self, m, cols=1):
        """Whether the float64 path can take every finite time at once for ``m``."""
        if not self.p.is_float or not len(self._flat[0]):
            return False
        if len(self._flat[0]) * len(self.family.us) * cols > 1 << 21:
            return False
        key = ("flat_ok", m)
        if key not in self._Ecache:
            self._Ecache[key] = all(self.family.usable(w + m - 1) for w in self.groups)
        return self._Ecache[key]

    def _flat_E(self):
        if "flat" not in self._Ecache:
            idx, ws, taus = self._flat
            self._Ecache["flat"] = np.exp(taus[:, None] * self.family.L[None, :])
            with np.errstate(over="ignore"):
                self._Ecache["flat_abs"] = np.exp(taus[:, None] * self.family.Lre[None, :])
        return self._Ecache["flat"], self._Ecache["flat_abs"]

    def _flat_windows(self, m):
        """The windows of ``m`` for every finite time: (list of windows, position of
        each time's window in it)."""
        key = ("flat_windows", m)
        if key not in self._Ecache:
            idx, ws, taus = self._flat
            uniq, pos = np.unique(ws + (m - 1), return_inverse=True)
            self._Ecache[key] = (self.family.get([int(w) for w in uniq]), pos)
        return self._Ecache[key]

    def _E(self, w):
        """:math:`E_j(\\tau_i)` for the times of base window ``w``: complex (times,
        nodes) in float64, else fixed-point integers ``(re, im)`` scaled by ``2^P``."""
        if w in self._Ecache:
            return self._Ecache[w]
        p, fam = self.p, self.family
        idx, taus = self.groups[w]
        if p.is_float:
            E = np.exp(np.asarray(taus, dtype=float)[:, None] * fam.L[None, :])
        else:
            with p.context(self.plan.extra_digits):
                E = _fixed_parabola(taus, fam.hp, len(fam.us), fam.bits)
        self._Ecache[w] = E
        return E

    def _abs_E(self, w):
        key = ("abs", w)
        if key not in self._Ecache:
            idx, taus = self.groups[w]
            tf = np.array([_f(t) for t in taus])
            with np.errstate(over="ignore"):
                self._Ecache[key] = np.exp(tf[:, None] * self.family.Lre[None, :])
        return self._Ecache[key]

    # -- the sums ----------------------------------------------------------------------
    def _vector(self, win, m, r, column, cache):
        """``W_j dL_j^r G_j`` (nodes, cols) for window ``win``, prepared for the dot
        product (fixed point at more digits); cached in ``cache`` if given."""
        key = (id(self.family), win.w, r)
        if cache is not None and key in cache:
            V = cache[key]
        else:
            p = self.p
            with p.context(self.plan.extra_digits):
                if p.is_float:
                    G = column(self.family, win)
                    V = (win.Wt * (win.dL ** r if r else 1))[:, None] * G
                else:
                    with HP.context():
                        G = column(self.family, win)
                        base = [wt * (dl ** r if r else 1) for wt, dl in zip(win.Wt,
                                                                             win.dL)]
                        V = _to_fixed([[b * g for g in row] for b, row in zip(base, G)],
                                      self.family.bits)
            if cache is not None:
                cache[key] = V
        return V

    def _vectors(self, wins, r, column, cache):
        """Float64: :meth:`_vector` of several windows, stacked (windows, J, cols); the
        missing ones at once when the column provider has a batch form."""
        fid = id(self.family)
        key = ("stack", fid, tuple(win.w for win in wins), r)
        if cache is not None and key in cache:
            return cache[key]
        batch = getattr(getattr(column, "__self__", None), "columns", None)
        if cache is not None and batch is not None:
            todo = [win for win in wins if (fid, win.w, r) not in cache]
            if len(todo) > 1:
                G = batch(self.family, todo)
                for win, g in zip(todo, G):
                    base = win.Wt * (win.dL ** r if r else 1)
                    cache[(fid, win.w, r)] = base[:, None] * g
        Vs = np.stack([self._vector(win, 0, r, column, cache) for win in wins])
        if cache is not None:
            cache[key] = Vs
        return Vs

    def _run(self, specs):
        """``[values (times, cols)]`` for ``specs = [(m, r, column, cache)]``: the
        quadrature at the finite times (other rows 0)."""
        p = self.p
        n = len(self.times)
        out = [None] * len(specs)
        with p.context(self.plan.extra_digits):
            rest = []
            flat = {}                       # m -> [(spec, its columns)]: one einsum per m
            for s, (m, r, column, cache) in enumerate(specs):
                if not self._flat_ok(m):
                    rest.append(s)
                    continue
                wins, pos = self._flat_windows(m)
                Vs = self._vectors(wins, r, column, cache)
                if Vs.shape[2] > 1 and not self._flat_ok(m, Vs.shape[2]):
                    rest.append(s)
                    continue
                flat.setdefault(m, []).append((s, Vs))
            for m, items in flat.items():
                _, pos = self._flat_windows(m)
                E, _ = self._flat_E()
                Vs = items[0][1] if len(items) == 1 else np.concatenate(
                    [V for _, V in items], axis=2)
                S_all = np.einsum("nj,njc->nc", E, Vs[pos]).real
                c0 = 0
                for s, V in items:
                    S = S_all[:, c0:c0 + V.shape[2]]
                    c0 += V.shape[2]
                    r = specs[s][1]
                    if r and m != 1:
                        S = S * (m ** r)
                    out[s] = p.zeros((n, S.shape[1]))
                    out[s][self._flat[0]] = S
            for w, (idx, taus) in self.groups.items():
                for s in rest:
                    m, r, column, cache = specs[s]
                    wn = w + m - 1
                    if self.family.usable(wn):
                        [win] = self.family.get([wn])
                        V = self._vector(win, m, r, column, cache)
                        S = _dot(self._E(w), V, p)
                    else:
                        S = self._circle_sum(idx, m, r, column, cache)
                    if r and m != 1:
                        S = S * (m ** r)
                    if out[s] is None:
                        out[s] = (p.zeros((n, S.shape[1])) if p.is_float else
                                  np.full((n, S.shape[1]), mpmath.mpf(0), dtype=object))
                    out[s][idx] = S
        return out

    def _circle_sum(self, idx, m, r, column, cache):
        raise NotImplementedError           # gradient descent only (.descent)

    def _bounds(self, m, r):
        """Float64 per time: the bound on the error of :meth:`e` (quadrature, resolvent,
        rounding) and that of the omitted tail terms (:meth:`tail_error`)."""
        cache = self._Ecache
        if ("bounds", m, r) in cache:
            return cache[("bounds", m, r)]
        n = len(self.times)
        err, terr = np.zeros(n), np.zeros(n)
        p = self.p
        eps = 2.3e-16 if p.is_float else 10.0 ** -(p.working_digits +
                                                  self.plan.extra_digits)
        Q = self.kernel.table.Q
        if self._flat_ok(m):
            wins, pos = self._flat_windows(m)
            vecs = [_window_vectors(win, r, eps, Q, self.eq.has_tail) for win in wins]
            _, aE = self._flat_E()
            idx = self._flat[0]
            quad = np.array([win.quad[r] for win in wins])[pos]
            kap = np.stack([v[0] for v in vecs])[pos]
            rnd = np.stack([v[1] for v in vecs])[pos]
            err[idx] = (quad + np.einsum("nj,nj->n", aE, kap)
                        + np.einsum("nj,nj->n", aE, rnd)) * m ** r
            if self.eq.has_tail:
                tv = np.stack([v[2] for v in vecs])[pos]
                terr[idx] = np.einsum("nj,nj->n", aE, tv) * m ** r
            cache[("bounds", m, r)] = (err, terr)
            return err, terr
        for w, (idx, taus) in self.groups.items():
            wn = w + m - 1
            if not self.family.usable(wn):
                e, t = self._circle_bounds(idx, m, r, eps)
                err[idx], terr[idx] = e, t
                continue
            [win] = self.family.get([wn])
            kap, rnd, tv = _window_vectors(win, r, eps, Q, self.eq.has_tail)
            aE = self._abs_E(w)
            err[idx] = (win.quad[r] + aE @ kap + aE @ rnd) * m ** r
            if tv is not None:
                terr[idx] = (aE @ tv) * m ** r
        cache[("bounds", m, r)] = (err, terr)
        return err, terr

    def _circle_bounds(self, idx, m, r, eps):
        raise NotImplementedError

    # -- the interface -----------------------------------------------------------------
    def _ell_columns(self, ll):
        p = self.p

        def column(fam, win):
            if p.is_float:
                with np.errstate(over="ignore"):
                    ell = np.exp(np.asarray(ll, dtype=float) - win.log_a)
                return 1 / (ell[None, :] + win.K[:, None])
            ell = [HP.real(v) for v in p.exp(ll - win.log_a)]
            return [[1 / (e + K) for e in ell] for K in win.K]
        return column

    def _e(self, ll, m, r):
        p = self.p
        n = len(self.times)
        [S] = self._run([(m, r, self._ell_columns(ll), None)])
        out = S if S is not None else (
            p.zeros((n, len(ll))) if p.is_float
            else np.full((n, len(ll)), mpmath.mpf(0), dtype=object))
        self._fill_limits(out, ll, m, r)
        return out

    def _fill_limits(self, out, ll, m, r):
        p = self.p
        k = self.kernel
        if self.zero.any():
            lam = p.exp(p.array(ll) if p.is_float else ll)
            if r == 0:
                val = lam * 0 + 1
            elif self.kind == "descent":
                from ..errors import InvalidArgument
                raise InvalidArgument("derivative", "gradient descent has no derivative")
            elif r == 1:
                val = -m * lam
            else:
                val = m * m * (lam * lam + lam * self._trace() / p.scalar(k.width))
            out[self.zero] = val[None, :]
        if self.inf.any():
            out[self.inf] = (k.projection(ll) if r == 0 else p.zeros(len(ll)))[None, :]

    def _trace(self):
        p = self.p
        eq = self.eq
        tr = p.sum(p.exp(eq.log_mult + eq.log_lam))
        if eq.has_tail:
            tr = tr + p.exp(eq.log_T1)
        return tr

    def _tail_columns(self):
        p, Q = self.p, self.kernel.table.Q

        def column(fam, win):
            if p.is_float:
                K = win.K
                xbar = np.exp(self.eq.log_bar - win.log_a)
                cols, c = [], 1 / K
                for _ in range(Q):
                    cols.append(c)
                    c = c * (-xbar) / K
                return np.stack(cols, axis=1)
            xbar = HP.real(p.exp(self.eq.log_bar - win.log_a))
            rows = []
            for K in win.K:
                c, row = 1 / K, []
                for _ in range(Q):
                    row.append(c)
                    c = c * (-xbar) / K
                rows.append(row)
            return rows
        return column

    def _tail_limits(self, m, r):
        """Rows of the tail coefficients at ``t = 0`` and ``t = inf`` (lists)."""
        p, Q = self.p, self.kernel.table.Q
        bar = p.exp(self.eq.log_bar)
        zero = [p.scalar(0)] * Q
        if r == 0:
            zero[0] = p.scalar(1)
        elif r == 1:
            zero[1] = -m * bar
        else:
            zero[1] = m * m * bar * self._trace() / p.scalar(self.kernel.width)
            if Q > 2:
                zero[2] = m * m * bar * bar
        inf = [p.scalar(0)] * Q
        if r == 0 and self.kernel.log_nu is not None and \
                _f(self.kernel.log_nu) > -math.inf:
            x = p.exp(self.eq.log_bar - self.kernel.log_nu)
            inf = [(-x) ** q for q in range(Q)]
        return zero, inf

    def _tail(self, m, r):
        p = self.p
        Q = self.kernel.table.Q
        n = len(self.times)
        z = p.zeros((n, Q)) if p.is_float else np.full((n, Q), mpmath.mpf(0), dtype=object)
        if not self.eq.has_tail:
            return PowerSeries(tuple(z[:, q].copy() for q in range(Q)))
        [S] = self._run([(m, r, self._tail_columns(), None)])
        if S is not None:
            z[self.finite] = S[self.finite]
        zero, inf = self._tail_limits(m, r)
        if self.zero.any():
            z[self.zero] = np.array(zero, dtype=z.dtype)[None, :]
        if self.inf.any():
            z[self.inf] = np.array(inf, dtype=z.dtype)[None, :]
        return PowerSeries(tuple(z[:, q].copy() for q in range(Q)))

    def _pair(self, ll, wts, tail, m, r):
        ws = WeightedSum(self.p, ll, wts, tail)
        [(vals, err)] = self._sums([(ws, m, r)])
        return vals, err

    def _sums(self, items, errors=True):
        """All sums from one pass over the times (each :math:`E(\\tau)` once)."""
        p = self.p
        n = len(self.times)
        specs = [(m, r, ws.column, ws.cache) for ws, m, r in items]
        S = self._run(specs)
        out = []
        bounds = {}
        for (ws, m, r), Ss in zip(items, S):
            vals = p.zeros(n) if p.is_float else np.full(n, mpmath.mpf(0), dtype=object)
            if Ss is not None:
                vals[self.finite] = Ss[self.finite, 0]
            if (self.zero | self.inf).any():
                vals = self._pair_limits(vals, ws, m, r)
            if not errors:
                out.append((vals, None))
                continue
            if (m, r) not in bounds:
                bounds[(m, r)] = self._bounds(m, r)
            err, terr = bounds[(m, r)]
            out.append((vals, err * ws.wsum + terr * ws.tail_size))
        return out

    def _pair_limits(self, vals, ws, m, r):
        p = self.p
        sel = self.zero | self.inf
        E = np.full((len(self.times), len(ws.ll)), p.scalar(0), dtype=vals.dtype)
        self._fill_limits(E, ws.ll, m, r)
        lim = (E * ws.w[None, :]).sum(axis=1)
        if ws.tail is not None:
            _, series, moments = ws.tail
            zero, inf = self._tail_limits(m, r)
            Q = self.kernel.table.Q
            for mask, row in ((self.zero, zero), (self.inf, inf)):
                if mask.any():
                    ts = PowerSeries(tuple(row[q] for q in range(Q)))
                    lim[mask] = lim[mask] + (ts * series).pair(moments) * ws.scale
        vals[sel] = lim[sel]
        return vals

    def _error(self, m, r):
        return self._bounds(m, r)[0]

    def _tail_error(self, m, r):
        if not self.eq.has_tail:
            return np.zeros(len(self.times))
        return self._bounds(m, r)[1]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def _window_vectors(win, r, eps, Q, has_tail):
    """Per-node float64 vectors of the error bound of window ``win`` (cached on it):
    the resolvent's accuracy through each node's sensitivity, rounding, and the omitted
    tail terms (``None`` without a tail); each is paired with :math:`|E_j|`."""
    key = (r, eps, Q)
    if key not in win.vectors:
        dl = np.abs(win.dLc) ** r
        kap = dl * win.sens * win.dK
        rnd = 16 * eps * (dl * np.abs(win.Wc) * win.inv_d)
        tv = None
        if has_tail:
            Kabs = np.abs(win.Kc)
            y = win.xbar / Kabs
            with np.errstate(over="ignore", divide="ignore"):
                rem = np.where(y < 1, y ** Q / (1 - y), np.inf)
            tv = np.abs(win.Wc) * dl / Kabs * rem
        win.vectors[key] = (kap, rnd, tv)
    return win.vectors[key]


def _windows(xs):
    """``floor(log2 x)`` for each ``x`` (float64, or mpmath checked near the edges)."""
    if not xs:
        return []
    if isinstance(xs[0], float):
        x = np.asarray(xs, dtype=float)
        lg = np.log2(x)
        out = np.floor(lg).astype(int)
        for i in np.flatnonzero(np.abs(lg - np.round(lg)) < 1e-9):
            out[i] = int(math.floor(math.log2(xs[i])))
        return list(out)
    out = []
    for x in xs:
        lf = math.log2(float(x)) if float(x) > 0 else float(mpmath.log(x, 2))
        w = int(math.floor(lf))
        if math.isinf(lf) or abs(lf - round(lf)) < 1e-6:
            w = int(mpmath.floor(mpmath.log(x, 2)))
            # exact comparison at the edge
            if x >= mpmath.ldexp(1, w + 1):
                w += 1
            elif x < mpmath.ldexp(1, w):
                w -= 1
        out.append(w)
    return out


def _fixed_parabola(taus, h, J, P):
    r""":math:`E_j = e^{\tau} q^{j^2} r^j` as fixed-point integers (module docstring);
    each product rounds by :math:`2^{-P}`."""
    fx = mpmath.libmp.to_fixed
    A = [fx(mpmath.exp(t)._mpf_, P) for t in taus]
    q2 = np.array([fx(mpmath.exp(-2 * t * h * h)._mpf_, P) for t in taus], dtype=object)
    q = [mpmath.exp(-t * h * h) for t in taus]
    c = [mpmath.cos(2 * t * h) for t in taus]
    sn = [mpmath.sin(2 * t * h) for t in taus]
    pr = np.array([fx((qq * cc)._mpf_, P) for qq, cc in zip(q, c)], dtype=object)
    pi = np.array([fx((-qq * ss)._mpf_, P) for qq, ss in zip(q, sn)], dtype=object)
    er = np.empty((len(taus), J), dtype=object)
    ei = np.empty((len(taus), J), dtype=object)
    er[:, 0] = A
    ei[:, 0] = 0
    for j in range(J - 1):
        a, b = er[:, j], ei[:, j]
        er[:, j + 1] = (a * pr - b * pi) >> P
        ei[:, j + 1] = (a * pi + b * pr) >> P
        pr, pi = (pr * q2) >> P, (pi * q2) >> P
    return er, ei, P


def _fixed_mp(E, P):
    """Fixed-point ``(re, im, P)`` of an array of mpmath complex numbers."""
    fx = mpmath.libmp.to_fixed
    er = np.array([[fx(z.real._mpf_, P) for z in row] for row in E], dtype=object)
    ei = np.array([[fx(z.imag._mpf_, P) for z in row] for row in E], dtype=object)
    return er, ei, P


def _to_fixed(rows, P):
    """Columns of a (nodes, cols) list of :data:`.highprec.HP` numbers in fixed point:
    ``[(re ints, im ints, e)]``, each column scaled by its largest power of two ``2^e``
    (``2^(P - e)`` integers)."""
    cols = len(rows[0]) if rows else 0
    out = []
    for c in range(cols):
        col = [row[c] for row in rows]
        # the column's size from float64 copies (one bit of margin for their rounding),
        # exactly where float64 cannot say
        big = max((max(abs(z.real), abs(z.imag)) for z in map(HP.to_complex, col)),
                  default=0.0)
        if 1e-290 < big < 1e290:
            e = math.frexp(big)[1] + 1
        else:
            bits = [b for b in map(HP.abs_bits, col) if b is not None]
            e = max(bits) if bits else 0
        parts = [HP.fixed(z, P - e) for z in col]
        out.append((np.array([a for a, _ in parts], dtype=object),
                    np.array([b for _, b in parts], dtype=object), e))
    return out


def _dot(E, V, p):
    """``Re(E @ V)``: float64, or the exact integer dot products of fixed point."""
    if p.is_float:
        return (E @ V).real
    er, ei, P = E
    out = np.empty((er.shape[0], len(V)), dtype=object)
    for c, (gr, gi, e) in enumerate(V):
        S = er.dot(gr) - ei.dot(gi)
        out[:, c] = [mpmath.mpf((int(v), e - 2 * P)) for v in S]
    return out
