"""Independent reference for THEORY.md section 3b (finite-width student), for tests.

Method
------
For a finite spectrum (distinct eigenvalues ``lam[k] > 0`` with integer multiplicities
``N[k]``, ``D = sum N``), the deterministic equivalent of ``E (K_S - z)^{-1}`` on block k
is ``Qbar_k(z) = 1 / (lam_k / (1 + delta(z)) - z)``. With ``kappa = -z (1 + delta)`` and
``df(kappa) = sum_k N_k lam_k / (lam_k + kappa)`` the delta-equation becomes the explicit
inverse ``z(kappa) = kappa (df(kappa) / M_S - 1)``, and
``Qbar_k = -(kappa / z) / (lam_k + kappa)``. Clearing denominators, ``z(kappa) = x`` is a
polynomial of degree ``K + 1`` in ``kappa`` (K distinct eigenvalues):

    (kappa + x) prod_j (lam_j + kappa)
        - (kappa / M_S) sum_k N_k lam_k prod_{j != k} (lam_j + kappa) = 0.

At a real ``x > 0`` it has at least ``K - 1`` real roots (``z`` runs from ``-inf`` to
``+inf`` between consecutive poles), hence at most one complex-conjugate pair. The
Stieltjes branch (``Im Qbar_k(x + i0) >= 0``) is the root with ``Im kappa < 0``, and the
equivalent spectral measure of ``K_S`` seen from block k is

    mu_k = nu_S / (lam_k + nu_S) * delta_0  (only when M_S < D)  +  rho_k(x) dx,
    rho_k(x) = (1/pi) Im Qbar_k(x + i0) = -(lam_k / (pi x)) Im kappa / |lam_k + kappa|^2,

with ``nu_S`` the solution of ``df(nu_S) = M_S``. The support edges are the real critical
values of ``z(kappa)``: the real roots of ``M_S prod_j (lam_j + kappa)^2 -
sum_k N_k lam_k^2 prod_{j != k} (lam_j + kappa)^2`` (degree 2K, ``mpmath.polyroots``)
mapped through ``z``. The positive critical values (and 0) cut the half-line into pieces;
a piece belongs to the support iff its midpoint has a complex root pair (there may be
several bulks: up to K, e.g. three for ``lam = 1, 0.3, 0.05``, ``N = 10, 30, 60``,
``M_S = 200``). At each quadrature node the complex root is found by Newton (at the
working precision plus ~6 digits) from the ``numpy.roots`` guess, accepted only if its
residual is at the rounding level and ``Im kappa < 0``; otherwise (a few nodes within
~1e-8 of an edge, where float64 cannot separate the pair) all roots come from
``mpmath.polyroots`` with doubled precision. Every spectral quantity is then a real
integral ``int g(x) rho_k(x) dx`` plus the atom: tanh-sinh (``mpmath.quad``) on cells of
each support piece; on the two end cells of a piece ``x = a + u^2`` (``x = b - u^2``)
makes the square-root edge, and the ``x^{-1/2}`` hard edge at 0 when ``M_S = D``, smooth
in ``u``; cells are bisected until every block's density integrates to ``10^-(dps+3)``
(``Qbar_k`` has near-poles just below the axis: sharp peaks inside a bulk), and again for
each integrand if needed. ``e_k(t)`` uses ``g = exp(-t x)`` (the lower edge cells are first
halved down to width ``10/t``), gradient descent ``g = (1 - lr x)^steps``.

Why it is independent of the contour method
-------------------------------------------
No complex contour, no Newton continuation of ``delta``, no trapezoidal rule: the
resolvent is only evaluated on the real axis (as a boundary value), its branch is chosen
among *all* roots of a polynomial (so a wrong branch cannot be followed by continuity),
and the Laplace transform is a real quadrature against the density. The teacher part
(section 3) is a fresh transcription, with ``nu`` by bisection.

Assumptions
-----------
* A finite spectrum with few distinct eigenvalues (K up to ~10): the polynomials have
  degree ``K + 1`` and ``2K``; their coefficients are products of the ``lam_k``, so
  eigenvalues spanning many decades need more digits (roots are computed with
  ``extraprec`` of about twice the working precision).
* ``lam_k > 0`` (no null space; ``B_null`` is then 0), ``M_S, M_T > 0``.
* Distinct ``lam`` and a generic ``M_S`` (not exactly where two bulks merge, where the
  critical points are double).

Accuracy and cost
-----------------
Away from edges the root, hence the density, is accurate to the working precision; at
distance ``h`` from an edge the conjugate pair is ``O(sqrt h)`` apart and the root error
is ``O(eps / sqrt h)``, integrable, so integrals reach the working precision: the total
mass ``atom + int rho_k`` equals 1, the first two moments equal ``lam_k`` and
``lam_k^2 + lam_k tr(Sigma)/M_S``, and the Stieltjes transform at ``z < 0`` equals the
ridge equation's, all to ``10^-(dps-5)`` in the self-tests (measured: exact to the last
digit of dps = 20 and 30 for the masses). A measure costs ~0.5-3 s to set up at dps = 30
(2-7 thousand nodes, cached), each further integral ~0.1-1 s.
Note: when ``M_S = D`` exactly the density is ``~ c x^{-1/2}`` at 0, so
``e_k(t) - atom`` and ``L_S(t) - L_S(inf)`` decay only like ``t^{-1/2}``.
All functions take ``dps`` (default 30) and return mpmath numbers.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

__all__ = [
    "teacher", "width_nu", "support", "top_edge", "spectral_integral", "student_factors",
    "gd_factors", "student_risk", "gd_risk", "student_ceiling", "student_limit",
    "stieltjes", "ridge_resolvent",
]


# --------------------------------------------------------------------------------------
# Inputs and small polynomial helpers (coefficient lists, highest degree first)


def _spectrum(lam, N):
    lam = [mpmath.mpf(v) for v in lam]
    N = [int(n) for n in N]
    if len(lam) != len(N) or not lam:
        raise ValueError("lam and N must be non-empty and of the same length")
    if any(v <= 0 for v in lam) or any(n <= 0 for n in N):
        raise ValueError("need lam > 0 and N >= 1")
    if len(set(lam)) != len(lam):
        raise ValueError("eigenvalues must be distinct")
    return lam, N


def _pmul(p, q):
    out = [mpmath.mpf(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def _padd(p, q):
    n = max(len(p), len(q))
    p = [mpmath.mpf(0)] * (n - len(p)) + list(p)
    q = [mpmath.mpf(0)] * (n - len(q)) + list(q)
    return [a + b for a, b in zip(p, q)]


def _pscale(p, c):
    return [c * a for a in p]


def _prod(polys):
    out = [mpmath.mpf(1)]
    for p in polys:
        out = _pmul(out, p)
    return out


def _roots(coeffs, prec):
    """All complex roots of a polynomial at ``prec`` bits of working precision."""
    with mpmath.workprec(prec):
        roots, _err = mpmath.polyroots(coeffs, maxsteps=400, extraprec=prec + 64,
                                       error=True)
    return [mpmath.mpc(r) for r in roots]


def _df(lam, N, kappa):
    return mpmath.fsum(n * l / (l + kappa) for l, n in zip(lam, N))


def width_nu(lam, N, M, dps=30):
    """``nu`` solving ``sum_k N_k lam_k / (lam_k + nu) = M`` (bisection); 0 if ``M >= D``."""
    with mpmath.workdps(dps + 10):
        lam, N = _spectrum(lam, N)
        M = mpmath.mpf(M)
        if M >= sum(N):
            return mpmath.mpf(0)
        lo, hi = mpmath.mpf(0), mpmath.fsum(n * l for l, n in zip(lam, N)) / M
        for _ in range(20000):        # df is decreasing; df(0) = D > M >= df(hi)
            mid = (lo + hi) / 2
            if _df(lam, N, mid) > M:
                lo = mid
            else:
                hi = mid
            if hi - lo <= hi * mpmath.eps:
                break
        nu = (lo + hi) / 2
    with mpmath.workdps(dps):
        return +nu


# --------------------------------------------------------------------------------------
# Section 3: the teacher


def teacher(lam, N, B, M_T, dps=30):
    """THEORY.md section 3 for a finite spectrum (``B_null = 0``).

    Returns a dict with ``nu``, ``s`` (list), ``F`` (list), ``L_T``, ``S``, ``D2``.
    ``M_T >= D``: the teacher spans everything, ``nu = 0``, ``s = F = 0``, ``L_T = 0``.
    """
    with mpmath.workdps(dps + 10):
        lam, N = _spectrum(lam, N)
        B = [mpmath.mpf(b) for b in B]
        nu = width_nu(lam, N, M_T, dps=dps + 10)
        s = [nu / (l + nu) for l in lam]
        S = mpmath.fsum(l * b / (l + nu) ** 2 for l, b in zip(lam, B))
        D2 = mpmath.fsum(n * l ** 2 / (l + nu) ** 2 for l, n in zip(lam, N))
        if nu == 0:
            F = [mpmath.mpf(0)] * len(lam)
        else:
            C = S / (mpmath.mpf(M_T) - D2)
            F = [nu ** 2 * n * l / (l + nu) ** 2 * C for l, n in zip(lam, N)]
        L_T = mpmath.fsum(sk * b for sk, b in zip(s, B))
    with mpmath.workdps(dps):
        return {"nu": +nu, "s": [+v for v in s], "F": [+v for v in F], "L_T": +L_T,
                "S": +S, "D2": +D2}


# --------------------------------------------------------------------------------------
# The equivalent spectral measure of K_S


class _Measure:
    """Atom, support pieces and density of the equivalent measures mu_k (all blocks)."""

    MAXDEGREE = 6       # tanh-sinh levels per cell before bisecting it
    MAXDEPTH = 60       # bisections

    def __init__(self, lam, N, M_S, dps):
        self.dps = dps
        self.prec = int(dps * 3.33) + 20
        with mpmath.workprec(self.prec):
            self.lam, self.N = _spectrum(lam, N)
            self.M = mpmath.mpf(M_S)
            self.D = sum(self.N)
            lam, N, M = self.lam, self.N, self.M
            lin = [[mpmath.mpf(1), l] for l in lam]                      # lam_j + kappa
            self.A = _prod(lin)                                          # prod (lam_j + kappa)
            Bp = [mpmath.mpf(0)]
            for k in range(len(lam)):
                Bp = _padd(Bp, _pscale(_prod(lin[:k] + lin[k + 1:]), N[k] * lam[k]))
            # P_x(kappa) = x A(kappa) + kappa C(kappa), C = A - Bp / M, with the exact
            # C(0) = prod(lam) (1 - D/M) (0 when M = D: the hard edge at x = 0)
            A = self.A
            self.C = _padd(A, _pscale(Bp, -1 / M))
            self.C[-1] = A[-1] * (1 - mpmath.mpf(self.D) / M)
            self.lam_min = min(lam)
            self.fallbacks = 0
            # critical points of z(kappa): M prod(lam+kappa)^2 = sum N lam^2 prod_{j!=k}(...)^2
            crit = _pscale(_prod([_pmul(p, p) for p in lin]), M)
            for k in range(len(lam)):
                others = lin[:k] + lin[k + 1:]
                crit = _padd(crit, _pscale(_prod([_pmul(p, p) for p in others]),
                                           -N[k] * lam[k] ** 2))
            self.nu_S = width_nu(lam, N, M, dps=int(self.prec / 3.33))
            self.atom = [self.nu_S / (l + self.nu_S) for l in lam]
        self._cache = {}
        self.crit_kappa = [r.real for r in _roots(crit, self.prec)
                           if abs(r.imag) <= mpmath.mpf(2) ** (-self.prec // 3) * (1 + abs(r))]
        with mpmath.workprec(self.prec):
            vals = sorted(set(self.z_of_kappa(k) for k in self.crit_kappa))
            scale = max(lam) * (1 + self.D / M)
            cuts = [mpmath.mpf(0)] + [v for v in vals
                                      if v > mpmath.mpf(2) ** (-self.prec // 2) * scale]
            self.pieces = []
            for a, b in zip(cuts[:-1], cuts[1:]):
                k = self.kappa((a + b) / 2)
                if -k.imag > mpmath.mpf(2) ** (-self.prec // 3) * scale:
                    self.pieces.append((a, b))
            if not self.pieces:
                raise RuntimeError("no support found")
            # cells: an edge cell at each end of a piece (x = a + u^2, x = b - u^2 make the
            # square-root edges smooth in u), plain cells between; bisected until the
            # density of every block integrates to the tolerance (near-poles of Qbar_k
            # just below the axis make sharp peaks inside the bulk)
            self.tol = mpmath.mpf(10) ** (-dps - 3)
            self.cells = []
            for a, b in self.pieces:
                w = (b - a) / 4
                for cell in [(a, a + w, "L"), (a + w, b - w, "M"), (b - w, b, "R")]:
                    self.cells += self._refine(cell)
            top = cuts[-1]
            # beyond the largest critical value there is no support
            probe = self.kappa(2 * top + scale)
            assert -probe.imag <= mpmath.mpf(2) ** (-self.prec // 3) * scale

    def quad_cell(self, f, cell):
        """(value, error estimate) of int f over a cell, with the edge substitution."""
        lo, hi, kind = cell
        if kind == "L":
            h = lambda u: 2 * u * f(lo + u * u)
        elif kind == "R":
            h = lambda u: 2 * u * f(hi - u * u)
        else:
            return mpmath.quad(f, [lo, hi], error=True, maxdegree=self.MAXDEGREE)
        return mpmath.quad(h, [0, mpmath.sqrt(hi - lo)], error=True, maxdegree=self.MAXDEGREE)

    @staticmethod
    def split(cell):
        lo, hi, kind = cell
        c = (lo + hi) / 2
        return [(lo, c, "L" if kind == "L" else "M"), (c, hi, "R" if kind == "R" else "M")]

    def _refine(self, cell, depth=0):
        ok = all(self.quad_cell(lambda x: self.density(k, x), cell)[1] <= self.tol
                 for k in range(len(self.lam)))
        if ok or depth >= self.MAXDEPTH:
            return [cell]
        return [c for half in self.split(cell) for c in self._refine(half, depth + 1)]

    def adaptive(self, f, cell, depth=0):
        """(value, error) of int f over a cell, bisecting where tanh-sinh does not converge."""
        val, err = self.quad_cell(f, cell)
        if err <= self.tol or depth >= self.MAXDEPTH:
            return val, err
        (v1, e1), (v2, e2) = [self.adaptive(f, c, depth + 1) for c in self.split(cell)]
        return v1 + v2, max(e1, e2)

    def z_of_kappa(self, kappa):
        return kappa * (_df(self.lam, self.N, kappa) / self.M - 1)

    def kappa(self, x):
        """The root of z(kappa) = x with Im kappa < 0 (Stieltjes branch), or a real root
        (Im 0) outside the support. Newton from a float64 guess, checked; all roots by
        polyroots when Newton is not conclusive (near the edges)."""
        key = x
        if key in self._cache:
            return self._cache[key]
        with mpmath.workprec(self.prec):
            x = mpmath.mpf(x)
            poly = _padd(_pscale(self.A, x), self.C + [mpmath.mpf(0)])
            r = self._newton(poly)
            if r is None:
                self.fallbacks += 1
                r = min(_roots(poly, self.prec), key=lambda c: c.imag)
                if r.imag > 0:
                    r = mpmath.mpc(r.real, 0)
        self._cache[key] = r
        return r

    def _newton(self, poly):
        try:
            guesses = np.roots([complex(c) for c in poly])
        except (OverflowError, ValueError, np.linalg.LinAlgError):
            return None
        if not np.all(np.isfinite(guesses)):
            return None
        tiny = np.abs(guesses) < 1e-6 * float(self.lam_min)
        if tiny.sum() >= 2:
            # tiny roots (the hard edge at x -> 0 when M_S = D) are lost in float64:
            # take them from the three lowest-order terms, c2 k^2 + c1 k + c0
            c2, c1, c0 = poly[-3:]
            disc = mpmath.sqrt(mpmath.mpc(c1 * c1 - 4 * c2 * c0))
            guesses = np.concatenate([guesses[~tiny], [complex((-c1 + s * disc) / (2 * c2))
                                                       for s in (1, -1)]])
        g = guesses[np.argmin(guesses.imag)]
        push = 1e-7 * (abs(g) if g != 0 else float(self.lam_min))
        if g.imag > -push:                      # unresolved pair: start below the axis
            g = complex(g.real, -push)
        k = mpmath.mpc(g)
        absc = [abs(c) for c in poly]
        eps = mpmath.mpf(2) ** (-self.prec)
        for _ in range(300):
            p, dp = poly[0], mpmath.mpf(0)
            for c in poly[1:]:
                dp = dp * k + p
                p = p * k + c
            bound = mpmath.mpf(0)
            ak = abs(k)
            for c in absc:
                bound = bound * ak + c
            if abs(p) <= 16 * eps * bound * len(poly):
                break                           # residual at the rounding level
            if dp == 0:
                return None
            k = k - p / dp
        else:
            return None
        if k.imag >= 0:
            return None
        return k

    def density(self, k, x):
        """rho_k(x) = (1/pi) Im Qbar_k(x + i0) (0 outside the support)."""
        kap = self.kappa(x)
        if kap.imag >= 0:
            return mpmath.mpf(0)
        lk = self.lam[k]
        return -(lk / (mpmath.pi * x)) * kap.imag / abs(lk + kap) ** 2


@lru_cache(maxsize=64)
def _measure_cached(lam, N, M_S, dps):
    return _Measure(lam, N, M_S, dps)


def _measure(lam, N, M_S, dps):
    key_lam = tuple(mpmath.nstr(mpmath.mpf(v), 3 * dps + 20) if not isinstance(v, str) else v
                    for v in lam)
    return _measure_cached(key_lam, tuple(int(n) for n in N), str(mpmath.mpf(M_S)), dps)


def support(lam, N, M_S, dps=30):
    """Support pieces ``[(a, b), ...]`` of the density part (adjacent pieces may touch)."""
    m = _measure(lam, N, M_S, dps)
    with mpmath.workdps(dps):
        return [(+a, +b) for a, b in m.pieces]


def top_edge(lam, N, M_S, dps=30):
    """The largest edge of the support of the equivalent spectrum of K_S."""
    m = _measure(lam, N, M_S, dps)
    with mpmath.workdps(dps):
        return +m.pieces[-1][1]


def spectral_integral(lam, N, M_S, g, dps=30, scale=None, error=False):
    """``[int g(x) mu_k(dx) for k]``: atom ``g(0) nu_S/(lam_k+nu_S)`` plus density part.

    Integrated cell by cell (the measure's cells, see ``_Measure``), each by tanh-sinh,
    bisected where it does not converge to ``10^-(dps+3)``. ``scale``: a rate (like t)
    at which ``g`` varies near the lower edges; their edge cells are first halved down
    to width ``10/scale``. ``error=True`` also returns the largest error estimate.
    """
    m = _measure(lam, N, M_S, dps)
    cells = list(m.cells)
    if scale is not None and scale > 0:
        width = 10 / mpmath.mpf(scale)
        done = []
        while cells:
            cell = cells.pop(0)
            if cell[2] == "L" and cell[1] - cell[0] > width:
                cells[:0] = m.split(cell)
            else:
                done.append(cell)
        cells = done
    out, errmax = [], mpmath.mpf(0)
    with mpmath.workprec(m.prec):
        for k in range(len(m.lam)):
            total = m.atom[k] * g(mpmath.mpf(0)) if m.atom[k] else mpmath.mpf(0)
            f = lambda x: g(x) * m.density(k, x)
            for cell in cells:
                val, err = m.adaptive(f, cell)
                total += val
                errmax = max(errmax, err)
            out.append(total)
    with mpmath.workdps(dps):
        out = [+v for v in out]
        return (out, +errmax) if error else out


def student_factors(lam, N, M_S, t, dps=30):
    """``e_k(t)``: the equivalent of ``E[exp(-t K_S)]`` on block k (list over k)."""
    with mpmath.workdps(dps + 10):
        t = mpmath.mpf(t)
    if t == mpmath.inf:
        m = _measure(lam, N, M_S, dps)
        with mpmath.workdps(dps):
            return [+a for a in m.atom]
    return spectral_integral(lam, N, M_S, lambda x: mpmath.exp(-t * x), dps=dps,
                             scale=t if t > 0 else None)


def gd_factors(lam, N, M_S, lr, steps, dps=30):
    """Equivalent of ``E[(I - lr K_S)^steps]`` on block k (discrete gradient descent)."""
    with mpmath.workdps(dps + 10):
        lr, steps = mpmath.mpf(lr), int(steps)
    return spectral_integral(lam, N, M_S, lambda x: (1 - lr * x) ** steps, dps=dps,
                             scale=lr * steps if steps > 0 else None)


def stieltjes(lam, N, M_S, z, dps=30):
    """``int mu_k(dx) / (x - z)`` for real ``z < 0`` by the same quadrature (a self-check)."""
    with mpmath.workdps(dps + 10):
        z = mpmath.mpf(z)
    return spectral_integral(lam, N, M_S, lambda x: 1 / (x - z), dps=dps)


def ridge_resolvent(lam, N, M_S, z, dps=30):
    """``Qbar_k(z)`` at real ``z = -r < 0`` from the ridge equation
    ``kappa (1 - df(kappa)/M_S) = r`` (bisection on ``kappa > nu_S``), for the self-check."""
    with mpmath.workdps(dps + 10):
        lam, N = _spectrum(lam, N)
        r, M = -mpmath.mpf(z), mpmath.mpf(M_S)
        assert r > 0
        f = lambda k: k * (1 - _df(lam, N, k) / M) - r          # increasing on (nu_S, inf)
        lo = width_nu(lam, N, M, dps=dps + 10)
        hi = lo + r + 1
        while f(hi) < 0:
            hi *= 2
        for _ in range(20000):
            mid = (lo + hi) / 2
            if f(mid) < 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= hi * mpmath.eps:
                break
        kap = (lo + hi) / 2
        out = [(kap / r) / (l + kap) for l in lam]
    with mpmath.workdps(dps):
        return [+v for v in out]


# --------------------------------------------------------------------------------------
# Section 3b: the student risk


def _risk(B, tch, e1, e2):
    total = mpmath.fsum(B)
    for b, sk, Fk, a1, a2 in zip(B, tch["s"], tch["F"], e1, e2):
        H1, H2 = 1 - a1, 1 - 2 * a1 + a2
        total += -2 * H1 * (1 - sk) * b + H2 * ((1 - sk) ** 2 * b + Fk)
    return total


def student_risk(lam, N, B, M_T, M_S, t, dps=30):
    """``L_S(t)`` of THEORY.md 3b; ``t = mpmath.inf`` gives the limit (see student_limit)."""
    with mpmath.workdps(dps + 5):
        B = [mpmath.mpf(b) for b in B]
        tch = teacher(lam, N, B, M_T, dps=dps + 5)
        t = mpmath.mpf(t)
        e1 = student_factors(lam, N, M_S, t, dps=dps)
        e2 = student_factors(lam, N, M_S, 2 * t, dps=dps)
        out = _risk(B, tch, e1, e2)
    with mpmath.workdps(dps):
        return +out


def gd_risk(lam, N, B, M_T, M_S, lr, steps, dps=30):
    """Student risk after ``steps`` of gradient descent with step ``lr`` on the kernel:
    ``h = 1 - (1 - lr x)^n``, so ``H1 = 1 - e(n)``, ``H2 = 1 - 2 e(n) + e(2n)``."""
    with mpmath.workdps(dps + 5):
        B = [mpmath.mpf(b) for b in B]
        tch = teacher(lam, N, B, M_T, dps=dps + 5)
        e1 = gd_factors(lam, N, M_S, lr, steps, dps=dps)
        e2 = gd_factors(lam, N, M_S, lr, 2 * int(steps), dps=dps)
        out = _risk(B, tch, e1, e2)
    with mpmath.workdps(dps):
        return +out


def student_limit(lam, N, B, M_T, M_S, dps=30):
    """``lim_{t->inf} L_S(t)`` with ``H1 = H2 = lam_k / (lam_k + nu_S)`` (closed form)."""
    with mpmath.workdps(dps + 5):
        B = [mpmath.mpf(b) for b in B]
        tch = teacher(lam, N, B, M_T, dps=dps + 5)
        nu_S = width_nu(lam, N, M_S, dps=dps + 5)
        lamm = [mpmath.mpf(v) for v in lam]
        H = [l / (l + nu_S) for l in lamm]
        out = _risk(B, tch, [1 - h for h in H], [1 - h for h in H])
    with mpmath.workdps(dps):
        return +out


def student_ceiling(lam, N, B, M_S, dps=30):
    """``L_ceil = sum_k nu_S / (lam_k + nu_S) B_k`` (0 when ``M_S >= D``)."""
    with mpmath.workdps(dps + 5):
        nu_S = width_nu(lam, N, M_S, dps=dps + 5)
        out = mpmath.fsum(nu_S / (mpmath.mpf(l) + nu_S) * mpmath.mpf(b)
                          for l, b in zip(lam, B))
    with mpmath.workdps(dps):
        return +out
