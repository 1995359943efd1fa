r"""Evaluating :math:`e(t;\lambda)`, the equivalent of :math:`E[e^{-tK_S}]`, at many times.

An :class:`Evolution` is made by :meth:`.resolvent.StudentKernel.flow` (gradient flow,
:math:`g(s) = e^{-ts}`) or :meth:`~.resolvent.StudentKernel.descent` (``k`` steps of
gradient descent with learning rate :math:`\eta`, :math:`g(s) = (1 - \eta s)^k`). For
each time it evaluates, for any eigenvalues, ``multiple`` ``m`` in {1, 2} and
``derivative`` ``r`` in {0, 1, 2},

.. math:: \frac{d^r}{dt^r}\, e(mt; \lambda)
          = m^r\, \mathrm{Re}\sum_j w_j(mt)\,\frac{(-z_j)^r}{\lambda + \kappa_j}

(:meth:`Evolution.e`), the tail coefficients :math:`c_q` of :math:`e(mt;\bar\lambda y) =
\sum_q c_q y^q` (:meth:`Evolution.tail`), and weighted sums over eigenvalues and the
spectral or target tail (:meth:`Evolution.pair`, the fast path: one column per sum
instead of one per eigenvalue). ``m = 2`` is what :math:`h_t^2 = 1 - 2e^{-tK} +
e^{-2tK}` needs; for gradient descent it means ``2k`` steps. The error bounds are
absolute, per time, and uniform in :math:`\lambda \ge 0` (:mod:`.contour`).

>>> from w2s_theory._src.spectra import FiniteSpectrum
>>> from w2s_theory._src.targets import parse_target
>>> from w2s_theory._src.theory.table import build_table
>>> from w2s_theory._src.theory.resolvent import student_kernel
>>> from w2s_theory._src.precision import FLOAT64
>>> sp = FiniteSpectrum([1.0, 0.1], [3, 5])
>>> tab = build_table(sp, parse_target("energies:0=1").bind(sp), 2, 7, FLOAT64)
>>> ev = student_kernel(tab, 4).flow([0.0, 2.0, float("inf")])
>>> e = ev.e(tab.log_lam)
>>> bool(e[0, 0] == 1), bool(abs(e[2, 1] - ev.kernel.projection(tab.log_lam)[1]) < 1e-15)
(True, True)
>>> # first moment of the equivalent measure: -de/dt at t = 0 is lambda
>>> float(ev.e(tab.log_lam, derivative=1)[0, 0])
-1.0
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import InvalidArgument, check_int, check_real
from ..powerseries import PowerSeries
from .contour import MP, NUMPY, NodeMap, trapezoid_weights
from .resolvent import (_as_complex, _as_float, _continue, _Equation, _f, _noise,
                        _polish)

__all__ = ["Evolution", "make_flow", "make_descent"]

_MP_EXP = np.frompyfunc(mpmath.exp, 1, 1)
_MP_RE = np.frompyfunc(lambda z: z.real, 1, 1)


def _times(times, p, name="times"):
    if np.ndim(times) == 0:
        times = [times]
    out = []
    for t in times:
        try:
            v = float(t) if p.is_float else mpmath.mpf(getattr(t, "decimal", t))
        except (TypeError, ValueError):
            raise InvalidArgument(name, f"not a number: {t!r}") from None
        if v != v or v < 0:
            raise InvalidArgument(name, f"must be >= 0, got {t!r}")
        out.append(v)
    return out


def _check(multiple, derivative, max_derivative=2):
    if multiple not in (1, 2):
        raise InvalidArgument("multiple", f"must be 1 or 2, got {multiple!r}")
    if derivative not in range(max_derivative + 1):
        raise InvalidArgument("derivative", f"must be in 0..{max_derivative}, got "
                              f"{derivative!r}")


class Evolution:
    """Evaluation of :math:`e(mt;\\lambda)` at a vector of times (module docstring).

    Attributes: ``kernel`` (the :class:`~.resolvent.StudentKernel`), ``times`` (list in
    the working precision; steps ``k`` for gradient descent), ``kind`` (``"flow"`` or
    ``"descent"``), ``lr``.
    """

    max_derivative = 2

    def __init__(self, kernel, times, kind="flow", lr=None):
        self.kernel = kernel
        self.kind = kind
        self.lr = lr
        p = kernel.precision
        self.p = p
        self.times = times
        tf = [_f(t) for t in times]
        self.zero = np.array([t == 0 for t in tf], dtype=bool)
        self.inf = np.array([math.isinf(t) for t in tf], dtype=bool)
        self.finite = ~(self.zero | self.inf)

    # -- interface ---------------------------------------------------------------------
    def e(self, log_lam, multiple=1, derivative=0):
        r""":math:`d^r/dt^r\, e(mt;\lambda)` for ``lambda = exp(log_lam)``; array
        (times, eigenvalues) in the working precision."""
        _check(multiple, derivative, self.max_derivative)
        p = self.p
        with p.context():
            ll = np.atleast_1d(log_lam)
            out = self._e(ll, multiple, derivative)
        return out

    def tail(self, multiple=1, derivative=0) -> PowerSeries:
        r"""Coefficients :math:`c_q` (arrays over times), ``q < table.Q``, with
        :math:`d^r/dt^r e(mt;\bar\lambda y) = \sum_q c_q y^q`: pair them with
        ``spec_tail.ratios`` or ``tgt_tail.ratios`` as a :class:`PowerSeries` in ``y``."""
        _check(multiple, derivative, self.max_derivative)
        with self.p.context():
            return self._tail(multiple, derivative)

    def pair(self, log_lam, weights, tail=None, multiple=1, derivative=0):
        r"""``(values, error)``: :math:`\sum_b w_b\, \frac{d^r}{dt^r} e(mt;\lambda_b)`
        plus, if ``tail = (log_scale, series, moments)``, the tail sum
        :math:`e^{\text{log\_scale}} \sum_q [\text{series}\cdot c]_q\,\text{moments}_q`,
        i.e. :math:`\sum_{k\ge K} w(\lambda_k) e(mt;\lambda_k)` for a weight whose tail
        is written as the table writes it (``series`` a :class:`PowerSeries` in ``y``,
        ``moments`` e.g. ``tgt_tail.ratios``). ``error``: float64 bound per time."""
        _check(multiple, derivative, self.max_derivative)
        with self.p.context():
            return self._pair(np.atleast_1d(log_lam), np.atleast_1d(weights), tail,
                              multiple, derivative)

    def error(self, multiple=1, derivative=0):
        """Float64 bound per time on the absolute error of :meth:`e`, any ``lambda >= 0``
        (quadrature, resolvent accuracy, rounding)."""
        _check(multiple, derivative, self.max_derivative)
        return self._error(multiple, derivative)

    def tail_error(self, multiple=1, derivative=0):
        """Float64 bound per time on :math:`|\\sum_{q\\ge Q} c_q y^q|`, ``y`` in [0, 1]."""
        _check(multiple, derivative, self.max_derivative)
        return self._tail_error(multiple, derivative)

    # -- shared helpers ----------------------------------------------------------------
    def _T(self, multiple):
        return [t * multiple for t in self.times]


# --------------------------------------------------------------------------------------
# infinite width: closed forms
# --------------------------------------------------------------------------------------

def _exp_neg(x, p):
    """``exp(-x)`` elementwise; exactly 0 where below the working precision (as
    :func:`.student._exp_neg`)."""
    if p.is_float:
        return np.exp(-x)
    cut = mpmath.mpf(p.working_digits + 10) * mpmath.log(10)
    f = np.frompyfunc(lambda v: mpmath.mpf(0) if v > cut else mpmath.exp(-v), 1, 1)
    return f(x)


class InfiniteEvolution(Evolution):
    r""":math:`M_S = \infty`: :math:`e = e^{-t\lambda}` (flow), :math:`(1-\eta\lambda)^k`
    (descent), exactly."""

    def _base(self, multiple):
        p = self.p
        T = p.array(self._T(multiple))
        return np.where(self.inf, p.scalar(0), T)

    def _e(self, ll, m, r):
        p = self.p
        lam = p.exp(p.array(ll) if p.is_float else ll)
        T = self._base(m)
        if self.kind == "flow":
            E = _exp_neg(T[:, None] * lam[None, :], p)
            E = np.where(self.inf[:, None], p.scalar(0), E)
            if r:
                E = E * (-m * lam[None, :]) ** r
            return E
        base = 1 - p.scalar(self.lr) * lam
        k = [int(v) if not self.inf[i] else 0 for i, v in enumerate(self._T(m))]
        E = np.array([[b ** ki for b in base] for ki in k],
                     dtype=float if p.is_float else object).reshape(len(k), len(base))
        return np.where(self.inf[:, None], p.scalar(0), E)

    def _tail(self, m, r):
        p = self.p
        t = self.kernel.table
        Q = t.Q
        bar = p.exp(t.spec_tail.log_lambda_bar) if t.has_tail else p.scalar(0)
        if self.kind == "descent":
            # (1 - lr bar y)^k = sum_q binom(k, q) (-lr bar)^q y^q
            x = p.scalar(self.lr) * bar
            out = []
            ks = [int(v) if not self.inf[i] else 0 for i, v in enumerate(self._T(m))]
            for q in range(Q):
                col = [mpmath.binomial(k, q) * (-x) ** q if not p.is_float
                       else math.comb(k, q) * (-x) ** q for k in ks]
                out.append(np.where(self.inf, p.scalar(0), p.array(col) if p.is_float
                                    else np.array(col, dtype=object)))
            return PowerSeries(tuple(out))
        T = self._base(m)
        s = PowerSeries.exp(T * bar, Q)
        coeffs = [np.where(self.inf, p.scalar(0), c) for c in s.coeffs]
        if r:
            f = (-m * bar) ** r
            coeffs = [0 * coeffs[0]] * r + [c * f for c in coeffs[:Q - r]]
        return PowerSeries(tuple(coeffs))

    def _pair(self, ll, w, tail, m, r):
        p = self.p
        n = len(self.times)
        vals = p.zeros(n) if p.is_float else np.array([mpmath.mpf(0)] * n, dtype=object)
        step = max(1, (1 << 18) // max(1, n))
        for b0 in range(0, len(ll), step):
            E = self._e(ll[b0:b0 + step], m, r)
            vals = vals + (E * w[None, b0:b0 + step]).sum(axis=1)
        if tail is not None:
            log_scale, series, moments = tail
            vals = vals + (self._tail(m, r) * series).pair(moments) * p.exp(log_scale)
        return vals, np.zeros(n)

    def _error(self, m, r):
        return np.zeros(len(self.times))

    def _tail_error(self, m, r):
        """The first omitted term of the exponential series (``(m t lambda_bar)^Q/Q!``)."""
        t = self.kernel.table
        if not t.has_tail:
            return np.zeros(len(self.times))
        bar = math.exp(_f(t.spec_tail.log_lambda_bar))
        out = []
        for T in self._T(m):
            z = _f(T) * bar * (self.lr if self.kind == "descent" else 1)
            if math.isinf(z):
                out.append(0.0)
                continue
            z = max(z, 0.0)
            Q = t.Q
            out.append((m * bar) ** r * z ** (Q - r) / math.factorial(Q - r) * math.exp(z)
                       if Q > r else 0.0)
        return np.array(out)


# --------------------------------------------------------------------------------------
# finite width: contour quadrature
# --------------------------------------------------------------------------------------

class _NodeSet:
    """Nodes of one family of contours, for a vector of windows (see :mod:`.contour`).

    ``log_a`` (windows,): scales; ``K`` (windows, J): :math:`\\kappa_j/a`; ``Wt``
    (windows, J): weights with :math:`e = \\mathrm{Re}\\sum_j E_j W_j/(\\ell + K_j)`;
    ``L`` (windows, J): :math:`E_j = e^{x L_j}` with ``x`` the window's time variable;
    ``dL`` (windows, J): :math:`dE_j/dt = dL_j\\, E_j`; ``dK`` (windows, J): float bound
    on :math:`|\\delta K_j|` (Newton and the tail of the equation).
    """

    def __init__(self, eq, log_a, nodemap, us, weight_fn, L_fn, dL_fn, p, plan):
        self.log_a = log_a
        sc = eq.scaled([_f(v) for v in log_a], float_mode=True)
        # nodes exactly equispaced in the working precision: with terms up to e^{2c}
        # times the result, a float64 jitter of the nodes would be amplified
        Kf = _continue(sc, nodemap, [_f(u) for u in us])
        W, J = Kf.shape
        trunc = sc.truncation(Kf)
        if p.is_float:
            K = Kf
            us_p = np.asarray(us, dtype=float)
            Z = np.broadcast_to(nodemap.Z(us_p[None, :], NUMPY), (W, J))
            lib = NUMPY
            g, dg = sc.g(K)
            dF = g - 1 + K * dg
            rel = 2 * _noise(K, g, dF, Z) / np.maximum(np.abs(K), 1e-300) + 2.3e-16
        else:
            lib = MP
            sc_mp = eq.scaled(log_a, float_mode=False)
            us_p = np.array(us, dtype=object)
            nm = nodemap
            Z = nm.Z(us_p[None, :], lib)
            Z = np.broadcast_to(Z, (W, J)) if np.shape(Z) != (W, J) else Z
            Z = np.array([[mpmath.mpc(z) for z in row] for row in Z], dtype=object)
            K, rel, dF = _polish(sc_mp, Z, Kf, p)
        Kc = _as_complex(K)
        dFc = np.abs(np.asarray(dF, dtype=complex))
        self.dK = np.abs(Kc) * (rel + trunc / np.maximum(dFc, 1e-300))
        self.K = K
        self.Z = Z
        self.Wt = weight_fn(us_p, Z, K, lib)
        self.L = np.broadcast_to(L_fn(us_p, Z, lib), (W, J))
        self.dL = np.broadcast_to(dL_fn(us_p, Z, lib), (W, J))
        # float64 copies for the error bounds
        self.Kc = Kc
        self.Wc = np.broadcast_to(_as_complex(self.Wt), (W, J))
        self.Lc = np.broadcast_to(_as_complex(self.L), (W, J))
        self.dLc = np.broadcast_to(_as_complex(self.dL), (W, J))
        # eigenvalues l = lambda/a lie in [0, l_max]. W_j is proportional to K_j, and
        # |d/dK [K/(l + K)]| = l/|l + K|^2 increases up to l = |K| and decreases after:
        # a change dK_j moves e by at most |E_j W_j/K_j| f(min(|K_j|, l_max)) dK_j
        l_max = np.exp(float(eq.log_lam_max_f) - np.asarray([_f(v) for v in log_a]))
        l_max = np.broadcast_to(l_max[:, None], (W, J))
        lm = np.minimum(np.abs(Kc), l_max)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self.sens = np.abs(self.Wc / Kc) * lm / np.abs(lm + Kc) ** 2
            # |1/(l + K)| <= 1/d, d = dist(-K, [0, l_max]): each term's size (rounding)
            proj = np.clip(-Kc.real, 0, l_max)
            d = np.abs(Kc + proj)
            self.inv_d = 1 / np.maximum(d, 1e-300)
        self.sens = np.nan_to_num(self.sens, nan=0.0)
        self.xbar = None if sc.xbar is None else np.asarray(_as_float(sc.xbar))


class FiniteEvolution(Evolution):
    """Contour quadrature (:mod:`.contour`); see :class:`Evolution`."""

    def __init__(self, kernel, times, kind="flow", lr=None):
        super().__init__(kernel, times, kind, lr)
        p = self.p
        plan = kernel.plan
        self.plan = plan
        self.eq = _Equation(kernel.table, kernel.width)
        with p.context(plan.extra_digits):
            self._build()

    # -- construction ------------------------------------------------------------------
    def _x_of(self, T):
        """The time variable of the window's rule (``t``, or ``k lr`` for descent)."""
        return T if self.kind == "flow" else T * self.p.scalar(self.lr)

    def _window(self, x):
        return int(math.floor(_log2(x)))

    def _build(self):
        p = self.p
        plan = self.plan
        N, h = plan.nodes, plan.step
        ws = set()
        for i in np.flatnonzero(self.finite):
            w = self._window(self._x_of(self.times[i]))
            ws.update((w, w + 1))
        self.windows = self._select_windows(sorted(ws))
        self.index = {w: i for i, w in enumerate(self.windows)}
        self.nodes = None
        self.hp = p.scalar(h)
        us = [j * self.hp for j in range(N + 1)]
        self.om = trapezoid_weights(N, p)
        self.hp = p.scalar(h)
        self.pi = p.scalar(math.pi) if p.is_float else mpmath.pi
        ln2 = math.log(2) if p.is_float else mpmath.log(2)
        self.log_a = [p.log(p.scalar(plan.c)) - w * ln2 for w in self.windows]
        if self.windows:
            la = np.array(self.log_a, dtype=float if p.is_float else object)
            self.nodes = _NodeSet(self.eq, la, self._nodemap(la), us, self._weight,
                                  lambda u, Z, lib: -((u + 1j) ** 2)[None, :],
                                  self._dL_flow, p, plan)
        self._build_more()

    def _select_windows(self, windows):
        return windows

    def _build_more(self):
        pass

    def _nodemap(self, la):
        return NodeMap("flow")

    def _weight(self, u, Z, K, lib):
        return (2j * self.hp / self.pi) * self.om * K / (u + 1j)

    def _dL_flow(self, u, Z, lib):
        p = self.p
        a = np.array([p.exp(v) for v in self.log_a],
                     dtype=float if p.is_float else object)
        scale = a if self.kind == "flow" else a * p.scalar(self.lr)
        return scale[:, None] * (-((u + 1j) ** 2))[None, :]

    # -- evaluation --------------------------------------------------------------------
    def _groups(self, m):
        """``{window: (time indices, x a_w)}`` for the finite times at multiple ``m``."""
        p = self.p
        out = {}
        for i in np.flatnonzero(self.finite):
            x = self._x_of(self.times[i] * m)
            w = self._window(self._x_of(self.times[i])) + (m - 1)
            out.setdefault(w, ([], []))
            out[w][0].append(i)
            out[w][1].append(x)
        res = {}
        for w, (idx, xs) in out.items():
            if w in self.index:
                a = p.exp(self.log_a[self.index[w]])
                res[w] = (np.array(idx), [x * a for x in xs], "window")
            else:
                res[w] = (np.array(idx), xs, "circle")
        return res

    def _E(self, taus, L):
        """``exp(tau_i L_j)`` (times, nodes)."""
        p = self.p
        if p.is_float:
            return np.exp(np.asarray(taus, dtype=float)[:, None] * L[None, :])
        T = np.array(taus, dtype=object)[:, None] * L[None, :]
        return _MP_EXP(T)

    def _columns(self, m, r, G_of):
        """``Re sum_j E_j W_j dL_j^r G_j`` for each finite time; ``G_of(ns, iw)`` gives
        the (J, cols) matrix of window ``iw`` of node set ``ns``."""
        p = self.p
        res = None
        with p.context(self.plan.extra_digits):
            for w, (idx, taus, kind) in self._groups(m).items():
                ns = self.nodes if kind == "window" else self.circle
                iw = self.index[w] if kind == "window" else 0
                base = ns.Wt[iw] * (ns.dL[iw] ** r if r else 1)
                G = base[:, None] * G_of(ns, iw)
                if p.is_float:
                    E = self._E(taus, ns.L[iw])
                    S = (E @ G).real * m ** r
                else:
                    S = self._fixed_sum(idx, taus, ns, iw, kind, G) * (m ** r)
                if res is None:
                    res = (p.zeros((len(self.times), S.shape[1])) if p.is_float else
                           np.full((len(self.times), S.shape[1]), mpmath.mpf(0),
                                   dtype=object))
                res[idx] = S
        return res

    # -- mpmath: sums over nodes in fixed-point integers --------------------------------
    def _bits(self):
        return int(math.ceil((self.p.working_digits + self.plan.extra_digits)
                             * math.log2(10))) + 24

    def _fixed_E(self, idx, taus, ns, iw, kind):
        """``E_j(tau_i)`` as fixed-point integers ``(re, im)`` scaled by ``2^P``, cached.

        On the parabola, :math:`E_j = e^{\tau} q^{j^2} r^j` with :math:`q =
        e^{-\tau h^2}`, :math:`r = e^{-2i\tau h}`: the recurrence :math:`E_{j+1} =
        E_j\rho_j`, :math:`\rho_{j+1} = \rho_j q^2` costs two complex products per node
        (integers, not mpmath numbers); each rounds by :math:`2^{-P}`, and ``P`` carries
        24 bits more than the working digits and the cancellation allowance.
        """
        cache = self.__dict__.setdefault("_E_cache", {})
        # on the parabola tau is the same for t (window w) and 2t (window w + 1)
        key = (kind, tuple(idx.tolist())) + (() if kind == "window" else
                                             tuple(str(t) for t in taus))
        if key in cache:
            return cache[key]
        P = self._bits()
        fx = mpmath.libmp.to_fixed
        J = ns.L.shape[1]
        if kind == "window":
            h = self.hp
            A = [fx(mpmath.exp(t)._mpf_, P) for t in taus]
            q2 = np.array([fx(mpmath.exp(-2 * t * h * h)._mpf_, P) for t in taus],
                          dtype=object)
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
        else:
            E = _MP_EXP(np.array(taus, dtype=object)[:, None] * ns.L[iw][None, :])
            er = np.array([[fx(z.real._mpf_, P) for z in row] for row in E], dtype=object)
            ei = np.array([[fx(z.imag._mpf_, P) for z in row] for row in E], dtype=object)
        cache[key] = (er, ei)
        return er, ei

    def _fixed_sum(self, idx, taus, ns, iw, kind, G):
        """``Re (E @ G)`` with ``E`` and each column of ``G`` in fixed point: exact integer
        products, one rounding per entry of ``G`` (scaled by its column's largest
        power of two)."""
        P = self._bits()
        er, ei = self._fixed_E(idx, taus, ns, iw, kind)
        fx = mpmath.libmp.to_fixed
        cols = G.shape[1]
        out = np.empty((len(taus), cols), dtype=object)
        for c in range(cols):
            col = G[:, c]
            big = max(max(abs(z.real), abs(z.imag)) for z in col)
            e = 0 if big == 0 else int(mpmath.floor(mpmath.log(big, 2))) + 1
            gr = np.array([fx(z.real._mpf_, P - e) for z in col], dtype=object)
            gi = np.array([fx(z.imag._mpf_, P - e) for z in col], dtype=object)
            S = er.dot(gr) - ei.dot(gi)
            out[:, c] = [mpmath.mpf((int(v), e - 2 * P)) for v in S]
        return out

    def _ell(self, ns, iw, ll):
        p = self.p
        if p.is_float:
            with np.errstate(over="ignore"):
                return np.exp(np.asarray(ll, dtype=float) - ns.log_a[iw])
        return p.exp(ll - ns.log_a[iw])

    def _e(self, ll, m, r):
        p = self.p
        n = len(self.times)
        out = (p.zeros((n, len(ll))) if p.is_float
               else np.full((n, len(ll)), mpmath.mpf(0), dtype=object))

        def G_of(ns, iw):
            ell = self._ell(ns, iw, ll)
            return 1 / (ell[None, :] + ns.K[iw][:, None])

        S = self._columns(m, r, G_of)
        if S is not None:
            fin = self.finite
            out[fin] = S[fin]
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

    def _tail(self, m, r):
        p = self.p
        t = self.kernel.table
        Q = t.Q
        n = len(self.times)
        if not t.has_tail:
            z = p.zeros(n) if p.is_float else np.full(n, mpmath.mpf(0), dtype=object)
            return PowerSeries(tuple(z.copy() for _ in range(Q)))

        def G_of(ns, iw):
            K = ns.K[iw]
            xbar = p.exp(self.eq.log_bar - ns.log_a[iw])
            cols = []
            c = 1 / K
            for q in range(Q):
                cols.append(c)
                c = c * (-xbar) / K
            return np.stack(cols, axis=1)

        S = self._columns(m, r, G_of)
        z = p.zeros((n, Q)) if p.is_float else np.full((n, Q), mpmath.mpf(0), dtype=object)
        if S is not None:
            z[self.finite] = S[self.finite]
        bar = p.exp(self.eq.log_bar)
        if self.zero.any():
            vals = [p.scalar(0)] * Q
            if r == 0:
                vals[0] = p.scalar(1)
            elif r == 1:
                vals[1] = -m * bar
            else:
                vals[1] = m * m * bar * self._trace() / p.scalar(self.kernel.width)
                if Q > 2:
                    vals[2] = m * m * bar * bar
            z[self.zero] = np.array(vals, dtype=z.dtype)[None, :]
        if self.inf.any():
            vals = [p.scalar(0)] * Q
            if r == 0 and self.kernel.log_nu is not None and \
                    _f(self.kernel.log_nu) > -math.inf:
                x = p.exp(self.eq.log_bar - self.kernel.log_nu)
                vals = [(-x) ** q for q in range(Q)]
            z[self.inf] = np.array(vals, dtype=z.dtype)[None, :]
        return PowerSeries(tuple(z[:, q].copy() for q in range(Q)))

    def _pair(self, ll, wts, tail, m, r):
        p = self.p
        n = len(self.times)
        Dp = None
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
            scale = p.exp(log_scale)

        def G_of(ns, iw):
            K = ns.K[iw]
            col = 0 * K
            step = max(1, (1 << 18) // max(1, len(K)))
            for b0 in range(0, len(ll), step):
                ell = self._ell(ns, iw, ll[b0:b0 + step])
                col = col + (wts[None, b0:b0 + step] / (ell[None, :] + K[:, None])).sum(1)
            if Dp is not None and self.eq.has_tail:
                y = -p.exp(self.eq.log_bar - ns.log_a[iw]) / K
                P = 0 * K + Dp[-1]
                for d in Dp[-2::-1]:
                    P = P * y + d
                col = col + scale * P / K
            return col[:, None]

        S = self._columns(m, r, G_of)
        vals = p.zeros(n) if p.is_float else np.full(n, mpmath.mpf(0), dtype=object)
        if S is not None:
            vals[self.finite] = S[self.finite, 0]
        if (self.zero | self.inf).any():
            E = np.full((n, len(ll)), p.scalar(0), dtype=vals.dtype)
            self._fill_limits(E, ll, m, r)
            lim = (E * wts[None, :]).sum(axis=1)
            if tail is not None:
                ts = self._tail(m, r)
                lim = lim + (ts * series).pair(moments) * scale
            sel = self.zero | self.inf
            vals[sel] = lim[sel]
        err = self._error(m, r)
        wsum = float(np.sum(np.abs(_as_float(wts))))
        terr = np.zeros(n)
        if tail is not None:
            sc = _f(scale)
            wsum += sc * float(np.sum(np.abs(_as_float(np.array(Dp, dtype=object)))))
            gsum = sum(abs(_f(a)) for a in series.coeffs)
            terr = self._tail_error(m, r) * sc * gsum
        return vals, err * wsum + terr

    # -- error bounds ------------------------------------------------------------------
    def _abs_E(self, m):
        """For each finite time: |E_j| (times, nodes) in float64 and the node set used."""
        out = {}
        for w, (idx, taus, kind) in self._groups(m).items():
            ns = self.nodes if kind == "window" else self.circle
            iw = self.index[w] if kind == "window" else 0
            tf = np.array([_f(t) for t in taus])
            with np.errstate(over="ignore"):
                aE = np.exp(tf[:, None] * ns.Lc[iw].real[None, :])
            out[w] = (idx, aE, ns, iw, kind)
        return out

    def _error(self, m, r):
        n = len(self.times)
        err = np.zeros(n)
        eps = 2.3e-16 if self.p.is_float else 10.0 ** -(self.p.working_digits +
                                                         self.plan.extra_digits)
        for w, (idx, aE, ns, iw, kind) in self._abs_E(m).items():
            dl = np.abs(ns.dLc[iw]) ** r
            kappa = aE @ (dl * ns.sens[iw] * ns.dK[iw])
            rounding = 16 * eps * (aE @ (dl * np.abs(ns.Wc[iw]) * ns.inv_d[iw]))
            if kind == "window":
                a = math.exp(_f(ns.log_a[iw])) * (self.lr if self.kind == "descent"
                                                   else 1)
                quad = self.plan.bound[r] * a ** r + self._image_error(ns, iw)
            else:
                quad = self.circle_bound
            err[idx] = (quad + kappa + rounding) * m ** r
        return err

    def _tail_error(self, m, r):
        n = len(self.times)
        err = np.zeros(n)
        if not self.eq.has_tail:
            return err
        Q = self.kernel.table.Q
        for w, (idx, aE, ns, iw, kind) in self._abs_E(m).items():
            Kabs = np.abs(ns.Kc[iw])
            y = ns.xbar[iw] / Kabs
            with np.errstate(over="ignore", divide="ignore"):
                rem = np.where(y < 1, y ** Q / (1 - y), np.inf)
            c = np.abs(ns.Wc[iw]) * np.abs(ns.dLc[iw]) ** r / Kabs * rem
            err[idx] = (aE @ c) * m ** r
        return err

    def _image_error(self, ns, iw):
        return 0.0


def _log2(x) -> float:
    if isinstance(x, float):
        return math.log2(x)
    return float(mpmath.log(x, 2))


def make_flow(kernel, times):
    """Gradient flow at ``times`` (see :meth:`.resolvent.StudentKernel.flow`)."""
    ts = _times(times, kernel.precision)
    if kernel.is_infinite:
        return InfiniteEvolution(kernel, ts, "flow")
    return FiniteEvolution(kernel, ts, "flow")


def make_descent(kernel, steps, lr):
    """Gradient descent: ``steps`` integers, learning rate ``lr`` (see the kernel)."""
    from .descent import DescentEvolution, check_lr

    p = kernel.precision
    ks = [k if isinstance(k, (float, mpmath.mpf)) and k == math.inf  # the limit
          else check_int("steps", k, minimum=0) for k in np.atleast_1d(steps)]
    lr_v = check_real("lr", lr, 0, strict_min=True)
    with p.context():
        lr_v = p.scalar(lr_v)
        ks_p = [p.scalar(k) if k != math.inf else (math.inf if p.is_float else mpmath.inf)
                for k in ks]
    check_lr(kernel, lr_v)
    if kernel.is_infinite:
        ev = InfiniteEvolution(kernel, ks_p, "descent", lr_v)
        ev.max_derivative = 0
        return ev
    return DescentEvolution(kernel, ks_p, "descent", lr_v)
