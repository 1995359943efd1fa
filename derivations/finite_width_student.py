"""Derivation of the finite-width student (THEORY.md section 3b).

The write-up is docs/finite_width_student.md; every step there points to a section of
this script. Each step is a named check: an identity checked with sympy, a random-matrix
identity checked exactly (Gaussian moments by Wick's formula) or numerically on small
cases (Monte Carlo with standard errors), or a quadrature checked with mpmath.

1. Setting: gradient flow (and gradient descent) from zero on the population loss gives
   ``f_S = h(K_S) f_T`` with ``h_t(s) = 1 - e^{-t s}`` (``1 - (1 - eta s)^k``).
2. Independence and rotation invariance: ``E g(K_S)`` is diagonal by degree (exactly:
   Wick's formula for Gaussian features, Monte Carlo for spherical-harmonic features),
   so ``L_S(t)`` needs only ``H1_k = 1 - e_k(t)``, ``H2_k = 1 - 2 e_k(t) + e_k(2t)``
   and the teacher's block moments; the non-cancelling form; ``e_k(2t) >= e_k(t)^2``.
3. The resolvent equivalent ``Qbar(z) = (Sigma/(1+delta) - z)^-1``: leave-one-out
   identities, (a) kappa-form, (b) ridge and ``nu_S``, (c) the atom at 0, (d) the
   ``1/M_S`` expansion and its closed-form correction to ``e_k(t)``, (e) the top edge
   ``s_+`` (Marchenko-Pastur on ``Sigma = lambda I``); Monte Carlo against the equivalent.
4. The time domain: the parabola ``z(u) = a (u + i)^2``, residues, the trapezoidal rule
   and its geometric rate (mpmath, 30 digits), also for the finite-width equivalent.
5. Limits ``t = 0``, ``t -> inf``, the ceiling.
6. Discrete gradient descent: the map ``z = (1 - e^{-eta w})/eta``.
7. The lower bound of section 4 with ``alpha(t) = 1 - e^{-t ||K_S||}``, proxy ``s_+``.

The numerical equivalent used here (``Equivalent``) is written from the formulas of this
derivation only; it does not use the package's production code.

Run: ``python derivations/finite_width_student.py`` (exit status 0 iff every check
holds; about 10 s).
"""

from __future__ import annotations

import os
import sys
import time

# one BLAS thread: the matrices are small, and CI machines are shared
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import mpmath as mp  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from scipy import integrate, linalg, optimize  # noqa: E402

from _checks import check, finish  # noqa: E402  (derivations/_checks.py)

_T0 = time.time()
I = sp.I


def section(title):
    print(f"{title}   [{time.time() - _T0:.1f} s]")


def zero(expr) -> bool:
    """``expr == 0`` for rational functions (also in exponentials of the symbols)."""
    return sp.expand(sp.numer(sp.together(sp.expand(expr)))) == 0


# ---------------------------------------------------------------------------------------
# An independent numerical deterministic equivalent on a finite spectrum
# (blocks with eigenvalue lam[k] > 0 and multiplicity N[k]; student width M).
# ---------------------------------------------------------------------------------------

class Equivalent:
    """``Qbar_k(z) = -kappa/(z (lambda_k + kappa))`` with ``df(kappa) = M (1 + z/kappa)``
    (section 3a), ``e_k(t)`` by the trapezoidal rule on ``z(u) = a (u+i)^2``, ``a = c/t``
    (section 4), Newton continuation in ``u`` from the real point ``z = -a``."""

    def __init__(self, lam, N, M):
        self.lam = np.asarray(lam, float)
        self.N = np.asarray(N, float)
        self.M = float(M)

    def df(self, kap):
        kap = np.asarray(kap)[..., None]
        return np.sum(self.N * self.lam / (self.lam + kap), axis=-1)

    def ddf(self, kap):
        kap = np.asarray(kap)[..., None]
        return -np.sum(self.N * self.lam / (self.lam + kap) ** 2, axis=-1)

    def nu(self):
        """``nu_S``: ``df(nu) = M`` (0 when ``M >= sum N``: no kernel)."""
        if self.M >= self.N.sum():
            return 0.0
        return optimize.brentq(lambda v: self.df(v) - self.M, 1e-300, 1e12, xtol=1e-300,
                               rtol=1e-15)

    def kappa_negative(self, z):
        """The real solution at real ``z < 0``: unique ``kappa > -z``."""
        a = -z
        return optimize.brentq(lambda k: k * (self.df(k) - self.M) + self.M * a,
                               a * (1 + 1e-15), a + 10 * (self.lam @ self.N) + 1e3,
                               xtol=1e-300, rtol=1e-15)

    def newton(self, z, kap):
        for _ in range(60):
            F = kap * (self.df(kap) - self.M) - self.M * z
            dF = self.df(kap) - self.M + kap * self.ddf(kap)
            step = F / dF
            kap = kap - step
            if abs(step) <= 1e-15 * abs(kap):
                return kap, True
        return kap, False

    def kappa_path(self, zs):
        """kappa at the points ``zs`` (a path starting at a real negative point),
        continued by Newton, halving the step when Newton fails."""
        out = np.empty(len(zs), complex)
        kap = complex(self.kappa_negative(zs[0].real))
        out[0] = kap
        for j in range(1, len(zs)):
            z0, z1, frac = zs[j - 1], zs[j], 1.0
            s = 0.0
            while s < 1.0:
                step = min(frac, 1.0 - s)
                k_new, ok = self.newton(z0 + (s + step) * (z1 - z0), kap)
                if ok:
                    kap, s = k_new, s + step
                else:
                    frac /= 2
                    if frac < 1e-6:
                        raise RuntimeError("continuation failed")
            out[j] = kap
        return out

    def qbar(self, z, kap):
        return -kap[:, None] / (z[:, None] * (self.lam + kap[:, None]))

    def e(self, t, n=32, c=3.0, U=None, f=None, want_nodes=False):
        """``e_k(t)``, one value per block (``f``: ``z -> exp(-t z)`` by default)."""
        U = np.sqrt(1 + 40 / c) if U is None else U
        h = U / n
        u = h * np.arange(n + 1)
        a = c / t
        z = a * (u + 1j) ** 2
        dz = 2 * a * (u + 1j)
        kap = self.kappa_path(z)
        fz = np.exp(-t * z) if f is None else f(z)
        g = (fz * dz)[:, None] * self.qbar(z, kap)
        w = np.ones(n + 1)
        w[0] = 0.5
        val = h / np.pi * (w @ g.imag)
        return (val, z, kap) if want_nodes else val

    def top_edge(self):
        """``s_+ = min_{kappa < -lambda_max} kappa (df(kappa)/M - 1)`` (section 3e)."""
        lmax = self.lam.max()
        zf = lambda lv: float((-lmax - np.exp(lv)) * (self.df(-lmax - np.exp(lv)) / self.M - 1))
        grid = np.linspace(np.log(lmax) - 30, np.log(lmax) + 12, 2000)
        vals = [zf(g) for g in grid]
        i = int(np.argmin(vals))
        r = optimize.minimize_scalar(zf, bracket=(grid[i - 1], grid[i], grid[i + 1]),
                                     tol=1e-12)
        return r.fun

    def first_order(self, t):
        """The closed-form ``1/M`` correction: ``e_k(t) = exp(-t lambda_k) + C_k(t)/M``."""
        return np.array([lk * np.sum(self.N * self.lam * divided_difference(t, lk, self.lam))
                         for lk in self.lam])


def phi2(x):
    """``(e^x - 1 - x)/x^2`` (``1/2`` at 0), without cancellation."""
    x = np.asarray(x, float)
    out = np.empty_like(x)
    small = np.abs(x) < 1e-3
    xs = x[small]
    out[small] = 0.5 + xs / 6 + xs**2 / 24 + xs**3 / 120
    xl = x[~small]
    out[~small] = (np.expm1(xl) - xl) / xl**2
    return out


def divided_difference(t, lk, lj):
    """``D_t(lambda_k, lambda_j)``: the second divided difference of ``s -> e^{-t s}`` at
    ``(lambda_k, lambda_k, lambda_j)``: ``t^2 e^{-t lambda_k} phi2(x)``, ``x = -t (lambda_j
    - lambda_k)``, for ``|x| < 1``; else ``[e^{-t lambda_j} - e^{-t lambda_k} (1 + x)] /
    (lambda_j - lambda_k)^2`` (no cancellation there, no overflow for large ``x``)."""
    lj = np.asarray(lj, float)
    x = -t * (lj - lk)
    near = np.abs(x) < 1
    out = np.empty_like(lj)
    out[near] = t**2 * np.exp(-t * lk) * phi2(x[near])
    far = ~near
    out[far] = (np.exp(-t * lj[far]) - np.exp(-t * lk) * (1 + x[far])) / (lj[far] - lk) ** 2
    return out


# ---------------------------------------------------------------------------------------
# Exact Gaussian expectations of polynomials (Wick / Isserlis)
# ---------------------------------------------------------------------------------------

def gaussian_expectation(poly: sp.Poly):
    """E of a polynomial in independent standard Gaussian generators."""
    total = 0
    for monom, coeff in poly.terms():
        m = 1
        for e in monom:
            if e % 2:
                m = 0
                break
            m *= sp.factorial2(e - 1)
        total += coeff * m
    return sp.expand(total)


def main() -> int:
    rng = np.random.default_rng(20250301)
    t, s, y, eta = sp.symbols("t s y eta", positive=True)
    k_int = sp.Symbol("k", integer=True, nonnegative=True)

    # ===================================================================================
    section("1. Setting: f_S = h(K_S) f_T")
    f = sp.Function("f")
    sol = sp.dsolve(sp.Eq(f(t).diff(t), -s * (f(t) - y)), f(t), ics={f(0): 0})
    check("gradient flow f' = -s (f - y), f(0) = 0 on an eigendirection of K_S: "
          "f = (1 - e^{-t s}) y", zero(sol.rhs - (1 - sp.exp(-t * s)) * y))
    # parameter space -> function space, numerically on a finite-dimensional L2(mu):
    # functions are vectors in R^n (orthonormal coordinates), features the columns of Phi
    n_, m_ = 7, 4
    Phi = rng.standard_normal((n_, m_))
    yv = rng.standard_normal(n_)
    Km = Phi @ Phi.T / m_
    rhs = lambda _t, a: -Phi.T @ (Phi @ a / np.sqrt(m_) - yv) / np.sqrt(m_)  # -grad_a
    tt = 0.7
    a_t = integrate.solve_ivp(rhs, (0, tt), np.zeros(m_), rtol=1e-11, atol=1e-13).y[:, -1]
    f_t = Phi @ a_t / np.sqrt(m_)
    f_pred = (np.eye(n_) - linalg.expm(-tt * Km)) @ yv
    check("gradient flow on a (f = m^-1/2 sum a_i phi_i, loss 1/2 |f - y|^2) gives "
          f"f(t) = (I - exp(-t K_m)) y (ODE solve vs expm: {np.abs(f_t - f_pred).max():.1e})",
          np.abs(f_t - f_pred).max() < 1e-8)
    F = sp.Function("F")
    gd = sp.rsolve(F(k_int + 1) - (F(k_int) - eta * s * (F(k_int) - y)), F(k_int),
                   {F(0): 0})
    check("gradient descent f_{k+1} = f_k - eta s (f_k - y), f_0 = 0: "
          "f_k = (1 - (1 - eta s)^k) y",
          all(sp.simplify(gd.subs(k_int, j) - (1 - (1 - eta * s) ** j) * y) == 0
              for j in range(6)))

    # ===================================================================================
    section("2. Independence and diagonality: only E g(K_S) for g = h, h^2")
    # (i) exact: Gaussian features in 3 eigen-coordinates, blocks (lambda1, lambda1 |
    # lambda2), M_S = 2, h(s) = a1 s + a2 s^2; E by Wick's formula, lambda symbolic.
    r1, r2 = sp.symbols("r1 r2", positive=True)           # r = sqrt(lambda)
    a1, a2 = sp.symbols("a1 a2", real=True)
    Mw, dim = 2, 3
    xi = sp.symbols(f"xi0:{Mw * dim}", real=True)
    rr = [r1, r1, r2]
    dom = sp.QQ[r1, r2]
    K = [[sp.Poly(sum(rr[p] * rr[q] * xi[i * dim + p] * xi[i * dim + q] for i in range(Mw))
                  / Mw, *xi, domain=dom) for q in range(dim)] for p in range(dim)]

    def matmul(A, B):
        return [[sum((A[p][r] * B[r][q] for r in range(dim)), sp.Poly(0, *xi, domain=dom))
                 for q in range(dim)] for p in range(dim)]

    powers = {1: K}
    for j in range(2, 5):
        powers[j] = matmul(powers[j - 1], K)
    EK = {j: sp.Matrix(dim, dim, lambda p, q: gaussian_expectation(powers[j][p][q]))
          for j in powers}
    Sig = sp.diag(r1**2, r1**2, r2**2)
    check("Wick machinery: E K_S = Sigma and E K_S^2 = ((M+1) Sigma^2 + tr(Sigma) Sigma)/M",
          all(zero(v) for v in EK[1] - Sig)
          and all(zero(v) for v in EK[2] - ((Mw + 1) * Sig**2 + Sig.trace() * Sig) / Mw))
    Eh = a1 * EK[1] + a2 * EK[2]
    Eh2 = a1**2 * EK[2] + 2 * a1 * a2 * EK[3] + a2**2 * EK[4]
    offdiag = [Eh[p, q] for p in range(dim) for q in range(dim) if p != q] + \
              [Eh2[p, q] for p in range(dim) for q in range(dim) if p != q]
    check("exact (Wick, symbolic lambda): E h(K_S) and E h(K_S)^2 have zero off-diagonal "
          "entries (sign-flip invariance)", all(zero(v) for v in offdiag))
    check("... and equal diagonal entries inside the block of multiplicity 2 "
          "(rotation invariance inside a block): scalars H1_k, H2_k per block",
          zero(Eh[0, 0] - Eh[1, 1]) and zero(Eh2[0, 0] - Eh2[1, 1]))
    check("... E h^2 != (E h)^2 (a first-order equivalent of h^2 is needed, not of h)",
          not zero(Eh2[2, 2] - Eh[2, 2] ** 2))
    # (ii) the per-degree risk from block-scalar E h, E h^2 and the teacher's block moments
    # (symbolic; blocks of sizes 2, 1 and a null block of size 1 with lambda = 0)
    x = sp.symbols("x1:5", real=True)                    # f*
    v = sp.symbols("v1:5", real=True)                    # teacher fluctuation
    sk = sp.symbols("s1:3", positive=True)
    H1s, H2s = sp.symbols("H1_1:3"), sp.symbols("H2_1:3")
    blocks = [0, 0, 1, None]
    fstar = sp.Matrix(x)
    mean_T = sp.Matrix([(1 - sk[b]) * x[j] if b is not None else 0
                        for j, b in enumerate(blocks)])
    # a teacher f_T = mean + eps v, eps = +-1: E f_T = mean, Cov f_T = v v^T
    # (v vanishes on the null block: no feature reaches it)
    vv = sp.Matrix([v[j] if b is not None else 0 for j, b in enumerate(blocks)])
    second_T = mean_T * mean_T.T + vv * vv.T
    G1 = sp.diag(*[H1s[b] if b is not None else 0 for b in blocks])
    G2 = sp.diag(*[H2s[b] if b is not None else 0 for b in blocks])
    ELS = (fstar.T * fstar)[0] - 2 * (fstar.T * G1 * mean_T)[0] + (G2 * second_T).trace()
    B = [x[0] ** 2 + x[1] ** 2, x[2] ** 2]
    Fk = [v[0] ** 2 + v[1] ** 2, v[2] ** 2]
    per_degree = sum(B) + x[3] ** 2 - 2 * sum(H1s[b] * (1 - sk[b]) * B[b] for b in range(2)) \
        + sum(H2s[b] * ((1 - sk[b]) ** 2 * B[b] + Fk[b]) for b in range(2))
    check("||f*||^2 - 2 <f*, E h E f_T> + tr(E h^2 E[f_T (x) f_T]) = ||f*||^2 - 2 sum_k H1_k "
          "(1 - s_k) B_k + sum_k H2_k ((1 - s_k)^2 B_k + F_k) for block-scalar E h, E h^2 "
          "(F_k = block trace of Cov f_T)", zero(ELS - per_degree))
    # (iii) Monte Carlo with a real projection teacher and h = 1 - exp(-t K_S)
    lam6 = np.array([1.0, 1.0, 0.4, 0.4, 0.1, 0.1])
    blk6 = np.array([0, 0, 1, 1, 2, 2])
    fs6 = np.array([1.0, 0.5, 0.3, -0.6, 0.2, 0.4])
    MT, MS, tt, n_mc = 2, 3, 2.0, 60000

    def draw_teacher(n):
        Z = np.sqrt(lam6)[None, :, None] * rng.standard_normal((n, 6, MT))
        Q, _ = np.linalg.qr(Z)
        return np.einsum("nij,nkj,k->ni", Q, Q, fs6)

    def draw_h(n):
        Z = np.sqrt(lam6)[None, :, None] * rng.standard_normal((n, 6, MS))
        w, V = np.linalg.eigh(Z @ Z.transpose(0, 2, 1) / MS)
        return np.einsum("nij,nj,nkj->nik", V, -np.expm1(-tt * w), V)

    fT, hK = draw_teacher(n_mc), draw_h(n_mc)
    LS = np.sum((np.einsum("nij,nj->ni", hK, fT) - fs6) ** 2, axis=1)
    direct, se_direct = LS.mean(), LS.std() / np.sqrt(n_mc)
    fT2, hK2 = draw_teacher(n_mc), draw_h(n_mc)          # independent draws
    batches = []
    for idx in np.array_split(np.arange(n_mc), 20):
        Eh_d = np.diagonal(hK2[idx].mean(0))
        Eh2_d = np.diagonal(np.einsum("nij,njk->nik", hK2[idx], hK2[idx]).mean(0))
        H1b = np.array([Eh_d[blk6 == b].mean() for b in range(3)])
        H2b = np.array([Eh2_d[blk6 == b].mean() for b in range(3)])
        mean_b = np.array([fs6[blk6 == b] @ fT2[idx][:, blk6 == b].mean(0) for b in range(3)])
        sec_b = np.array([np.mean(np.sum(fT2[idx][:, blk6 == b] ** 2, 1)) for b in range(3)])
        batches.append(fs6 @ fs6 - 2 * H1b @ mean_b + H2b @ sec_b)
    formula, se_formula = np.mean(batches), np.std(batches, ddof=1) / np.sqrt(20)
    zsc = abs(direct - formula) / np.hypot(se_direct, se_formula)
    check(f"Monte Carlo (6 coordinates in 3 blocks, projection teacher M_T = 2, student "
          f"M_S = 3, t = 2, f* not along the axes): E L_S = {direct:.5f} +- {se_direct:.5f} "
          f"vs the per-degree formula from block-averaged moments {formula:.5f} +- "
          f"{se_formula:.5f} ({zsc:.1f} s.e. < 4)", zsc < 4)
    # (iv) spherical-harmonic features (not Gaussian): d = 3, degrees 0..2 (1+3+5 coords)
    ck = np.array([1.0, 0.7, 0.4])

    def harmonics(W):                                  # orthonormal in L2(unif. S^2)
        X, Y, Z = W[..., 0], W[..., 1], W[..., 2]
        r15 = np.sqrt(15)
        return np.stack([np.ones_like(X), np.sqrt(3) * X, np.sqrt(3) * Y, np.sqrt(3) * Z,
                         r15 * X * Y, r15 * Y * Z, r15 * X * Z, r15 / 2 * (X**2 - Y**2),
                         np.sqrt(5) / 2 * (3 * Z**2 - 1)], axis=-1)

    deg9 = np.array([0, 1, 1, 1, 2, 2, 2, 2, 2])
    Wq = rng.standard_normal((200000, 3))
    Wq /= np.linalg.norm(Wq, axis=1, keepdims=True)
    Yq = harmonics(Wq)
    gram = Yq.T @ Yq / len(Wq)
    check(f"the 9 harmonics are orthonormal (Monte Carlo Gram, max dev "
          f"{np.abs(gram - np.eye(9)).max():.3f} < 0.02)", np.abs(gram - np.eye(9)).max() < .02)
    n_sph, M9, t9 = 30000, 4, 1.5
    Wd = rng.standard_normal((n_sph, M9, 3))
    Wd /= np.linalg.norm(Wd, axis=2, keepdims=True)
    Ph = harmonics(Wd) * ck[deg9]                     # features in harmonic coordinates
    w9, V9 = np.linalg.eigh(np.einsum("nmi,nmj->nij", Ph, Ph) / M9)
    G = np.einsum("nij,nj,nkj->nik", V9, np.exp(-t9 * w9), V9)
    Gm, Gse = G.mean(0), G.std(0) / np.sqrt(n_sph)
    off = ~np.eye(9, dtype=bool)
    z_off = np.max(np.abs(Gm[off]) / Gse[off])
    dvals = np.diagonal(Gm)
    z_in = max(np.max(np.abs(dvals[deg9 == b] - dvals[deg9 == b].mean())
                      / np.diagonal(Gse)[deg9 == b]) for b in range(3))
    check(f"spherical-harmonic features (d = 3, degrees <= 2, M_S = 4): E exp(-t K_S) has "
          f"off-diagonal entries within {z_off:.1f} s.e. of 0 and equal diagonal entries "
          f"per degree (within {z_in:.1f} s.e.); both < 4.5 (rotation invariance, Schur)",
          z_off < 4.5 and z_in < 4.5)
    # (v) the non-cancelling form
    e1, e2, sv, Bv, Fv = sp.symbols("e1 e2 s B F", real=True)
    H1, H2 = 1 - e1, 1 - 2 * e1 + e2
    block = Bv - 2 * H1 * (1 - sv) * Bv + H2 * ((1 - sv) ** 2 * Bv + Fv)
    rk = e1 * (1 - sv) + sv
    check("per block: B - 2 H1 (1-s) B + H2 ((1-s)^2 B + F) = r^2 B + (e(2t) - e(t)^2) "
          "(1-s)^2 B + H2 F with r = e(t)(1-s) + s",
          zero(block - (rk**2 * Bv + (e2 - e1**2) * (1 - sv) ** 2 * Bv + H2 * Fv)))
    check("... and with e(2t) = e(t)^2 (infinite width) this is the section-3 summand "
          "(1 - a(1-s))^2 B + a^2 F, a = 1 - e",
          zero(block.subs(e2, e1**2) - ((1 - (1 - e1) * (1 - sv)) ** 2 * Bv
                                        + (1 - e1) ** 2 * Fv)))
    # Jensen, exactly, on a random K: <u, e^{-2tK} u> >= <u, e^{-tK} u>^2
    A = rng.standard_normal((6, 6))
    Kr = A @ A.T / 6
    uvec = rng.standard_normal(6)
    uvec /= np.linalg.norm(uvec)
    ok = all(uvec @ linalg.expm(-2 * tq * Kr) @ uvec
             >= (uvec @ linalg.expm(-tq * Kr) @ uvec) ** 2 - 1e-15 for tq in (0.1, 1, 10))
    check("exact: <u, E e^{-2tK} u> = E |e^{-tK} u|^2 >= E <u, e^{-tK} u>^2 >= "
          "<u, E e^{-tK} u>^2 (Cauchy-Schwarz, Jensen; per draw on a random K)", ok)

    # ===================================================================================
    section("3. The resolvent equivalent")
    # leave-one-out identities, exact, on a random draw
    Nn, Mm, z0 = 9, 5, -0.3 + 0.2j
    lam_r = np.linspace(1, 0.1, Nn)
    Phi = np.sqrt(lam_r)[:, None] * rng.standard_normal((Nn, Mm))
    Kq = Phi @ Phi.T / Mm
    Q = np.linalg.inv(Kq - z0 * np.eye(Nn))
    i0 = 2
    Qm = np.linalg.inv(Kq - np.outer(Phi[:, i0], Phi[:, i0]) / Mm - z0 * np.eye(Nn))
    qi = Phi[:, i0] @ Qm @ Phi[:, i0] / Mm
    sm = np.abs(Q @ Phi[:, i0] - Qm @ Phi[:, i0] / (1 + qi)).max()
    check(f"Sherman-Morrison: Q phi_i = Q_-i phi_i / (1 + M^-1 phi_i^T Q_-i phi_i) "
          f"(exact; {sm:.1e})", sm < 1e-12)
    qs = np.array([Phi[:, i] @ np.linalg.inv(Kq - np.outer(Phi[:, i], Phi[:, i]) / Mm
                                             - z0 * np.eye(Nn)) @ Phi[:, i] / Mm
                   for i in range(Mm)])
    tr_id = abs(np.sum(qs / (1 + qs)) - z0 * np.trace(Q) - Nn)
    check(f"exact trace identity sum_i q_i/(1 + q_i) - z tr Q = N (q_i the leave-one-out "
          f"quadratic forms; {tr_id:.1e}); with q_i -> delta it is M delta/(1+delta) - z tr "
          "Qbar = N", tr_id < 1e-10)
    # symbolic: three blocks
    lam = sp.symbols("lambda1:4", positive=True)
    Nk = sp.symbols("N1:4", positive=True)
    M, z, kap, dl = sp.symbols("M z kappa delta")
    df = lambda q: sum(Nk[j] * lam[j] / (lam[j] + q) for j in range(3))
    Qb = [1 / (lam[j] / (1 + dl) - z) for j in range(3)]
    fixed = dl - sum(Nk[j] * lam[j] * Qb[j] for j in range(3)) / M     # delta = tr(Sig Qbar)/M
    check("the fixed point implies M delta/(1+delta) - z tr Qbar = sum N (the trace "
          "identity of the equivalent)",
          zero((M * dl / (1 + dl) - z * sum(Nk[j] * Qb[j] for j in range(3)) - sum(Nk)
                ).subs(M, sp.solve(fixed, M)[0])))
    dsub = {dl: -(kap + z) / z}                         # kappa = -z (1 + delta)
    check("(a) with kappa = -z(1 + delta) the fixed point is df(kappa) = M (1 + z/kappa) "
          "[delta - tr(Sig Qbar)/M = kappa/(M z) (df(kappa) - M(1 + z/kappa))]",
          zero(fixed.subs(dsub) - kap / (M * z) * (df(kap) - M * (1 + z / kap))))
    check("(a) ... and Qbar_k = (kappa/(-z)) / (lambda_k + kappa)",
          all(zero(Qb[j].subs(dsub) - (kap / (-z)) / (lam[j] + kap)) for j in range(3)))
    lr = sp.Symbol("lambda_r", positive=True)
    ridge_eq = (df(kap) - M * (1 + z / kap)).subs(z, -lr)
    check("(b) at z = -lambda_r: kappa = lambda_r (1 + delta) and the equation is "
          "lambda_r = kappa (1 - df(kappa)/M) (ridge regression's effective regularization)",
          zero(sp.together(ridge_eq * kap / M) + (kap - kap * df(kap) / M - lr))
          and zero(-z * (1 + dl).subs(dsub) - kap))
    check("(b) ... and I - lambda_r Qbar(-lambda_r) = Sigma (Sigma + kappa)^-1 blockwise",
          all(zero(1 - lr * ((kap / (-z)) / (lam[j] + kap)).subs(z, -lr)
                   - lam[j] / (lam[j] + kap)) for j in range(3)))
    check("(b) ... at lambda_r = 0 it is df(kappa) = M: kappa -> nu_S, the teacher's width "
          "equation with M_S", zero(ridge_eq.subs(lr, 0) - (df(kap) - M)))
    eq4 = Equivalent([1.0, 0.3, 0.05, 0.01], [3, 20, 60, 200], 40)
    nuS = eq4.nu()
    gaps = [abs(eq4.kappa_negative(-lr_) - nuS) / lr_ for lr_ in (1e-3, 1e-5, 1e-7)]
    slope = eq4.M / (nuS * -eq4.ddf(nuS))              # dkappa/dlambda_r at 0
    check(f"(b) numerically: (kappa(-lambda_r) - nu_S)/lambda_r = "
          f"{', '.join(f'{g:.4f}' for g in gaps)} for lambda_r = 1e-3, 1e-5, 1e-7 -> "
          f"-M/(nu_S df'(nu_S)) = {slope:.4f} (implicit differentiation)",
          abs(gaps[2] / slope - 1) < 1e-5)
    # (c) residue at z = 0, kappa(z) = nu + k1 z + ...
    nu_, k1, k2, lk = sp.symbols("nu k1 k2 lambda_k", positive=True)
    zz = sp.Symbol("z")
    kser = nu_ + k1 * zz + k2 * zz**2
    res0 = sp.residue(-(kser / zz) / (lk + kser), zz, 0)
    check("(c) Qbar_k = -kappa(z)/(z (lambda_k + kappa(z))) with kappa analytic at 0, "
          "kappa(0) = nu_S: residue -nu_S/(lambda_k + nu_S), i.e. an atom of mass "
          "nu_S/(lambda_k + nu_S) at 0", zero(res0 + nu_ / (lk + nu_)))
    G_ = df(kap) - M - M * zz / kap
    check("(c) kappa is analytic at z = 0: dG/dkappa = df'(nu_S) < 0 there "
          "(implicit function theorem)",
          zero(G_.diff(kap).subs(zz, 0) - sum(-Nk[j] * lam[j] / (lam[j] + kap) ** 2
                                               for j in range(3))))
    check("(c) sum_k N_k nu_S/(lambda_k + nu_S) = sum_k N_k - M on the width equation: "
          "the atom is the kernel of K_S (rank M_S)",
          zero(sum(Nk[j] * nu_ / (lam[j] + nu_) for j in range(3))
               - (sum(Nk) - df(nu_))))
    zsm = np.array([-1e-9 + 0j])
    kz = np.array([eq4.kappa_negative(-1e-9)])
    mass = (-zsm[:, None] * eq4.qbar(zsm, kz)).real[0]
    check("(c) numerically: -z Qbar_k(z) at z = -1e-9 = nu_S/(lambda_k + nu_S) (rel. 1e-6)",
          np.allclose(mass, nuS / (eq4.lam + nuS), rtol=1e-6))
    # (d) large width
    eps = sp.Symbol("epsilon")                          # 1/M
    d1 = sum(Nk[j] * lam[j] / (lam[j] - z) for j in range(3))
    dser = eps * d1 + eps**2 * sp.Symbol("d2")
    resid = (dl - eps * sum(Nk[j] * lam[j] * Qb[j] for j in range(3))).subs(dl, dser)
    # first-order Taylor coefficients in eps (value and derivative at eps = 0)
    check("(d) delta = M^-1 sum_j N_j lambda_j/(lambda_j - z) + O(M^-2)",
          zero(resid.subs(eps, 0)) and zero(sp.diff(resid, eps).subs(eps, 0)))
    corr = lam[0] * d1 / (lam[0] - z) ** 2
    Qk_eps = Qb[0].subs(dl, dser)
    check("(d) Qbar_k = 1/(lambda_k - z) + M^-1 lambda_k sum_j N_j lambda_j / ((lambda_j - z)"
          " (lambda_k - z)^2) + O(M^-2)", zero(Qk_eps.subs(eps, 0) - 1 / (lam[0] - z))
          and zero(sp.diff(Qk_eps, eps).subs(eps, 0) - corr))
    lj = sp.Symbol("lambda_j", positive=True)
    integrand = sp.exp(-t * zz) / ((lj - zz) * (lk - zz) ** 2)
    # clockwise contour (the parabola, u from -inf to inf): (1/2 pi i) oint = -sum residues
    val = -(sp.residue(integrand, zz, lj) + sp.residue(integrand, zz, lk))
    D_closed = (sp.exp(-t * lj) - sp.exp(-t * lk) + t * (lj - lk) * sp.exp(-t * lk)) \
        / (lj - lk) ** 2
    check("(d) (1/2 pi i) oint_cw e^{-tz} / ((lambda_j - z)(lambda_k - z)^2) dz = "
          "[e^{-t lambda_j} - e^{-t lambda_k} + t (lambda_j - lambda_k) e^{-t lambda_k}] / "
          "(lambda_j - lambda_k)^2 (sum of residues at lambda_j, lambda_k)",
          zero(val - D_closed))
    val_eq = -sp.residue(sp.exp(-t * zz) / (lk - zz) ** 3, zz, lk)
    check("(d) ... and t^2 e^{-t lambda_k}/2 for lambda_j = lambda_k (the limit of the above)",
          zero(val_eq - t**2 * sp.exp(-t * lk) / 2)
          and zero(sp.limit(D_closed, lj, lk) - t**2 * sp.exp(-t * lk) / 2))
    xx = sp.Symbol("x")
    check("(d) ... = t^2 e^{-t lambda_k} phi2(-t (lambda_j - lambda_k)), phi2(x) = "
          "(e^x - 1 - x)/x^2 (the form without cancellation)",
          zero((t**2 * sp.exp(-t * lk) * ((sp.exp(xx) - 1 - xx) / xx**2)
                ).subs(xx, -t * (lj - lk)) - D_closed))
    # numerically: the equivalent's e_k(t) against exp(-t lambda) + C/M
    lam5, N5 = [1.0, 0.5, 0.2, 0.05, 0.01], [1, 3, 5, 7, 9]
    rem = {}
    for tq in (0.5, 3.0, 20.0):
        rows = []
        for Mq in (1e3, 4e3, 1.6e4):
            eq = Equivalent(lam5, N5, Mq)
            ek = eq.e(tq)
            rows.append(Mq**2 * (ek - np.exp(-tq * eq.lam) - eq.first_order(tq) / Mq))
        rem[tq] = rows
    ok = all(np.allclose(r[1], r[2], rtol=0.05, atol=1e-6 * np.abs(r[2]).max())
             for r in rem.values())
    worst = max(np.max(np.abs(r[1] / r[2] - 1)) for r in rem.values())
    check("(d) numerically (5 blocks, t = 0.5, 3, 20; M = 1e3, 4e3, 1.6e4): "
          "M^2 (e_k - e^{-t lambda_k} - C_k/M) is constant (max rel. change "
          f"{worst:.3f} < 0.05): the remainder is O(M^-2)", ok)
    Cmax = {tq: np.max(np.abs(Equivalent(lam5, N5, 1).first_order(tq))) for tq in rem}
    print("      C_k(t) max over k: " + ", ".join(f"t={k}: {v:.3g}" for k, v in Cmax.items()))
    # the exact finite-width 1/M term is NOT the equivalent's: second-order perturbation
    # (Daleckii-Krein) of f(Sigma + Delta), Delta = K_S - Sigma, E Delta = 0:
    #   E f(K_S)_kk = f(lambda_k) + sum_j E[Delta_kj^2] f[lambda_k, lambda_j, lambda_k] + O(M^-2),
    #   E[Delta_kj^2] = (E[phi_k^2 phi_j^2] - lambda_k^2 delta_kj)/M   (j over directions)
    def second_order(fdd, dirs, fourth):
        """sum_j (E[phi_k^2 phi_j^2] - lambda_k^2 delta_kj) f[lambda_k, lambda_j, lambda_k]"""
        return [sum((fourth(k_, j_) - (dirs[k_] ** 2 if j_ == k_ else 0))
                    * fdd(dirs[k_], dirs[j_]) for j_ in range(len(dirs)))
                for k_ in range(len(dirs))]
    dirs = [r1**2, r1**2, r2**2]
    gauss4 = lambda k_, j_: dirs[k_] * dirs[j_] * (3 if k_ == j_ else 1)
    Xa, Xb = sp.symbols("X_a X_b")
    cube_dd = 2 * Xa + Xb                             # s^3 [a, b, a]
    f_cube = lambda a_, b_: cube_dd.subs({Xa: a_, Xb: b_})
    K1 = [[sp.Poly(rr[p] * rr[q] * xi[p] * xi[q], *xi[:dim], domain=dom) for q in range(dim)]
          for p in range(dim)]
    K1_3 = matmul(matmul(K1, K1), K1)
    E1_3 = sp.Matrix(dim, dim, lambda p, q: gaussian_expectation(
        sp.Poly(K1_3[p][q].as_expr(), *xi, domain=dom)))
    A3 = 4 * EK[3] - E1_3 - 3 * Sig**3                 # E K^3 = Sig^3 + A/M + B/M^2
    pred3 = second_order(f_cube, dirs, gauss4)
    check("(d') exact 1/M term, Gaussian features: the perturbation formula's s^3 coefficient "
          "(3 lambda^3 + 2 lambda^2 tr Sig + lambda tr Sig^2) equals the 1/M coefficient of "
          "E[K_S^3]_kk from Wick's formula at M = 1, 2 (exact polynomial in 1/M)",
          all(zero(A3[j_, j_] - pred3[j_]) for j_ in range(dim))
          and zero(pred3[0] - (3 * dirs[0] ** 3 + 2 * dirs[0] ** 2 * Sig.trace()
                               + dirs[0] * (Sig**2).trace())))
    wv = sp.Symbol("w")                                # w = 1/z
    d_w = sum(Nk[j] * lam[j] * (-wv * (1 + lam[j] * wv)) for j in range(3)) / M
    Qk_w = sp.series(1 / (lam[0] / (1 + d_w) - 1 / wv), wv, 0, 4).removeO()
    trS = sum(Nk[j] * lam[j] for j in range(3))
    check("(d') ... s^2 coefficient: Gaussian E[K_S^2]_kk = lambda^2 + (lambda^2 + lambda tr "
          "Sig)/M (Wick, above), while the equivalent's second moment is lambda^2 + lambda tr "
          "Sig/M: Qbar_k = -(1/z)(1 + lambda/z + (lambda^2 + lambda tr Sig/M)/z^2 + ...)",
          zero(Qk_w + wv * (1 + lam[0] * wv + (lam[0] ** 2 + lam[0] * trS / M) * wv**2)))
    # one direction: K_S = lambda chi^2_M / M, E exp(-t K_S) = (1 + 2 t lambda/M)^(-M/2)
    lam_ = sp.Symbol("lambda", positive=True)
    chi = sp.series(sp.log(1 + 2 * t * lam_ * eps) / (-2 * eps), eps, 0, 2).removeO()
    check("(d') one direction, Gaussian: E exp(-t K_S) = (1 + 2 t lambda/M)^(-M/2) = "
          "e^{-t lambda} (1 + t^2 lambda^2/M + O(M^-2)), the perturbation formula "
          "(E phi^4 - lambda^2 = 2 lambda^2, f[l,l,l] = t^2 e^{-t l}/2); the equivalent's term "
          "is half of it", zero(chi - (-t * lam_ + t**2 * lam_**2 * eps)))
    eq1d = Equivalent([0.8], [1], 1e4)
    chi_exact = (1 + 2 * 2.0 * 0.8 / 1e4) ** (-1e4 / 2)
    d_eq = (eq1d.e(2.0)[0] - np.exp(-1.6)) * 1e4
    d_ex = (chi_exact - np.exp(-1.6)) * 1e4
    check(f"(d') numerically (lambda = 0.8, t = 2, M = 1e4): M (e^eq - e^{{-t lambda}}) = "
          f"{d_eq:.5f}, M (E exp(-tK_S) - e^{{-t lambda}}) = {d_ex:.5f}: ratio {d_eq / d_ex:.4f}"
          " = 1/2 (to O(1/M))", abs(d_eq / d_ex - 0.5) < 2e-3)
    # spherical features: sum_{j in degree} Y_j(w)^2 = N (addition theorem), so
    # ||phi_w||^2 = tr Sigma for every w and E[K^2]_kk = lambda^2 + (lambda tr Sig - lambda^2)/M
    Yw = harmonics(Wq[:2000])
    blocksum = np.array([np.sum(Yw[:, deg9 == b] ** 2, 1) for b in range(3)])
    check("(d') sphere (9-harmonic model): sum_{j in degree k} Y_kj(w)^2 = N_k for every w "
          "(addition theorem), hence ||phi_w||^2 = tr Sigma and sum_{j in block} "
          "E[phi_k^2 phi_j^2] = N_j lambda_k lambda_j for every block, the own one included",
          np.allclose(blocksum, np.array([1, 3, 5])[:, None], atol=1e-12))
    trS9 = float(np.sum(ck[deg9] ** 2))
    Wm = rng.standard_normal((100000, 2, 3))
    Wm /= np.linalg.norm(Wm, axis=2, keepdims=True)
    Pm = harmonics(Wm) * ck[deg9]
    K2d = np.einsum("nmi,nmj->nij", Pm, Pm) / 2
    K2kk = np.einsum("nij,nji->ni", K2d, K2d)
    lam9 = ck[deg9] ** 2
    pred_s = lam9**2 + (lam9 * trS9 - lam9**2) / 2
    pred_g = lam9**2 + (lam9 * trS9 + lam9**2) / 2
    zs = np.abs(K2kk.mean(0) - pred_s) / (K2kk.std(0) / np.sqrt(len(K2kk)))
    check(f"(d') sphere, M = 2, Monte Carlo: E[K_S^2]_kk = lambda^2 + (lambda tr Sig - "
          f"lambda^2)/M (within {zs.max():.1f} s.e.), not the Gaussian lambda^2 + (lambda tr Sig"
          f" + lambda^2)/M (degree 0: {K2kk.mean(0)[0]:.4f} vs {pred_s[0]:.4f}, Gaussian "
          f"{pred_g[0]:.4f})", zs.max() < 4.5)
    one = lambda a_, b_: 1                             # s^2 [a, b, a]
    kinds = {+1: gauss4,                                # Gaussian: lambda_k lambda_j (1 + 2 delta)
             -1: lambda k_, j_: dirs[k_] * dirs[j_],    # sphere (block sums, addition thm.)
             0: lambda k_, j_: dirs[k_] * dirs[j_] * (2 if k_ == j_ else 1)}  # equivalent
    check("(d') so, exactly to O(1/M): e_k = e^{-t lambda_k} + [C_k(t) + sigma lambda_k^2 D_t("
          "lambda_k, lambda_k)]/M with sigma = +1 (Gaussian features), -1 (spherical "
          "features), 0 (the equivalent): the perturbation formula with the three fourth "
          "moments gives the s^2 coefficients lambda tr Sig + sigma lambda^2",
          all(zero(second_order(one, dirs, fourth)[0] - (dirs[0] * Sig.trace()
                                                         + sg * dirs[0] ** 2))
              for sg, fourth in kinds.items()))
    # correction to L_S
    ds, dd = sp.symbols("de1 de2")
    blockL = block.subs({e1: e1 + ds, e2: e2 + dd}) - block
    check("(d) the first-order change of the per-block risk: dL = 2 [(1-s) B - ((1-s)^2 B + "
          "F)] de(t) + ((1-s)^2 B + F) de(2t)",
          zero(blockL - (2 * ((1 - sv) * Bv - ((1 - sv) ** 2 * Bv + Fv)) * ds
                         + ((1 - sv) ** 2 * Bv + Fv) * dd)))
    # (e) top edge, one-eigenvalue spectrum
    lm, Nm, Ms, gam, uu = sp.symbols("lambda N M_S gamma u", positive=True)
    z_of_k = kap * (Nm * lm / (lm + kap) / Ms - 1)
    check("(e) z(kappa) = kappa (df(kappa)/M - 1) solves df(kappa) = M(1 + z/kappa)",
          zero((Nm * lm / (lm + kap) - Ms * (1 + z / kap)).subs(z, z_of_k)))
    zu = sp.simplify(z_of_k.subs(kap, -lm - uu).subs(Nm, gam * Ms))  # kappa = -lambda - u
    crit = sp.solve(sp.diff(zu, uu), uu)
    crit = [c_ for c_ in crit if c_.is_positive]
    edge = sp.simplify(zu.subs(uu, crit[0]))
    check("(e) Sigma = lambda I_N: z(kappa) = lambda + gamma lambda + u + gamma lambda^2/u "
          "(kappa = -lambda - u, gamma = N/M_S), convex in u > 0",
          zero(zu - (lm + gam * lm + uu + gam * lm**2 / uu))
          and sp.diff(lm + gam * lm + uu + gam * lm**2 / uu, uu, 2).is_positive)
    check("(e) ... its minimum over u > 0 is the Marchenko-Pastur edge lambda (1 + "
          "sqrt(N/M_S))^2", len(crit) == 1 and zero(sp.expand(edge - lm * (1 + sp.sqrt(gam)) ** 2)))
    mm = sp.Symbol("m")
    quad_k = sp.expand(sp.numer(sp.together(Nm * lm / (lm + kap) - Ms * (1 + z / kap))))
    kap_of_m = sp.solve(sp.Eq(mm, -kap / (z * (lm + kap))), kap)[0]
    mp_quad = gam * lm * z * mm**2 + (z - lm * (1 - gam)) * mm + 1
    red = sp.factor(sp.together(quad_k.subs(kap, kap_of_m).subs(Nm, gam * Ms)))
    check("(e) ... the kappa-equation is the quadratic kappa^2 + (lambda + z - gamma lambda) "
          "kappa + z lambda = 0", zero(quad_k / (-Ms) - (kap**2 + (lm + z - gam * lm) * kap
                                                    + z * lm).subs(gam, Nm / Ms)))
    check("(e) ... and with m = Qbar(z) = -kappa/(z(lambda + kappa)) it is the Marchenko-"
          "Pastur equation gamma lambda z m^2 + (z - lambda(1 - gamma)) m + 1 = 0",
          zero(red + Ms * lm * z * mp_quad / (mm * z + 1) ** 2))
    nu_mp = sp.solve(sp.Eq(gam * Ms * lm / (lm + nu_), Ms), nu_)[0]
    check("(e) ... atom at 0 for N > M_S: nu_S/(lambda + nu_S) = 1 - M_S/N (the kernel of "
          "K_S)", zero(nu_mp / (lm + nu_mp) - (1 - 1 / gam)))
    # numerically: s_+ against the largest eigenvalue of sampled Gaussian K_S
    eqE = Equivalent([1.0, 0.4, 0.1], [400, 400, 400], 600)
    s_plus = eqE.top_edge()
    lam_full = np.repeat(eqE.lam, eqE.N.astype(int))
    tops = []
    for _ in range(3):
        Z = np.sqrt(lam_full)[:, None] * rng.standard_normal((len(lam_full), 600))
        tops.append(linalg.eigvalsh(Z.T @ Z / 600, subset_by_index=[599, 599])[0])
    check(f"(e) s_+ = {s_plus:.4f} (3 blocks, N = 1200, M_S = 600) vs the largest eigenvalue "
          f"of sampled K_S: {np.mean(tops):.4f} (rel. {abs(np.mean(tops) / s_plus - 1):.3f} "
          "< 0.03)", abs(np.mean(tops) / s_plus - 1) < 0.03)
    lam1 = Equivalent([0.7], [200], 50)
    check("(e) top_edge on Sigma = 0.7 I_200, M_S = 50: 0.7 (1 + 2)^2 = 6.3",
          abs(lam1.top_edge() - 6.3) < 1e-8)
    # the equivalent against Monte Carlo of Gaussian features (it is not exact: O(1/M))
    errs = []
    for scale in (1, 4):
        eqm = Equivalent([1.0, 0.3, 0.1, 0.02], [5 * scale, 10 * scale, 25 * scale,
                                                  40 * scale], 40 * scale)
        lf = np.repeat(eqm.lam, eqm.N.astype(int))
        bl = np.repeat(np.arange(4), eqm.N.astype(int))
        acc = {tq: np.zeros(len(lf)) for tq in (1.0, 10.0)}
        draws = 240 // scale
        for _ in range(draws):
            Z = np.sqrt(lf)[:, None] * rng.standard_normal((len(lf), int(eqm.M)))
            w_, V_ = np.linalg.eigh(Z @ Z.T / eqm.M)
            for tq in acc:
                acc[tq] += np.einsum("ij,j,ij->i", V_, np.exp(-tq * w_), V_)
        err = max(np.max(np.abs(np.array([acc[tq][bl == b].mean() for b in range(4)]) / draws
                                - eqm.e(tq))) for tq in acc)
        errs.append(err)
    check(f"the equivalent vs Monte Carlo of Gaussian features (4 blocks, N = 80 M_S = 40 and "
          f"N = 320 M_S = 160; t = 1, 10): max |E exp(-tK_S) - e_k(t)| = {errs[0]:.4f} and "
          f"{errs[1]:.4f} (< 0.01; it shrinks with the size)", max(errs) < 0.01
          and errs[1] < errs[0])

    # ===================================================================================
    section("4. The time domain: the parabola and the trapezoidal rule")
    a_, c_, uu_ = sp.symbols("a c u", positive=True)
    ur = sp.Symbol("u", real=True)
    zpar = a_ * (ur**2 - 1 + 2 * I * ur)
    check("z(u) = a (u^2 - 1 + 2iu) = a (u + i)^2, |exp(-t z)| = exp(-c (u^2 - 1)) with "
          "a = c/t", zero(zpar - a_ * (ur + I) ** 2)
          and zero(sp.re(sp.expand(-t * zpar.subs(a_, c_ / t))) + c_ * (ur**2 - 1)))
    sroot = sp.solve(sp.Eq(a_ * (uu_ + I) ** 2, s), uu_)
    check("the preimage of every s > 0 is u = +-sqrt(s/a) - i: the positive real axis "
          "(the support and the atom at 0) lies on Im u = -1, for every a",
          all(sp.simplify(sp.im(r_) + 1) == 0 for r_ in sroot))
    check("z(0) = -a < 0 (left of 0), z'(0) = 2ia (upward): with u from -inf to inf the "
          "region {Re z > Im(z)^2/(4a) - a} containing [0, inf) is on the right: clockwise",
          zero(zpar.subs(ur, 0) + a_) and zero(sp.diff(zpar, ur).subs(ur, 0) - 2 * I * a_))
    check("M_S = inf: (1/2 pi i) oint_cw exp(-t z)/(lambda - z) dz = -Res = exp(-t lambda)",
          zero(-sp.residue(sp.exp(-t * zz) / (lk - zz), zz, lk) - sp.exp(-t * lk)))
    # mpmath, 30 digits: trapezoidal rule for 1/(lambda - z)
    mp.mp.dps = 30

    def trap(tl, n, c, h):
        tot = mp.mpf(0)
        for j in range(0, n + 1):
            zj = c * (j * h + 1j) ** 2                 # t = 1, lambda = tl
            gj = mp.exp(-zj) * 2 * c * (j * h + 1j) / (tl - zj)
            tot += (mp.mpf(1) / 2 if j == 0 else 1) * gj.imag
        return h / mp.pi * tot

    ns = list(range(4, 27, 2))
    rates = {}
    for tl in (mp.mpf("0.01"), mp.mpf("0.5"), mp.mpf(3), mp.mpf(20)):
        errs_ = [abs(trap(tl, n, mp.pi * n / 12, mp.mpf(3) / n) - mp.exp(-tl)) for n in ns]
        lg = np.array([float(mp.log(e_)) for e_ in errs_])
        rates[float(tl)] = -np.polyfit(ns, lg, 1)[0]
        last = float(errs_[-1])
    pred = 2 * np.pi / 3
    print("      W&T parameters h = 3/n, c = pi n/12 (n nodes per half): measured rates "
          + ", ".join(f"t lambda = {k:g}: {v:.3f}" for k, v in rates.items())
          + f" per node; predicted 2 pi/3 = {pred:.3f}")
    check(f"trapezoidal rule on the parabola (mpmath 30 digits) reproduces exp(-t lambda) to "
          f"{last:.0e} at n = 26 and the error falls geometrically, rate within 15% of the "
          "W&T optimum e^{-2 pi n/3} for t lambda = 0.01, 0.5, 3, 20",
          all(abs(r_ / pred - 1) < 0.15 for r_ in rates.values()) and last < 1e-20)
    Uf, cf = mp.sqrt(1 + 30 * mp.log(10) / 3), mp.mpf(3)
    ns2 = list(range(6, 39, 4))
    errs2 = [abs(trap(mp.mpf(1), n, cf, Uf / n) - mp.exp(-1)) for n in ns2]
    # error model: max of the two sides of the strip (section 4 of the write-up)
    model = lambda n, c, U: max(np.exp(-2 * np.pi * n / U),
                                np.exp(-np.pi**2 * n**2 / (c * U**2) + 2 * np.pi * n / U))
    asym = [i for i, n in enumerate(ns2) if n >= 18]
    rate2 = -np.polyfit([ns2[i] for i in asym], [float(mp.log(errs2[i])) for i in asym], 1)[0]
    pred2 = float(2 * mp.pi / Uf)
    ratios = [float(errs2[i]) / model(n, 3.0, float(Uf)) for i, n in enumerate(ns2)]
    print(f"      fixed c = 3, u in [-U, U], U = {float(Uf):.3f}, h = U/n: errors "
          + ", ".join(f"n={n}: {float(e_):.1e}" for n, e_ in zip(ns2, errs2))
          + f"; rate for n >= 18: {rate2:.3f} per node, predicted 2 pi/U = {pred2:.3f}")
    check("fixed c = 3 (truncation e^{-c(U^2-1)} = 1e-30): error / max(e^{-2 pi/h}, "
          "e^{-pi^2/(c h^2) + 2 pi/h}) in [0.05, 20] for n = 6..38 (the growth side dominates "
          "for n < 18, the support side after) and the rate for n >= 18 within 5% of 2 pi/U",
          abs(rate2 / pred2 - 1) < 0.05 and all(0.05 < r_ < 20 for r_ in ratios))
    # the finite-width equivalent: same strip, same rate (float64; c = 1 so that the
    # support side dominates from n ~ 8 on, above the float64 floor)
    eqc = Equivalent(lam5, N5, 8)                       # M_S < sum N = 25: atom at 0
    errs3, nn3 = {}, [10, 14, 18, 22, 26]
    U3 = np.sqrt(1 + 40 / 1.0)
    for tq in (1.0, 100.0):
        ref = eqc.e(tq, n=160, c=1.0)
        errs3[tq] = [np.max(np.abs(eqc.e(tq, n=n, c=1.0) - ref)) for n in nn3]
    r3 = {tq: -np.polyfit(nn3, np.log(v_), 1)[0] for tq, v_ in errs3.items()}
    print(f"      finite-width equivalent (M_S = 8 < 25 directions: an atom at 0), c = 1, "
          f"U = {U3:.3f}: errors " + "; ".join(f"t = {k:g}: " + ", ".join(f"{e_:.1e}" for e_ in v_)
                                               for k, v_ in errs3.items()))
    check(f"the finite-width integrand has the same strip (Im u > -1): measured rates "
          f"{', '.join(f'{v_:.3f}' for v_ in r3.values())} vs 2 pi/U = {2 * np.pi / U3:.3f} "
          "(within 10%)", all(abs(v_ / (2 * np.pi / U3) - 1) < 0.10 for v_ in r3.values()))
    e_c3 = [np.max(np.abs(eqc.e(1.0, n=n) - eqc.e(1.0, n=96))) for n in (8, 12, 16, 20, 24)]
    print("      the same with c = 3 (U = 3.786): errors " + ", ".join(f"{e_:.1e}" for e_ in e_c3)
          + " for n = 8..24 per half (growth side first; 1e-14 at n ~ 20)")
    _, zn, kn = eqc.e(1.0, want_nodes=True)
    up = zn.imag > 1e-12
    check("Nevanlinna: Im Qbar_k(z) > 0 for Im z > 0 at the contour nodes, and "
          "-z Qbar_k(z) -> 1 as |z| -> inf (mu_k is a probability measure)",
          np.all(eqc.qbar(zn[up], kn[up]).imag > 0)
          and np.allclose(1e8 * eqc.qbar(np.array([-1e8 + 0j]),
                                          np.array([eqc.kappa_negative(-1e8)])), 1, atol=1e-6))
    ts = np.geomspace(0.01, 1e4, 25)
    E1 = np.array([eqc.e(tq) for tq in ts])
    E2 = np.array([eqc.e(2 * tq) for tq in ts])
    check("e_k(2t) >= e_k(t)^2 for the equivalent (Cauchy-Schwarz for the mixture of "
          f"exponentials; 25 times in [0.01, 1e4]; min gap {np.min(E2 - E1**2):.1e})",
          np.all(E2 - E1**2 > -1e-13))
    check("e_k(t) is decreasing in t and in [0, 1] (a Laplace transform of a probability "
          "measure on [0, inf))", np.all(np.diff(E1, axis=0) < 1e-13)
          and np.all((E1 > -1e-13) & (E1 < 1 + 1e-13)))

    # ===================================================================================
    section("5. Limits")
    nuS_, m0 = sp.symbols("nu_S m0", positive=True)        # m0 = atom of mu_k at 0
    p_ = lk / (lk + nuS_)
    check("t -> inf: e_k(t) -> mu_k({0}) = nu_S/(lambda_k + nu_S), so H1 = H2 = "
          "lambda_k/(lambda_k + nu_S)",
          zero((1 - m0).subs(m0, nuS_ / (lk + nuS_)) - p_)
          and zero((1 - 2 * m0 + m0).subs(m0, nuS_ / (lk + nuS_)) - p_))
    Linf = Bv - 2 * p_ * (1 - sv) * Bv + p_ * ((1 - sv) ** 2 * Bv + Fv)
    check("L_S(inf) per block = (1 - p(1-s))^2 B + p(1-p)(1-s)^2 B + p F, "
          "p = lambda/(lambda + nu_S)",
          zero(Linf - ((1 - p_ * (1 - sv)) ** 2 * Bv + p_ * (1 - p_) * (1 - sv) ** 2 * Bv
                       + p_ * Fv)))
    check("... at nu_S = 0 (M_S -> inf) it is s^2 B + F: summed, L_T iff sum F = sum s(1-s)B "
          "(section 3)", zero(Linf.subs(nuS_, 0) - (sv**2 * Bv + Fv)))
    check("t = 0: e_k = 1, H1 = H2 = 0, L_S(0) = ||f*||^2",
          zero(block.subs({e1: 1, e2: 1}) - Bv))
    check("trained on f* (s = 0, F = 0): the per-block risk is e_k(2t) B_k, decreasing in t, "
          "with limit nu_S/(lambda_k + nu_S) B_k = the ceiling",
          zero(block.subs({sv: 0, Fv: 0}) - e2 * Bv))
    eL = eq4.e(1e7)
    check(f"numerically: e_k(t = 1e7) = nu_S/(lambda_k + nu_S) (4 blocks, M_S = 40; max rel. "
          f"err {np.max(np.abs(eL / (nuS / (eq4.lam + nuS)) - 1)):.1e} < 1e-6)",
          np.allclose(eL, nuS / (eq4.lam + nuS), rtol=1e-6))

    # ===================================================================================
    section("6. Discrete gradient descent")
    w_ = sp.Symbol("w")
    zw = (1 - sp.exp(-eta * w_)) / eta
    check("z = (1 - e^{-eta w})/eta: (1 - eta z)^k = e^{-k eta w}, dz = e^{-eta w} dw",
          sp.simplify((1 - eta * zw) - sp.exp(-eta * w_)) == 0
          and sp.simplify(sp.diff(zw, w_) - sp.exp(-eta * w_)) == 0)
    xr = sp.Symbol("x", real=True)
    check("the lines Im(eta w) = +-pi map onto [1/eta, inf) (z = (1 + e^{-x})/eta): the strip "
          "|Im eta w| < pi maps one-to-one (exp is injective there, dz/dw != 0) onto "
          "C minus [1/eta, inf)",
          sp.simplify(((1 - sp.exp(-(xr + I * sp.pi))) / eta) - (1 + sp.exp(-xr)) / eta) == 0)
    check("the half-line w >= 0 maps onto [0, 1/eta): a contour around it in the strip "
          "encloses the support iff eta s_+ < 1",
          zw.subs(w_, 0) == 0 and sp.limit(zw, w_, sp.oo) == 1 / eta)
    qq = sp.Symbol("q", positive=True)                   # q = 1 - eta lambda > 0
    lq = (1 - qq) / eta
    wl = -sp.log(qq) / eta
    resw = sp.powsimp(sp.simplify((sp.exp(-(k_int + 1) * eta * w_)
                                   / sp.diff(lq - zw, w_)).subs(w_, wl)), force=True)
    check("M_S = inf: the simple pole of e^{-(k+1) eta w}/(lambda - z(w)) at w = -log(1 - eta "
          "lambda)/eta has residue -(1 - eta lambda)^k: the clockwise integral is "
          "(1 - eta lambda)^k", sp.simplify(resw + qq**k_int) == 0
          and sp.simplify(zw.subs(w_, wl) - lq) == 0)

    def trap_w(el, k, c, n=60, Uw=None):
        Uw = mp.sqrt(1 + 30 * mp.log(10) / c) if Uw is None else Uw
        h = Uw / n
        tau = (k + 1)                                   # eta = 1
        a = c / tau
        tot = mp.mpf(0)
        for j in range(0, n + 1):
            wj = a * (j * h + 1j) ** 2
            zj = 1 - mp.exp(-wj)
            gj = mp.exp(-(k + 1) * wj) * 2 * a * (j * h + 1j) / (el - zj)
            tot += (mp.mpf(1) / 2 if j == 0 else 1) * gj.imag
        return h / mp.pi * tot

    cases = [(mp.mpf("0.3"), 1), (mp.mpf("0.5"), 5), (mp.mpf("0.9"), 20), (mp.mpf("0.05"), 200)]
    c_gd = lambda k: min(3.0, np.pi * (k + 1) / 4)    # copies at distance >= 1 in u
    errs_w = [abs(trap_w(el, k, c_gd(k)) - (1 - el) ** k) for el, k in cases]
    check("pulled-back parabola w(u) = a (u+i)^2, a = c/((k+1) eta), c = min(3, pi (k+1)/4), "
          "60 nodes per half (mpmath): "
          "(1 - eta lambda)^k for (eta lambda, k) = (0.3, 1), (0.5, 5), (0.9, 20), (0.05, 200); "
          f"max err {float(max(errs_w)):.1e}", max(errs_w) < 1e-20)
    # the copies at Im(eta w) = 2 pi n: a too wide parabola encloses them
    cond = lambda c, k, el: np.pi**2 * (k + 1) / c - c / (k + 1) > -np.log(1 - el)
    wide = trap_w(mp.mpf("0.5"), 1, 10, n=80)
    near = abs(trap_w(mp.mpf("0.3"), 1, 3, n=60) - mp.mpf("0.7"))
    check("a parabola wide enough to enclose the copies of the support at Im(eta w) = "
          "+-2 pi (c = 10, k = 1: pi^2 (k+1)/c - c/(k+1) < -log(1 - eta lambda)) returns 3 "
          f"(1 - eta lambda)^k: {float(wide):.12f} vs 1.5; the condition holds for c = 3",
          (not cond(10, 1, 0.5)) and abs(wide - 1.5) < 1e-6 and cond(3, 1, 0.5))
    check(f"... and copies outside but near the line (c = 3, k = 1: at Im u = sqrt(pi (k+1)/c)"
          f" - 1 = 0.45) cost accuracy: error {float(near):.0e} at 60 nodes instead of < 1e-20",
          near > 1e-15)
    # finite width: the w-contour against a closed circle in z (the integrand is a polynomial)
    eqg = Equivalent(lam5, N5, 8)
    sp_g = eqg.top_edge()
    etag = 0.8 / sp_g
    kk = 7
    fw = lambda z: (1 - etag * z) ** kk
    # w-contour: map the nodes; the equivalent is evaluated at z(w)
    Uw, nw, cw = np.sqrt(1 + 40 / 3), 48, 3.0
    hw = Uw / nw
    uw = hw * np.arange(nw + 1)
    aw = cw / ((kk + 1) * etag)
    ww = aw * (uw + 1j) ** 2
    zw_n = (1 - np.exp(-etag * ww)) / etag
    dzw = np.exp(-etag * ww) * 2 * aw * (uw + 1j)
    kw = eqg.kappa_path(zw_n)
    gw = (fw(zw_n) * dzw)[:, None] * eqg.qbar(zw_n, kw)
    wts = np.ones(nw + 1)
    wts[0] = 0.5
    via_w = hw / np.pi * (wts @ gw.imag)
    # a closed circle through -r0 and s_+ + r0, clockwise: z = cen - rad e^{-i theta};
    # kappa continued along the upper half from the real point -r0, mirrored below
    def circle(eq, fpoly, n_c=400, r0_frac=0.3):
        top = eq.top_edge()
        r0 = r0_frac * top
        cen, rad = top / 2, top / 2 + r0
        th = 2 * np.pi * np.arange(n_c) / n_c
        zc = cen - rad * np.exp(-1j * th)
        kc = np.empty(n_c, complex)
        kc[:n_c // 2 + 1] = eq.kappa_path(zc[:n_c // 2 + 1])
        kc[n_c // 2 + 1:] = np.conj(kc[1:n_c // 2][::-1])
        dzc = 1j * rad * np.exp(-1j * th) * (2 * np.pi / n_c)
        return np.real(((fpoly(zc) * dzc)[:, None] * eq.qbar(zc, kc)).sum(0) / (2j * np.pi))

    via_circle = circle(eqg, fw)
    check(f"finite width (M_S = 8, eta = 0.8/s_+, k = 7): E(1 - eta K_S)^k by the "
          f"pulled-back parabola = by a clockwise circle around [0, s_+] (max diff "
          f"{np.max(np.abs(via_w - via_circle)):.1e} < 1e-10)",
          np.max(np.abs(via_w - via_circle)) < 1e-10)
    # 1/s_+ <= eta < 2/s_+: the support crosses 1/eta, the map z(w) cannot be used; a
    # closed contour still can (polynomial integrand): against Monte Carlo
    eqo = Equivalent([1.0, 0.3, 0.1, 0.02], [20, 40, 100, 160], 160)
    so = eqo.top_edge()
    eta_o, k_o = 1.5 / so, 9
    osc = circle(eqo, lambda z: (1 - eta_o * z) ** k_o)
    lf = np.repeat(eqo.lam, eqo.N.astype(int))
    bl = np.repeat(np.arange(4), eqo.N.astype(int))
    acc = np.zeros(len(lf))
    for _ in range(40):
        Z = np.sqrt(lf)[:, None] * rng.standard_normal((len(lf), 160))
        w_o, V_o = np.linalg.eigh(Z @ Z.T / 160)
        acc += np.einsum("ij,j,ij->i", V_o, (1 - eta_o * w_o) ** k_o, V_o)
    mc_o = np.array([acc[bl == b].mean() for b in range(4)]) / 40
    check(f"eta = 1.5/s_+ (oscillating steps, |1 - eta s| < 1 on the support), k = 9: the "
          f"equivalent by a closed circle {np.round(osc, 4).tolist()} vs Monte Carlo of "
          f"Gaussian features (N = 320, M_S = 160) {np.round(mc_o, 4).tolist()} "
          f"(max diff {np.max(np.abs(osc - mc_o)):.4f} < 0.01)", np.max(np.abs(osc - mc_o)) < 0.01)
    div = [np.max(np.abs(circle(eqo, lambda z, kq=kq: (1 - 3 / so * z) ** kq, r0_frac=0.1)))
           for kq in (8, 16, 32)]
    check(f"eta = 3/s_+ > 2/s_+: max_k |E(1 - eta K_S)^k| = {div[0]:.2e}, {div[1]:.2e}, "
          f"{div[2]:.2e} for k = 8, 16, 32 grows geometrically (gradient descent diverges)",
          div[2] > 10 * div[1] > 100 * div[0])

    # ===================================================================================
    section("7. The lower bound of section 4")
    Kb = rng.standard_normal((8, 5))
    Kb = Kb @ Kb.T / 5
    tq = 0.8
    Ab = np.eye(8) - linalg.expm(-tq * Kb)
    check("h_t(K_S) = 1 - exp(-t K_S) is self-adjoint with spectrum in [0, 1 - exp(-t "
          "||K_S||)] (h increasing, h(0) = 0): alpha(t) = 1 - exp(-t ||K_S||)",
          np.allclose(Ab, Ab.T) and np.linalg.eigvalsh(Ab).min() > -1e-12
          and abs(np.linalg.eigvalsh(Ab).max() - (1 - np.exp(-tq * np.linalg.eigvalsh(Kb).max())))
          < 1e-12)
    Ls, Es, als = sp.symbols("L E alpha", positive=True)
    Fb = sp.sqrt(Es - Ls)
    LB = (sp.sqrt(Es - als * Fb**2 + als**2 * Fb**2 / 4) - als * Fb / 2) ** 2
    LBf = sp.lambdify((Ls, Es, als), LB, "numpy")
    grid_L = np.linspace(0.01, 0.99, 50)[:, None]
    grid_a = np.linspace(0, 1, 101)[None, :]
    vals = LBf(grid_L, 1.0, grid_a)
    check("the bound decreases in alpha (the balls B(alpha f_T/2, alpha F/2) are nested and "
          "contain 0): a larger alpha (e.g. from s_+ >= ||K_S|| - o(1), or alpha = 1) is "
          "still a valid bound", np.all(np.diff(vals, axis=1) <= 1e-15))
    d2 = np.diff(LBf(np.linspace(0, 0.999, 2001)[:, None], 1.0, grid_a), 2, axis=0)
    check("the bound is convex in L_T at fixed alpha (grid, second differences >= 0): by "
          "Jensen E LB(L_T, alpha) >= LB(E L_T, alpha) for a deterministic alpha",
          np.all(d2 >= -1e-15))
    # the equivalent's curve against the bound with the proxy alpha = 1 - exp(-t s_+)
    eqb = Equivalent(lam5, N5, 12)
    Bk5 = np.array([0.5, 0.2, 0.1, 0.05, 0.02])
    nuT = Equivalent(lam5, N5, 6).nu()
    sT = nuT / (eqb.lam + nuT)
    S_ = np.sum(eqb.lam * Bk5 / (eqb.lam + nuT) ** 2)
    D2 = np.sum(eqb.N * eqb.lam**2 / (eqb.lam + nuT) ** 2)
    F_ = nuT**2 * eqb.N * eqb.lam / (eqb.lam + nuT) ** 2 * S_ / (6 - D2)
    LT = np.sum(sT * Bk5)
    E_ = Bk5.sum()
    sp_b = eqb.top_edge()
    worst = np.inf
    for tq in np.geomspace(0.1, 1e4, 30):
        ea, eb = eqb.e(tq), eqb.e(2 * tq)
        LSq = np.sum((ea * (1 - sT) + sT) ** 2 * Bk5 + (eb - ea**2) * (1 - sT) ** 2 * Bk5
                     + (1 - 2 * ea + eb) * F_)
        worst = min(worst, LSq - LBf(LT, E_, 1 - np.exp(-tq * sp_b)))
    check("an example (5 blocks, M_T = 6, M_S = 12): the equivalent's L_S(t) stays above "
          f"the bound with alpha = 1 - exp(-t s_+) at 30 times (min margin {worst:.2e} >= 0)",
          worst >= 0)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
