r"""The two-level equation of a random-feature fit on samples, and its one-point sums.

A model of width ``M`` fitted on ``n`` samples (``derivations/finite_samples.py``,
``docs/finite_samples.md``) by ridge regression with penalty :math:`\lambda` has two
effective regularizations: :math:`\kappa` (the samples') and :math:`\nu` (the features'),

.. math:: \mathrm{df}(\nu) = M\Big(1 - \frac{\kappa}{\nu}\Big), \qquad
          \lambda = \kappa\Big(1 - \frac{\mathrm{df}(\nu)}{n}\Big), \qquad
          \mathrm{df}(\nu) = \sum_k \frac{N_k\lambda_k}{\lambda_k + \nu},

(Defilippis, Loureiro and Misiakiewicz 2024: their :math:`\nu_1 = \kappa`,
:math:`\nu_2 = \nu`), that is one equation for :math:`\nu`,

.. math:: R(\nu) := \nu\Big(1 - \frac{\mathrm{df}(\nu)}{M}\Big)
          \Big(1 - \frac{\mathrm{df}(\nu)}{n}\Big) = \lambda,

with ``M`` or ``n`` infinite dropping its factor. For :math:`\lambda > 0` the root is
the unique :math:`\nu > \nu_0`, where :math:`\mathrm{df}(\nu_0) = \min(M, n)`
(:math:`R` increases from 0 there); :math:`\lambda = 0` gives :math:`\nu_0` (the
minimum-norm interpolator when ``n < M``). Gradient flow needs :math:`\nu` at complex
penalties :math:`\lambda = -z` along a parabola (:mod:`.contour`): continued from the
real point :math:`z = -a`, on the branch with :math:`\mathrm{Im}\,\nu\,\mathrm{Im}\,z
\le 0`.

Every quantity of the theory is built from *one-point sums*
:math:`F_w(\nu) = \sum_k w_k/(\lambda_k + \nu)` and :math:`G_w(\nu) = \sum_k
w_k/(\lambda_k + \nu)^2` of block weights :math:`w` (:class:`Weight`: ``N lambda^p``,
``B lambda^p``, and products with functions of :math:`\lambda` known per block and as a
series on the tail), and two-point sums :math:`P_w(\nu_a, \nu_b) = \sum_k w_k/
((\lambda_k+\nu_a)(\lambda_k+\nu_b))` (:meth:`SampleEquation.pair`). The tail
:math:`k \ge K` enters as moments: with
:math:`x = \bar\lambda/\nu`, :math:`\sum_{k\ge K} w_k/(\lambda_k + \nu) =
\frac{s}{\nu}\sum_p \mu_p (-x)^p`, :math:`\mu_p = \sum_r c_r\,\mathrm{mom}_{p+r}` (the
weight's tail series ``c`` against the table's moment ratios), geometric in ``x``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InvalidArgument
from .highprec import HP
from .table import SpectralTable
from .teacher import solve_log_nu

__all__ = ["Weight", "SampleEquation", "context", "to_hp", "to_mp"]

_CHUNK = 1 << 18


def context(p):
    """The working precision's context, and at more digits :data:`.highprec.HP`'s: the
    sums of this module and of :mod:`.sample_moments` run in python-flint's ``acb``
    (about twenty times faster than mpmath), the equation's Newton steps in mpmath."""
    stack = contextlib.ExitStack()
    stack.enter_context(p.context())
    if not p.is_float:
        stack.enter_context(HP.context())
    return stack


def _hp1(v):
    if hasattr(v, "mid"):                         # already an arb or acb
        return v
    if isinstance(v, (complex, mpmath.mpc)):
        return HP.cplx(v)
    return HP.real(v)


def to_hp(p, x):
    """float64: ``x``; more digits: HP numbers (elementwise for arrays, lists)."""
    if p.is_float:
        return x
    if isinstance(x, np.ndarray):
        out = np.empty(x.shape, dtype=object)
        for i, v in np.ndenumerate(x):
            out[i] = _hp1(v)
        return out
    if isinstance(x, (list, tuple)):
        return [_hp1(v) for v in x]
    return _hp1(x)


def to_mp(p, x):
    """A real scalar of the working type (an HP number's real part as mpmath)."""
    if p.is_float:
        return float(np.real(x))
    if hasattr(x, "mid") or not isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return HP.to_mpf(x) if hasattr(x, "mid") else mpmath.mpf(x)
    return mpmath.re(x)


def _f(x) -> float:
    return float(x)


def _c(x) -> complex:
    return complex(x)


@dataclass(frozen=True)
class Weight:
    r"""Block weights :math:`w_k`: ``head`` over the table's positive explicit blocks,
    and ``tails``, each ``(scale, coeffs, moments)`` with
    :math:`\sum_{k \ge K} w_k g(\lambda_k) = \text{scale}\sum_q [c\,g]_q\,\text{mom}_q`
    (``c``, ``g`` series in :math:`y = \lambda/\bar\lambda`)."""

    head: np.ndarray
    tails: tuple
    lam: np.ndarray            # lambda_k of the head (working precision)
    bar: object                # lambda_bar (0 without a tail)
    Q: int

    def scaled(self, factor) -> "Weight":
        return Weight(self.head * factor, tuple((s * factor, c, m) for s, c, m in
                                                self.tails), self.lam, self.bar, self.Q)

    def times_lam(self, power: int = 1) -> "Weight":
        r""":math:`w_k\lambda_k^p`."""
        tails = []
        for s, c, m in self.tails:
            sh = [c[0] * 0] * power + [x * self.bar ** power for x in c[:self.Q - power]]
            tails.append((s, sh, m))
        return Weight(self.head * self.lam ** power, tuple(tails), self.lam, self.bar,
                      self.Q)

    def times(self, head, series) -> "Weight":
        r""":math:`w_k f(\lambda_k)` for ``f`` given per head block and as a series in
        ``y`` on the tail."""
        tails = []
        for s, c, m in self.tails:
            prod = [sum((c[i] * series[q - i] for i in range(1, q + 1)), c[0] * series[q])
                    for q in range(self.Q)]
            tails.append((s, prod, m))
        return Weight(self.head * head, tuple(tails), self.lam, self.bar, self.Q)

    def __add__(self, other: "Weight") -> "Weight":
        return Weight(self.head + other.head, self.tails + other.tails, self.lam, self.bar,
                      self.Q)

    def total(self):
        r""":math:`\sum_k w_k`."""
        out = np.sum(self.head) if len(self.head) else 0 * self.bar
        for s, c, m in self.tails:
            out = out + s * sum(ci * mi for ci, mi in zip(c, m))
        return out

    def mu(self):
        """Per tail: ``(scale, mu_p)`` with ``mu_p = sum_r c_r mom_{p+r}``."""
        out = []
        for s, c, m in self.tails:
            out.append((s, [sum(c[r] * m[p + r] for r in range(self.Q - p))
                            for p in range(self.Q)]))
        return out


class SampleEquation:
    """The equation :math:`R(\\nu) = \\lambda` of a fit of width ``M`` on ``n`` samples
    (``None``: infinite) over a table, and the one-point sums (module docstring)."""

    def __init__(self, table: SpectralTable, width, samples):
        self.table, self.M, self.n = table, width, samples
        p = self.p = table.precision
        with p.context():
            pos = np.asarray(table.positive, dtype=bool)
            self.log_lam = np.asarray(table.log_lam)[pos]
            self.lam = p.exp(self.log_lam)
            self.log_N = np.asarray(table.log_mult)[pos]
            self.log_B = np.asarray(table.log_B)[pos]
            self.Q = table.Q
            self.bar = p.exp(table.spec_tail.log_lambda_bar) if table.has_tail \
                else p.scalar(0)
            self.Nlam = self.spectral(1)
        self._lam_f = np.array([_f(v) for v in self.lam])
        self._Nlam_f = np.array([_f(v) for v in self.Nlam.head])
        self._tail_f = [(_f(s), [_f(x) for x in mu]) for s, mu in self.Nlam.mu()]
        if not p.is_float:
            # the equation's Newton steps in mpmath; every other sum in HP numbers
            self.Nlam_mp = self.Nlam
            with context(p):
                self.lam = to_hp(p, self.lam)
                self.bar = to_hp(p, self.bar)
                self.Nlam = self._to_hp(self.Nlam_mp)
        else:
            self.Nlam_mp = self.Nlam
        self._bar_f = _f(self.bar)
        m0 = [x for x in (width, samples) if x is not None]
        self.m0 = min(m0) if m0 else None
        self.log_nu0 = self._log_nu0()

    # -- weights --------------------------------------------------------------------
    def _bar_mp(self):
        p, t = self.p, self.table
        return p.exp(t.spec_tail.log_lambda_bar) if t.has_tail else p.scalar(0)

    def spectral(self, power: int) -> Weight:
        r""":math:`N_k\lambda_k^p` (``p >= 1``)."""
        p, t = self.p, self.table
        with p.context():
            head = p.exp(self.log_N + power * self.log_lam)
            tails = ()
            if t.has_tail:
                c = [p.scalar(0)] * self.Q
                c[power - 1] = self._bar_mp() ** (power - 1)
                tails = ((p.exp(t.spec_tail.log_mass), c,
                          list(t.spec_tail.ratios[:self.Q])),)
        w = Weight(head, tails, self.lam, self.bar, self.Q)
        return w if p.is_float or not hasattr(self, "Nlam_mp") else self._to_hp(w)

    def target(self, power: int = 0) -> Weight:
        r""":math:`B_k\lambda_k^p` over the blocks with :math:`\lambda_k > 0`."""
        p, t = self.p, self.table
        with p.context():
            head = p.exp(self.log_B + power * self.log_lam)
            tails = ()
            if t.has_tail and float(t.tgt_tail.log_mass) > -math.inf:
                c = [p.scalar(0)] * self.Q
                c[power] = self._bar_mp() ** power
                tails = ((p.exp(t.tgt_tail.log_mass), c, list(t.tgt_tail.ratios[:self.Q])),)
        w = Weight(head, tails, self.lam, self.bar, self.Q)
        return w if p.is_float else self._to_hp(w)

    def _to_hp(self, w: Weight) -> Weight:
        p = self.p
        with context(p):
            return Weight(to_hp(p, w.head), tuple((to_hp(p, s), to_hp(p, c), to_hp(p, m))
                                                  for s, c, m in w.tails),
                          self.lam, self.bar, self.Q)

    # -- one-point sums ---------------------------------------------------------------
    def _series(self, w: Weight, nu, mp_path=False):
        r"""The explicit head blocks (a mask, or ``None`` for all) and the series
        ``[(scale, mu, bar)]`` for the rest: the table's tails, and the head blocks with
        :math:`\lambda_k \le \theta\min_j|\nu_j|` folded into one more series,
        :math:`\mu_q = \sum_{fold} w_k(\lambda_k/\bar\lambda_f)^q` (geometric in
        :math:`\bar\lambda_f/|\nu| \le \theta`: ``theta = 0.1``, 18 terms in float64;
        ``0.01`` and half the working digits in terms beyond). A window's explicit
        blocks are then those near its nodes: on a power-law spectrum hundreds instead
        of the table's tens of thousands."""
        p = self.p
        bar = self._bar_mp() if mp_path else self.bar
        series = [(s_, mu, bar) for s_, mu in w.mu()]
        if mp_path or len(self._lam_f) < 64:
            return None, series
        nmin = min(abs(_c(v)) for v in np.ravel(nu))
        theta, Qf = (0.1, 18) if p.is_float else (0.01, (p.working_digits + 3) // 2 + 1)
        fold = self._lam_f <= theta * nmin
        if fold.sum() < 64:
            return None, series
        lam = self.lam[fold]
        top = int(np.argmax(self._lam_f[fold]))
        lb = lam[top]
        r = lam / lb
        term = w.head[fold]
        mu = []
        for _ in range(Qf):
            mu.append(np.sum(term))
            term = term * r
        one = 1.0 if p.is_float else to_hp(p, p.scalar(1))
        return ~fold, series + [(one, mu, lb)]

    def sums(self, w: Weight, nu, derivative=True):
        r"""``(F, G, err)``: :math:`F_w(\nu)`, :math:`G_w(\nu) = -F_w'(\nu)` at the array
        ``nu`` (working precision, complex allowed) and a float64 bound on the tail
        series' truncation (per node)."""
        p = self.p
        nu = np.asarray(nu)
        shape = nu.shape
        flat = nu.ravel()
        mp_path = not p.is_float and w is self.Nlam_mp
        keep, series = self._series(w, flat, mp_path)
        with context(p):
            if p.is_float:
                F = np.zeros(flat.shape, dtype=complex)
                G = np.zeros(flat.shape, dtype=complex)
                lam, head = self.lam, w.head
                if keep is not None:
                    lam, head = lam[keep], head[keep]
                step = max(1, _CHUNK // max(1, len(lam)))
                for j0 in range(0, len(flat), step):
                    d = 1.0 / (lam[None, :] + flat[j0:j0 + step, None])
                    t = head[None, :] * d
                    F[j0:j0 + step] = t.sum(axis=1)
                    if derivative:
                        G[j0:j0 + step] = (t * d).sum(axis=1)
            else:
                head = w.head
                if mp_path:                    # the equation's Newton steps: mpmath
                    lam = p.exp(self.log_lam)
                else:
                    lam, flat = self.lam, to_hp(p, flat)
                if keep is not None:
                    lam, head = lam[keep], head[keep]
                F = np.empty(flat.shape, dtype=object)
                G = np.empty(flat.shape, dtype=object)
                for j, v in enumerate(flat):
                    d = 1 / (lam + v)
                    t = head * d
                    F[j] = np.sum(t) if len(t) else 0 * v
                    G[j] = np.sum(t * d) if derivative and len(t) else 0 * v
            err = np.zeros(flat.shape)
            for s, mu, bar in series:
                x = bar / flat
                P, dP = _tail_series(mu, x)
                F = F + s / flat * P
                if derivative:
                    G = G + s / (flat * flat) * dP
                xf = np.abs(np.array([_c(v) for v in x]))
                sf = abs(_c(s)) * max(1.0, max(abs(_c(v)) for v in mu))
                with np.errstate(divide="ignore", over="ignore"):
                    err = err + np.where(xf < 1, sf * xf ** len(mu) / (1 - xf) / np.abs(
                        np.array([_c(v) for v in flat])), np.inf)
        return F.reshape(shape), G.reshape(shape), err.reshape(shape)

    def pair(self, w: Weight, nu):
        r"""The matrix :math:`P_{ab} = \sum_k w_k/((\lambda_k + \nu_a)(\lambda_k +
        \nu_b))` at the nodes ``nu`` (a vector), summed directly (no divided differences:
        nodes of late windows cluster near :math:`\nu_0`, where differences of one-point
        sums would cancel); the tail by its double series,
        :math:`\frac{s}{\nu_a\nu_b}\sum_{p+r<Q}(-x_a)^p(-x_b)^r\mu_{p+r}`."""
        p = self.p
        nu = np.asarray(nu)
        J = len(nu)
        keep, series = self._series(w, nu)
        lam, head = self.lam, w.head
        if keep is not None:
            lam, head = lam[keep], head[keep]
        with context(p):
            if p.is_float:
                P = np.zeros((J, J), dtype=complex)
                step = max(1, _CHUNK // max(1, J))
                for k0 in range(0, len(lam), step):
                    S = 1.0 / (lam[k0:k0 + step, None] + nu[None, :])
                    P += (S * head[k0:k0 + step, None]).T @ S
            else:
                nu = to_hp(p, nu)
                S = 1 / (lam[:, None] + nu[None, :])
                P = np.dot((S * head[:, None]).T, S) if len(lam) else \
                    np.zeros((J, J), dtype=object) * nu[0]
            for s, mu, bar in series:
                Q = len(mu)
                x = bar / nu
                E = np.array([[(-xa) ** q for q in range(Q)] for xa in x],
                             dtype=complex if p.is_float else object)
                Hk = np.array([[mu[i + j] if i + j < Q else 0 * mu[0]
                                for j in range(Q)] for i in range(Q)],
                              dtype=complex if p.is_float else object)
                P = P + s * (E @ Hk @ E.T) / (nu[:, None] * nu[None, :])
        return P

    def _df_float(self, nu):
        """``(df, G)`` in complex128 from the float copies (the continuation)."""
        nu = np.asarray(nu, dtype=complex)
        d = 1.0 / (self._lam_f + nu[..., None])
        t = self._Nlam_f * d
        F, G = t.sum(axis=-1), (t * d).sum(axis=-1)
        for s, mu in self._tail_f:
            x = self._bar_f / nu
            P, dP = _tail_series(mu, x)
            F = F + s / nu * P
            G = G + s / (nu * nu) * dP
        return F, G

    # -- the equation -----------------------------------------------------------------
    def residual(self, nu, df, G):
        r"""``(R(nu), R'(nu))`` from :math:`\mathrm{df}(\nu)` and
        :math:`G = -\mathrm{df}'`."""
        gM = 1 - df / self.M if self.M is not None else 1
        gn = 1 - df / self.n if self.n is not None else 1
        dM = G / self.M if self.M is not None else 0
        dn = G / self.n if self.n is not None else 0
        return nu * gM * gn, gM * gn + nu * dM * gn + nu * gM * dn

    def _log_nu0(self):
        r""":math:`\log\nu_0`: :math:`\mathrm{df}(\nu_0) = \min(M, n)`; ``-inf`` when that
        is at least the rank (or both are infinite)."""
        p = self.p
        ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        if self.m0 is None:
            return ninf
        if not self.table.has_tail:
            rank = float(np.sum(np.exp(np.array([_f(v) for v in self.log_N]))))
            if self.m0 >= rank - 1e-9:
                return ninf
        with p.context():
            return solve_log_nu(self.table, self.m0)

    @property
    def nu0(self):
        with self.p.context():
            return self.p.exp(self.log_nu0)

    def solve_ridge(self, lam):
        r"""The root :math:`\nu > \nu_0` of :math:`R(\nu) = \lambda` (real
        :math:`\lambda \ge 0`), in the working precision."""
        p = self.p
        with p.context():
            lam = p.scalar(lam)
            if lam == 0:
                return self.nu0
            if self.m0 is None:
                return lam
            nuf = self._solve_ridge_float(_f(lam))
            if p.is_float:
                return nuf
            u = mpmath.log(mpmath.mpf(nuf))
            tol = mpmath.mpf(10) ** (-p.working_digits - 2)
            for _ in range(60):
                nu = mpmath.exp(u)
                F, G, _ = self.sums(self.Nlam_mp, np.array([nu], dtype=object))
                R, dR = self.residual(nu, F[0], G[0])
                step = (mpmath.log(R) - mpmath.log(lam)) / (nu * dR / R)
                u = u - step
                if abs(step) <= tol:
                    break
            return mpmath.exp(u)

    def _solve_ridge_float(self, lam: float) -> float:
        """Newton in ``log nu`` inside a bracket, float64."""
        lo = math.log(lam)
        if _f(self.log_nu0) > -math.inf:
            lo = max(lo, _f(self.log_nu0))

        def phi(u):
            nu = math.exp(u)
            F, G = self._df_float(np.array([nu]))
            R, dR = self.residual(nu, F[0].real, G[0].real)
            if R <= 0:
                return -math.inf, 1.0
            return math.log(R) - math.log(lam), nu * dR / R

        hi = lo + 1.0
        while phi(hi)[0] < 0:
            hi += 2 * (hi - lo)
        u = (lo + hi) / 2
        for _ in range(200):
            f, df = phi(u)
            if f < 0:
                lo = u
            else:
                hi = u
            new = u - f / df if math.isfinite(f) and df > 0 else (lo + hi) / 2
            if not lo < new < hi:
                new = (lo + hi) / 2
            if abs(new - u) <= 1e-15 * max(1.0, abs(u)) or hi - lo < 1e-15 * max(1, abs(u)):
                u = new
                break
            u = new
        return math.exp(u)

    # -- along a contour ----------------------------------------------------------------
    def contour(self, zs):
        r""":math:`\nu` at the nodes ``zs`` (array: windows x nodes ``u_j = j h``,
        ``j = 0..N``, ``zs[:, 0]`` real negative), continued from the real point on the
        branch :math:`\mathrm{Im}\,\nu\,\mathrm{Im}\,z \le 0`; float64 continuation, then
        Newton at the working precision. Returns an array of the working type."""
        p = self.p
        zf = np.array([[_c(v) for v in row] for row in zs])
        Wn, J = zf.shape
        out = np.zeros((Wn, J), dtype=complex)
        if self.m0 is None:                       # M = n = inf: nu = -z exactly
            return -np.asarray(zs)
        for w in range(Wn):
            out[w] = self._continue(zf[w])
        if p.is_float:
            return out
        with p.context():
            res = np.empty((Wn, J), dtype=object)
            tol = mpmath.mpf(10) ** (-p.working_digits - 2)
            for w in range(Wn):
                for j in range(J):
                    nu, z = mpmath.mpc(out[w, j]), zs[w, j]
                    for _ in range(40):
                        F, G, _ = self.sums(self.Nlam_mp, np.array([nu], dtype=object))
                        R, dR = self.residual(nu, F[0], G[0])
                        step = (R + z) / dR
                        nu = nu - step
                        if abs(step) <= tol * abs(nu):
                            break
                    res[w, j] = nu
            return res

    def _newton(self, nu, z):
        for _ in range(40):
            F, G = self._df_float(np.array([nu]))
            R, dR = self.residual(nu, F[0], G[0])
            step = (R + z) / dR
            nu = nu - step
            if not np.isfinite(nu):
                return nu, False
            if abs(step) <= 4e-16 * abs(nu):
                return nu, True
        return nu, abs(step) <= 1e-12 * abs(nu)

    def _continue(self, z):
        """One window: Newton node by node with step halving; the branch check."""
        J = len(z)
        out = np.zeros(J, dtype=complex)
        out[0] = self._solve_ridge_float(-z[0].real)
        for j in range(1, J):
            nu, s, frac = out[j - 1], 0.0, 1.0
            prev = out[j - 2] if j >= 2 else None
            while s < 1.0:
                f = min(frac, 1.0 - s)
                zz = z[j - 1] + (s + f) * (z[j] - z[j - 1])
                guess = nu if prev is None or frac < 1 else 2 * nu - prev
                new, ok = self._newton(guess, zz)
                ok = ok and abs(new - nu) <= 0.5 * abs(nu) and \
                    new.imag * zz.imag <= 1e-12 * abs(new)
                if ok:
                    nu, s = new, s + f
                else:
                    frac /= 2
                    if frac < 1e-8:
                        raise ArithmeticError("the sample equation did not converge "
                                              "along the contour")
            out[j] = nu
        return out


def check_rank(table, width, name):
    """A width above the number of non-zero eigendirections is refused."""
    if table.has_tail or width is None:
        return
    rank = float(np.sum(np.exp(np.array([_f(v) for v in np.asarray(table.log_mult)[
        np.asarray(table.positive, dtype=bool)]]))))
    if width > rank + 1e-9:
        raise InvalidArgument(name, f"must be at most the number of non-zero "
                              f"eigendirections of the kernel ({rank:g})")


def _tail_series(mu, x):
    r"""Horner's scheme for the tail's series :math:`P(x) = \sum_q \mu_q(-x)^q` and
    :math:`\sum_q (q+1)\mu_q(-x)^q` (the one of ``G``), elementwise in ``x``."""
    P = 0 * x + mu[-1]
    dP = 0 * x + len(mu) * mu[-1]
    for q in range(len(mu) - 2, -1, -1):
        P = P * (-x) + mu[q]
        dP = dP * (-x) + (q + 1) * mu[q]
    return P, dP
