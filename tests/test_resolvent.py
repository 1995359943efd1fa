"""The finite-width student's resolvent equivalent (THEORY.md 3b): theory/resolvent.py,
contour.py, evolution.py, descent.py.

Every tolerance is argued next to its assertion. References: an independent evaluation
of the same equivalent on the real axis (polynomial roots + mpmath.quad), the exact
first-order expansion in 1/M_S, Monte Carlo of sampled kernels, and mpmath at other
precisions.
"""

import math

import mpmath
import numpy as np
import pytest

from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.precision import FLOAT64, Precision
from w2s_theory._src.spectra import FiniteSpectrum, SphereSpectrum
from w2s_theory._src.targets import parse_target
from w2s_theory._src.theory.contour import point_mass_error, quadrature_plan
from w2s_theory._src.theory.resolvent import student_kernel
from w2s_theory._src.theory.table import build_table

LAMS, MULTS, M_S = [1.0, 0.1], [3, 5], 4


def _table(eigs, mults, p=FLOAT64, Q=None):
    sp = FiniteSpectrum(eigs, mults)
    Q = Q or (7 if p.is_float else 30)
    return build_table(sp, parse_target("energies:0=1").bind(sp), len(eigs), Q, p)


# --------------------------------------------------------------------------------------
# independent reference: density on the real axis from the polynomial equation
# --------------------------------------------------------------------------------------

def _poly_coeffs(lams, mults, M, z):
    """kappa sum_i N_i l_i prod_{j!=i}(l_j+kappa) - M (kappa+z) prod_i (l_i+kappa), high
    degree first (the width equation times kappa prod(l + kappa))."""
    P = np.polynomial.polynomial

    def prod(skip=None):
        out = [mpmath.mpf(1)]
        for j, l in enumerate(lams):
            if j != skip:
                out = _mul(out, [l, 1])
        return out

    lhs = [mpmath.mpf(0)] * (len(lams) + 2)
    for i, (l, n) in enumerate(zip(lams, mults)):
        for a, c in enumerate(_mul(prod(i), [0, n * l])):
            lhs[a] += c
    rhs = _mul(prod(), [M * z, M])
    del P
    return [lhs[a] - rhs[a] for a in range(len(lams) + 2)][::-1]


def _mul(a, b):
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


class RealAxisReference:
    """e_k(t) = nu/(l_k + nu) + int exp(-t x) (1/pi) Im Qbar_k(x + i0) dx, with the roots
    of the polynomial width equation (the Stieltjes branch: largest Im delta) and the
    edges from the real critical points of z(kappa) (mpmath throughout)."""

    def __init__(self, lams, mults, M, dps=30):
        self.dps = dps
        with mpmath.workdps(dps):
            self.lams = [mpmath.mpf(x) for x in lams]
            self.mults = [mpmath.mpf(x) for x in mults]
            self.M = mpmath.mpf(M)
            rank = sum(self.mults)
            self.nu = mpmath.mpf(0) if M >= rank else mpmath.findroot(
                lambda v: self.df(v) - self.M, (mpmath.mpf("1e-20"), mpmath.mpf(1e6)),
                solver="anderson")
            self.edges = self._edges()
            self.support = [(a, b) for a, b in zip(self.edges[:-1], self.edges[1:])
                            if self.density((a + b) / 2, 0) > mpmath.mpf(10) ** (-dps // 2)]

    def df(self, kap):
        return sum(n * l / (l + kap) for l, n in zip(self.lams, self.mults))

    def z_of(self, kap):
        return kap * (self.df(kap) / self.M - 1)

    def _edges(self):
        poles = sorted(set(-l for l in self.lams))
        parts = [(lambda s, b=poles[0]: b - mpmath.exp(s))]
        parts += [(lambda s, a=a, b=b: a + (b - a) / (1 + mpmath.exp(-s)))
                  for a, b in zip(poles[:-1], poles[1:])]
        parts += [(lambda s, a=poles[-1]: a * (1 - 1 / (1 + mpmath.exp(-s)))),
                  (lambda s: mpmath.exp(s))]
        out = []
        for f in parts:
            ss = [mpmath.mpf(x) for x in np.linspace(-40, 40, 401)]
            ds = [mpmath.diff(lambda s: self.z_of(f(s)), x) for x in ss]
            for i in range(len(ds) - 1):
                if ds[i] * ds[i + 1] < 0:
                    r = mpmath.findroot(lambda s: mpmath.diff(lambda s2: self.z_of(f(s2)), s),
                                        (ss[i], ss[i + 1]), solver="anderson")
                    out.append(self.z_of(f(r)))
        return sorted(x for x in out if x > 0)

    def kappa(self, x):
        roots = mpmath.polyroots(_poly_coeffs(self.lams, self.mults, self.M,
                                              mpmath.mpc(x, 0)), maxsteps=200,
                                 extraprec=2 * self.dps)
        return max(roots, key=lambda r: mpmath.im(r / (-x)))

    def density(self, x, k):
        kap = self.kappa(x)
        return mpmath.im((kap / (-x)) / (self.lams[k] + kap)) / mpmath.pi

    def e(self, t, k, r=0):
        """d^r/dt^r e_k(t)."""
        with mpmath.workdps(self.dps):
            t = mpmath.mpf(t)
            atom = self.nu / (self.lams[k] + self.nu) if r == 0 else 0
            return atom + sum(mpmath.quad(lambda x: (-x) ** r * mpmath.exp(-t * x) *
                                          self.density(x, k), [a, (a + b) / 2, b])
                              for a, b in self.support)


@pytest.fixture(scope="module")
def reference():
    return RealAxisReference(LAMS, MULTS, M_S, dps=20)


# --------------------------------------------------------------------------------------
# the quadrature plan
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("r", [0, 1, 2])
def test_float_plan_bound_holds(r):
    # the quoted bound is twice the measured supremum over tau in [c, 2c] and xi >= 0;
    # re-measured here on a denser grid than the module's default
    plan = quadrature_plan(FLOAT64)
    taus = [plan.c * 2 ** (i / 16) for i in range(17)]
    xis = [0.0] + list(np.geomspace(1e-5, 1e4, 1500))
    assert point_mass_error(plan, r, taus, xis) <= plan.bound[r]


def test_mp_plan_bound_holds():
    # 30 digits: the formula plan's B_0 = 10 exp(-pi N/2) against a measurement in
    # 60-digit arithmetic (the rate exp(-pi N/2) is the W&T balance of the module)
    plan = quadrature_plan(Precision(30))
    taus = [plan.c * 2 ** (i / 4) for i in range(5)]
    xis = [0] + list(np.geomspace(1e-3, 1e2, 40))
    measured = point_mass_error(plan, 0, taus, xis, dps=60)
    assert measured <= plan.bound[0]
    assert plan.bound[0] <= 10.0 ** -(Precision(30).working_digits)


# --------------------------------------------------------------------------------------
# against the independent real-axis evaluation
# --------------------------------------------------------------------------------------

def test_edges_against_reference(reference):
    k = student_kernel(_table(LAMS, MULTS), M_S)
    # the reference's largest critical value is s_+; both are roots of smooth equations
    # solved to ~1e-15 relative
    assert abs(float(k.top_edge) - float(reference.edges[-1])) <= 1e-12 * float(
        reference.edges[-1])
    assert abs(float(k.nu) - float(reference.nu)) <= 1e-14


def test_flow_against_reference(reference):
    # the reference agrees with itself at 30 and 40 digits to ~1e-17 (quad of a
    # square-root-edged density); the method's own bound is ~1e-14 (error())
    ts = [0.2, 20.0]
    tab = _table(LAMS, MULTS)
    ev = student_kernel(tab, M_S).flow(ts)
    e = ev.e(tab.log_lam)
    d1 = ev.e(tab.log_lam, derivative=1)
    err0, err1 = ev.error(), ev.error(derivative=1)
    assert np.all(err0 < 1e-13)
    for i, t in enumerate(ts):
        for k in range(2):
            assert abs(e[i, k] - float(reference.e(t, k))) <= err0[i] + 1e-16
        assert abs(d1[i, 1] - float(reference.e(t, 1, 1))) <= err1[i] + 1e-16


def test_float_against_40_digits_and_precisions_agree():
    # float64 against 40 digits: within the float64 bound (<= ~3e-14);
    # 30 against 60 digits: within the 30-digit bound (<= 1e-38) -- asserted at 1e-25
    ts = [0.01, 0.7, 30.0]
    out = {}
    for d in (None, 30, 40, 60):
        p = Precision(d)
        tab = _table(LAMS, MULTS, p)
        ev = student_kernel(tab, M_S).flow(ts)
        out[d] = (ev.e(tab.log_lam), ev.e(tab.log_lam, 2, 2), ev.error(), ev.error(2, 2))
    for a in (0, 1):
        diff = np.abs(np.array(out[None][a], dtype=float) -
                      np.array([[float(x) for x in row] for row in out[40][a]]))
        assert np.all(diff <= out[None][2 + a][:, None])
        diff30 = max(abs(x - y) for x, y in zip(out[30][a].ravel(), out[60][a].ravel()))
        assert diff30 < 1e-25
        assert np.all(out[30][2 + a] < 1e-25)


# --------------------------------------------------------------------------------------
# limits
# --------------------------------------------------------------------------------------

def test_limits_zero_and_infinity():
    tab = _table(LAMS, MULTS)
    k = student_kernel(tab, M_S)
    ev = k.flow([0.0, 1e9, float("inf")])
    e = ev.e(tab.log_lam)
    proj = k.projection(tab.log_lam)
    nu = float(k.nu)
    assert np.all(e[0] == 1)
    assert np.allclose(proj, [nu / (lam + nu) for lam in LAMS], rtol=1e-15, atol=0)
    assert np.all(e[2] == proj)
    # t = 1e9: the continuous part exp(-t s_-) is ~exp(-3e7): only the atom remains
    assert np.all(np.abs(e[1] - proj) <= ev.error()[1])
    # first moments of the equivalent measure: lambda, lambda^2 + lambda tr/M
    d1 = ev.e(tab.log_lam, derivative=1)[0]
    d2 = ev.e(tab.log_lam, derivative=2)[0]
    tr = sum(l * n for l, n in zip(LAMS, MULTS))
    assert np.allclose(d1, [-lam for lam in LAMS], rtol=1e-15)
    assert np.allclose(d2, [lam * lam + lam * tr / M_S for lam in LAMS], rtol=1e-15)
    # and the quadrature at a tiny time reproduces them (finite differences in t)
    h = 1e-6
    e_small = student_kernel(tab, M_S).flow([h, 2 * h]).e(tab.log_lam)
    slope = (e_small[0] - 1) / h
    assert np.allclose(slope, -np.array(LAMS), rtol=0, atol=2 * h * 2)


def test_width_equal_to_rank_and_above():
    tab = _table(LAMS, MULTS)
    k = student_kernel(tab, 8)
    assert float(k.nu) == 0.0
    # the projection is the identity (e(inf) = 0); at M = rank the lower edge is 0 (hard
    # edge, density ~ x^(-1/2)), so e(t) decays like t^(-1/2) only
    e = k.flow([1e2, 1e4, float("inf")]).e(tab.log_lam)
    assert np.all(e[2] == 0) and np.all(e[1] < e[0] / 5)
    # above the rank (Marchenko-Pastur with ratio 8/32): nu_S = 0 still, but the lower
    # edge (1 - sqrt(8/32))^2 * 0.1 = 0.025 is positive: e(t) decays exponentially, to
    # below e^-250 at t = 1e4, where what is computed is the contour rule's rounding
    # (unit roundoff times sums of order one: below 1e-12)
    wide = student_kernel(tab, 32)
    assert float(wide.nu) == 0.0
    e = wide.flow([1e2, 1e4, float("inf")]).e(tab.log_lam)
    assert np.all(e[2] == 0) and np.all(np.abs(e[1]) < 1e-12)


def test_infinite_width_is_the_closed_form_bit_for_bit():
    for d in (None, 30):
        p = Precision(d)
        tab = _table(LAMS, MULTS, p)
        ts = [0, 0.5, 3, float("inf")]
        ev = student_kernel(tab, None).flow(ts)
        e = ev.e(tab.log_lam)
        with p.context():
            lam = p.exp(tab.log_lam)
            for i, t in enumerate(ts[:-1]):
                tl = p.array([t])[0] * lam
                ref = np.exp(-tl) if p.is_float else [mpmath.exp(-x) for x in tl]
                assert all(a == b for a, b in zip(e[i], ref))
        assert all(x == 0 for x in e[-1])
        g = student_kernel(tab, None).descent([0, 1, 7], "0.3")
        with p.context():
            base = 1 - p.scalar(0.3 if p.is_float else mpmath.mpf("0.3")) * lam
            for i, kk in enumerate([0, 1, 7]):
                assert all(a == b ** kk for a, b in zip(g.e(tab.log_lam)[i], base))


def test_large_width_first_order():
    # delta(z) = M^-1 sum N l/(l - z) + O(M^-2) gives Qbar_k = 1/(l_k - z) +
    # l_k delta/(l_k - z)^2 + O(M^-2), hence (contour = divided differences of
    # phi = exp(-t .)): e_k = exp(-t l_k) + C_k/M + O(M^-2) with
    # C_k = sum_i N_i l_k l_i phi[l_k, l_k, l_i]. So M (e - exp) - C = O(1/M): halving
    # when M doubles (ratio in [1.6, 2.5] allows the next order's own 1/M correction).
    lams = [1.0 / (i + 1) ** 2 for i in range(40)]
    mults = [1] * 40
    tab = _table(lams, mults)
    t = 2.0
    lk = lams[0]
    phi = lambda x: math.exp(-t * x)  # noqa: E731
    C = 0.0
    for li, ni in zip(lams, mults):
        if li == lk:
            dd = t * t * phi(lk) / 2
        else:
            d_lm = (phi(li) - phi(lk)) / (li - lk)
            dd = (d_lm - (-t * phi(lk))) / (li - lk)
        C += ni * lk * li * dd
    rem = []
    # widths below the rank (40) but large against the effective dimension tr/l_1 = 1.6
    for M in (5, 10, 20):
        e = student_kernel(tab, M).flow([t]).e(tab.log_lam[:1])[0, 0]
        rem.append(M * (e - phi(lk)) - C)
    assert 1.6 <= rem[0] / rem[1] <= 2.6 and 1.6 <= rem[1] / rem[2] <= 2.6


# --------------------------------------------------------------------------------------
# Monte Carlo of sampled kernels
# --------------------------------------------------------------------------------------

def _mc(eigs, M, fn, seeds, rng):
    D = len(eigs)
    acc, acc2 = np.zeros(D), np.zeros(D)
    for _ in range(seeds):
        G = rng.standard_normal((D, M)) * np.sqrt(eigs)[:, None]
        w, V = np.linalg.eigh(G @ G.T / M)
        d = np.einsum("ij,j,ij->i", V, fn(w), V)
        acc += d
        acc2 += d * d
    mean = acc / seeds
    se = np.sqrt(np.maximum(acc2 / seeds - mean ** 2, 0) / seeds)
    return mean, se, w


def _blocks(vals, mults):
    out, i = [], 0
    for m in mults:
        out.append(vals[i:i + m].mean())
        i += m
    return np.array(out)


def _block_se(se, mults):
    out, i = [], 0
    for m in mults:
        out.append(np.sqrt(np.sum(se[i:i + m] ** 2)) / m)   # conservative (correlations)
        i += m
    return np.array(out)


@pytest.mark.parametrize("kind", ["flow", "descent"])
def test_against_monte_carlo(kind):
    # a spiked spectrum (3 large, the rest at two levels) at proportional sizes
    # (D, M) = (100, 50) and (400, 200). The equivalent's error is O(1/M): the gap at the
    # larger size must be below 4 MC standard errors plus half the gap at the smaller
    # (a 4x larger M cuts the O(1/M) error by ~4; half leaves room for the next order).
    rng = np.random.default_rng(1)
    gaps = []
    for scale, seeds in ((1, 60), (4, 12)):
        mults = [3 * scale, 37 * scale, 60 * scale]
        vals = [5.0, 1.0, 0.2]
        eigs = np.repeat(vals, mults)
        M = 50 * scale
        tab = _table(vals, mults)
        k = student_kernel(tab, M)
        if kind == "flow":
            t = 1.5
            th = k.flow([t]).e(tab.log_lam)[0]
            fn = lambda w: np.exp(-t * w)  # noqa: E731
        else:
            lr, steps = 0.5 / float(k.top_edge), 6
            th = k.descent([steps], lr).e(tab.log_lam)[0]
            fn = lambda w: (1 - lr * w) ** steps  # noqa: E731
        mean, se, _ = _mc(eigs, M, fn, seeds, rng)
        gaps.append((np.abs(_blocks(mean, mults) - th), _block_se(se, mults)))
    (g_small, se_small), (g_large, se_large) = gaps
    assert np.all(g_large <= 4 * se_large + 0.5 * (g_small + 4 * se_small))
    assert np.all(g_large < 0.02)


def test_top_edge_against_sampled_kernels():
    # largest eigenvalue of K_S at D = 400, M = 200: Tracy-Widom fluctuations and the
    # finite-size shift are O(M^(-2/3)) ~ 3% of s_+; 10 seeds average them
    rng = np.random.default_rng(2)
    vals, mults = [2.0, 1.0, 0.25], [40, 160, 200]
    eigs = np.repeat(vals, mults)
    k = student_kernel(_table(vals, mults), 200)
    tops = []
    for _ in range(10):
        G = rng.standard_normal((400, 200)) * np.sqrt(eigs)[:, None]
        tops.append(np.linalg.eigvalsh(G.T @ G / 200)[-1])
    assert abs(np.mean(tops) - float(k.top_edge)) <= 0.05 * float(k.top_edge)


# --------------------------------------------------------------------------------------
# gradient descent
# --------------------------------------------------------------------------------------

def test_descent_moments_and_methods():
    # k = 1, 2: E(1 - lr K) = 1 - lr l and E(1 - lr K)^2 = 1 - 2 lr l + lr^2 (l^2 +
    # l tr/M) exactly (first two moments of the equivalent measure); the circle (small k)
    # and the pulled-back parabola (large k) meet: at k = 40 both are evaluated
    tab = _table(LAMS, MULTS)
    k = student_kernel(tab, M_S)
    lr = 0.8 / float(k.top_edge)
    tr = sum(l * n for l, n in zip(LAMS, MULTS))
    ev = k.descent([0, 1, 2, 40, 41, 20000], lr)
    e = ev.e(tab.log_lam)
    lam = np.array(LAMS)
    assert np.all(e[0] == 1)
    assert np.allclose(e[1], 1 - lr * lam, atol=ev.error()[1])
    assert np.allclose(e[2], 1 - 2 * lr * lam + lr ** 2 * (lam ** 2 + lam * tr / M_S),
                       atol=ev.error()[2])
    assert ev.circle_windows     # some small k used the circle
    # k = 2 steps of size lr and 1 step of 2 lr differ; the same k via the multiple
    # argument: e(2k) from multiple=2
    e2 = ev.e(tab.log_lam, multiple=2)
    ref = k.descent([0, 2, 4, 80, 82, 40000], lr).e(tab.log_lam)
    assert np.allclose(e2, ref, atol=1e-13, rtol=0)
    # large k: (1 - lr s_-)^k ~ exp(-137), only the atom at 0 (the projection) remains
    assert np.allclose(e[-1], k.projection(tab.log_lam), atol=1e-12)


def test_learning_rate_errors():
    tab = _table(LAMS, MULTS)
    k = student_kernel(tab, M_S)
    s = float(k.top_edge)
    with pytest.raises(InvalidArgument, match="2/s_") as exc:
        k.descent([3], 2.5 / s)
    assert exc.value.argument == "lr"
    with pytest.raises(InvalidArgument, match="1/s_") as exc:
        k.descent([3], 1.5 / s)
    assert exc.value.argument == "lr"
    # the infinite student is exact up to 2/lambda_max
    inf = student_kernel(tab, None)
    assert np.isfinite(inf.descent([3], 1.9).e(tab.log_lam)).all()
    with pytest.raises(InvalidArgument):
        inf.descent([3], 2.1)


# --------------------------------------------------------------------------------------
# the spectral tail and the weighted sums
# --------------------------------------------------------------------------------------

def test_tail_coefficients_and_pair():
    sp = SphereSpectrum("relu", 8)
    p = FLOAT64
    tab = build_table(sp, parse_target("degree:1").bind(sp), 12, 7, p)
    k = student_kernel(tab, 200)
    ts = [0.5, 5.0, 50.0]
    ev = k.flow(ts)
    bar = float(np.exp(tab.spec_tail.log_lambda_bar))
    for m in (1, 2):
        for r in (0, 1):
            c = ev.tail(m, r)
            for y in (0.0, 0.4, 1.0):
                series = sum(cq * y ** q for q, cq in enumerate(c.coeffs))
                direct = ev.e([math.log(bar * y) if y else -np.inf], m, r)[:, 0]
                assert np.all(np.abs(series - direct) <= ev.error(m, r) +
                              ev.tail_error(m, r) + 1e-16)
    # pair = explicit weighted sum + the tail paired with the moments
    pos = np.asarray(tab.positive)
    ll = tab.log_lam[pos]
    w = np.exp(tab.log_B[pos])
    from w2s_theory._src.powerseries import PowerSeries
    g = PowerSeries.constant(1.0, tab.Q)
    tail = (tab.tgt_tail.log_mass, g, tab.tgt_tail.ratios)
    vals, err = ev.pair(ll, w, tail, multiple=2, derivative=1)
    direct = ev.e(ll, 2, 1) @ w + ev.tail(2, 1).pair(tab.tgt_tail.ratios) * np.exp(
        tab.tgt_tail.log_mass)
    # the same sum in another order: within the rounding part of the reported bound
    assert np.all(np.abs(vals - direct) <= err) and np.all(err < 1e-12)
