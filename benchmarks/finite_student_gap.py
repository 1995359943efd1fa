"""The finite-width student: the deterministic equivalent against the exact simulation.

Issue 11, "Done when": for relu features on the sphere (d = 10, 20, 30, degree-1 target;
d = 10, single-index relu target) and linear features on Gaussian data (power-law and
spiked covariances), teacher widths M_T and student widths M_S = 2 ... 32 M_T, prints
the relative gap ``(simulation mean - theory) / theory`` of the student's risk L_S(t) at
t*/4, t*, 4 t* (t* the theory's optimal stopping time) and of min_t L_S, each with the
standard error of the simulation's estimate (relative to the theory), as markdown tables
(``docs/simulations.md``, section "The finite-width student: theory against
simulation", shows the output). The same for the infinite-width student (the theory of
``THEORY.md`` section 3) as a reference, and the time of one seed of the exact
simulation at M_S = 8,000 against the theory's time for the same setting.

    python benchmarks/finite_student_gap.py              # everything (about an hour)
    python benchmarks/finite_student_gap.py --quick      # d = 10 and one linear case
    python benchmarks/finite_student_gap.py --cases relu10,spiked --max-width 800

**Estimators.** For each setting and M_T, one run of the exact simulation with an
infinite-width student (``N`` seeds, cheap) and, for each M_S, one run with the
finite-width student (``n`` seeds, the first ``n`` of the same root seed: the same
teachers). The student's risk is simulated on a log grid of 49 times
``t*_S 2^(k/8)``, ``|k| <= 24`` (a factor 8 either side of the theory's t*_S; the 9%
steps make the discretisation error of a minimum about 0.1% before refinement, and
the minimum of three points is refined by a parabola in log t). Finite-student seeds:
about 90 s of work per row (800 up to M_S = 800, 91 at 1,600, 16 at 3,200); infinite-
width seeds: 3,200.

* L_S(t): the mean over the ``n`` seeds has a per-seed spread of 20-50% (mostly the
  teacher's draw), so it is corrected by a *control variate*: the infinite-width
  student of the same teacher at the same time, ``X = L_S^inf(t)``, whose mean is known
  from all ``N`` seeds (correlation with ``Y = L_S^{M_S}(t)``: 0.5-0.999 at t*).
  With ``f = n/N`` and ``beta = cov(X, Y)/var(X)`` from the ``n`` pairs,

      Yhat = mean_n(Y) - beta (1 - f) (mean_n(X) - mean_rest(X)),
      se^2 = var(Y - beta (1-f) X) / n + (beta (1-f))^2 var(X) / (N - n),

  the two means being over disjoint seeds (``rest``: the ``N - n`` seeds without a
  finite student). ``Yhat`` is unbiased up to O(1/n) (``beta`` estimated), whatever the
  correlation; the plain mean's gap and standard error are printed beside it
  (``plain gap t*``) to show the gain.
* min_t L_S (the theory's ``optimal_student_risk`` is ``min_t E L_S(t)``): the minimum
  over the grid of the corrected mean curve ``Yhat(t)``, parabola-refined; its standard
  error is that of ``Yhat`` at the minimising grid time (the envelope theorem: the
  minimum moves to first order only with the curve's value there). "per-seed min" is the
  other natural quantity, the mean over seeds of each seed's own minimum over the grid,
  ``E min_t L_S``, which is *below* ``min_t E L_S`` (each seed stopped at its own best
  time); it is corrected the same way with ``X`` = the infinite-width student's own
  per-seed minimum over the same grid. The difference of the two estimates shows how
  much a per-network choice of t gains.

The second table splits the gap at t* into ``inherited``, the infinite-width student's
error at the same time (same teachers, all ``N`` seeds: the error of the theory of
``THEORY.md`` section 3, carried over), and ``own``, the error of the finite-width
increment ``mean(L^{M_S} - L^inf) - (theory^{M_S} - theory^inf)`` over the paired seeds
(what the equivalent of section 3b is responsible for), both relative to the
finite-width theory. Its column "known 1/M_S" is the term by which the exact large-width
expansion of
``E exp(-t K_S)`` differs from the equivalent's (``docs/finite_width_student.md``,
section 3d'): ``sigma lambda_k^2 D_t(lambda_k, lambda_k) / M_S`` per block,
``sigma = -1`` on the sphere, ``+1`` for Gaussian features, propagated to L_S(t*) and
divided by the theory's L_S(t*).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

RATIOS = (2, 4, 8, 16, 32)
GRID = 2.0 ** (np.arange(-24, 25) / 8)          # t / t*, a factor 8 either side
REPORT = (-16, 0, 16)                           # grid offsets of t*/4, t*, 4 t*


# -- settings ---------------------------------------------------------------------------

def linear_power_law(D=400, alpha=1.5, beta=2.5):
    """Variances i^-alpha, linear target with energies B_i = i^-beta."""
    i = np.arange(1, D + 1, dtype=float)
    theta = i ** ((alpha - beta) / 2)
    return dict(variances=[float(v) for v in i ** -alpha],
                target="linear:" + ",".join(f"{x:.17g}" for x in theta))


def linear_spiked(D=400, spikes=(1.0, 0.5, 0.25, 0.125), bulk=0.01, bulk_energy=0.5):
    """A few large variances over a flat bulk; the target has energy lambda_i on each
    spike (theta_i = 1) and ``bulk_energy`` spread evenly over the bulk."""
    nb = D - len(spikes)
    var = list(spikes) + [bulk] * nb
    th_b = math.sqrt(bulk_energy / nb / bulk)
    theta = [1.0] * len(spikes) + [th_b] * nb
    return dict(variances=[float(v) for v in var],
                target="linear:" + ",".join(f"{x:.17g}" for x in theta))


CASES = {
    "relu10": ("relu, d = 10, degree:1",
               dict(activation="relu", dim=10, target="degree:1"), (25, 50, 100)),
    "relu20": ("relu, d = 20, degree:1",
               dict(activation="relu", dim=20, target="degree:1"), (25, 50, 100)),
    "relu30": ("relu, d = 30, degree:1",
               dict(activation="relu", dim=30, target="degree:1"), (25, 50, 100)),
    "relu10si": ("relu, d = 10, single-index:relu",
                 dict(activation="relu", dim=10, target="single-index:relu"),
                 (25, 50, 100)),
    "powerlaw": ("linear features, variances i^-1.5, D = 400, B_i = i^-2.5",
                 linear_power_law(), (8, 16, 32, 64)),
    "spiked": ("linear features, spikes 1, 1/2, 1/4, 1/8 over 396 x 0.01, "
               "B = 1.875 on the spikes + 0.5 on the bulk",
               linear_spiked(), (8, 16, 32, 64)),
}


def student_widths(kw, M_T, max_width):
    """M_S = 2 ... 32 M_T, capped by ``max_width`` and, for a finite spectrum, by its
    number of directions (the largest allowed width then closes the list)."""
    cap = max_width
    if "variances" in kw:
        cap = min(cap, len(kw["variances"]))
    out = [r * M_T for r in RATIOS if r * M_T <= cap]
    if "variances" in kw and out and out[-1] < cap and 2 * M_T * RATIOS[-1] > cap \
            and cap <= max_width:
        out.append(cap)
    return out


def seeds_for(M_S, scale=1.0, budget=90.0):
    """Finite-student seeds: about ``budget`` seconds per row (a seed costs about
    2.4e-10 M_S^3 s plus a few ms here: 7.8 s at 3,200, 1 s at 1,600), between 16 and
    800 seeds."""
    cost = 2.4e-10 * M_S ** 3 + 0.004
    return max(4, int(round(scale * min(800, max(16, budget / cost)))))


# -- estimators -------------------------------------------------------------------------

def control_variate(Y, Xn, XR):
    """Mean of Y (n seeds) corrected by the control X (the same n seeds, plus XR on
    disjoint seeds). Y, Xn: (n, T); XR: (N - n, T). Returns (estimate, se, plain se)."""
    Y, Xn, XR = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (Y, Xn, XR))
    n, m = len(Y), len(XR)
    f = n / (n + m)
    vx = Xn.var(axis=0, ddof=1)
    cov = ((Y - Y.mean(0)) * (Xn - Xn.mean(0))).sum(0) / (n - 1)
    beta = np.where(vx > 0, cov / np.where(vx > 0, vx, 1), 0.0)
    b = beta * (1 - f)
    est = Y.mean(0) - b * (Xn.mean(0) - XR.mean(0))
    var = (Y - b * Xn).var(axis=0, ddof=1) / n + b ** 2 * XR.var(axis=0, ddof=1) / m
    plain = Y.std(axis=0, ddof=1) / math.sqrt(n)
    return est, np.sqrt(var), plain


def refined_min(y, log_t):
    """Minimum of samples ``y`` on an even grid ``log_t``, refined by the parabola
    through the minimum and its neighbours. Returns (value, index, at_edge)."""
    j = int(np.argmin(y))
    if j == 0 or j == len(y) - 1:
        return float(y[j]), j, True
    y0, y1, y2 = y[j - 1], y[j], y[j + 1]
    curv = y0 - 2 * y1 + y2
    if curv <= 0:
        return float(y1), j, False
    return float(y1 - (y0 - y2) ** 2 / (8 * curv)), j, False


def per_seed_min(L, log_t):
    """Each seed's refined minimum over the grid, and how many sit on an edge."""
    out = [refined_min(row, log_t) for row in L]
    return np.array([v for v, _, _ in out]), sum(e for _, _, e in out)


# -- the known 1/M_S term (docs/finite_width_student.md, section 3d') -------------------

def known_term(curve, t, M_S, sigma, K=300):
    """``sum_k [2((1-s_k)B_k - V_k) de_k(t) + V_k de_k(2t)]`` with
    ``de_k(t) = sigma (t lambda_k)^2 exp(-t lambda_k) / (2 M_S)``."""
    sp, bt = curve.setting.spectrum, curve.setting.bound_target
    if sp.n_blocks is not None:
        K = min(K, sp.n_blocks)
    b = sp.blocks(K)
    lam, N = np.exp(b.log_lam), np.exp(b.log_mult)
    log_a, sign = bt.amplitudes(K)
    B = np.exp(2 * np.asarray(log_a, dtype=float)) * (np.asarray(sign) != 0)
    nu = float(curve.nu_teacher)
    s = nu / (lam + nu)
    S = np.sum(lam * B / (lam + nu) ** 2)
    D2 = np.sum(N * lam ** 2 / (lam + nu) ** 2)
    F = nu ** 2 * N * lam / (lam + nu) ** 2 * S / (curve.teacher_width - D2)
    V = (1 - s) ** 2 * B + F

    def de(tt):
        x = tt * lam
        return sigma * 0.5 * x ** 2 * np.exp(-x) / M_S

    return float(np.sum(2 * ((1 - s) * B - V) * de(t) + V * de(2 * t)))


# -- one setting ------------------------------------------------------------------------

def _risk_curve(**kw):
    import w2s_theory as w2s

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", w2s.IrreducibleFloorWarning)
        return w2s.risk_curve(**kw)


def _simulate(**kw):
    import w2s_theory as w2s

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", w2s.IrreducibleFloorWarning)
        return w2s.simulate(workers=1, **kw)


def measure_teacher(kw, M_T, student_ws, n_inf, seed):
    """Theories, the infinite-width simulation on the union of all grids, and the
    infinite-width reference row."""
    t0 = time.perf_counter()
    th_inf = _risk_curve(**kw, teacher_width=M_T, times=[])
    grids = {None: float(th_inf.optimal_time) * GRID}
    th_fin = {}
    for M_S in student_ws:
        th_fin[M_S] = _risk_curve(**kw, teacher_width=M_T, student_width=M_S, times=[])
        grids[M_S] = float(th_fin[M_S].optimal_time) * GRID
    union = np.unique(np.concatenate(list(grids.values())))
    t_theory = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = _simulate(**kw, teacher_width=M_T, times=list(union), seeds=n_inf, seed=seed)
    L = np.array([run.student_risk for run in r.runs])            # (N, union)
    LT = np.array([run.teacher_risk for run in r.runs])
    th_union = np.array([float(x) for x in r.theory.student_risk])
    col = {float(t): i for i, t in enumerate(union)}
    out = dict(theory_inf=th_inf, theory_fin=th_fin, grids=grids, L_inf=L, col=col,
               teacher=(LT.mean(), LT.std(ddof=1) / math.sqrt(len(LT)),
                        float(th_inf.teacher_risk)),
               theory_union=th_union, seconds_inf=time.perf_counter() - t0,
               seconds_theory=t_theory,
               truncation=max(r.diagnostics.get("truncation_bound", [0.0])))
    # the infinite-width reference: plain means over all N seeds
    idx = [col[float(t)] for t in grids[None]]
    Li = L[:, idx]
    th = th_union[idx]
    log_t = np.log(grids[None])
    mean, se = Li.mean(0), Li.std(0, ddof=1) / math.sqrt(len(Li))
    cmin, j, edge = refined_min(mean, log_t)
    pmin, pedge = per_seed_min(Li, log_t)
    opt = float(th_inf.optimal_student_risk)
    out["inf_row"] = dict(
        seeds=len(Li), t_star=float(th_inf.optimal_time), L_opt=opt,
        at=[(mean[k] - th[k]) / th[k] for k in (24 + o for o in REPORT)],
        at_se=[se[k] / th[k] for k in (24 + o for o in REPORT)],
        cmin=(cmin - opt) / opt, cmin_se=se[j] / opt, cmin_edge=edge,
        pmin=(pmin.mean() - opt) / opt,
        pmin_se=pmin.std(ddof=1) / math.sqrt(len(pmin)) / opt,
        pmin_edges=pedge, argmin=math.exp(log_t[j]) / float(th_inf.optimal_time))
    return out


def measure_student(kw, M_T, M_S, n, seed, base, save=None):
    """The finite student of width M_S on ``n`` seeds, against the theory."""
    grid = base["grids"][M_S]
    t0 = time.perf_counter()
    r = _simulate(**kw, teacher_width=M_T, student_width=M_S, times=list(grid),
                  seeds=n, seed=seed)
    seconds = time.perf_counter() - t0
    Y = np.array([run.student_risk for run in r.runs])             # (n, 49)
    idx = [base["col"][float(t)] for t in grid]
    X = base["L_inf"][:, idx]
    Xn, XR = X[:n], X[n:]
    th = np.array([float(x) for x in r.theory.student_risk])
    th_cmp = base["theory_fin"][M_S]
    opt = float(th_cmp.optimal_student_risk)
    t_star = float(th_cmp.optimal_time)
    assert abs(float(r.theory.optimal_time) - t_star) <= 1e-9 * t_star
    est, se, plain = control_variate(Y, Xn, XR)
    log_t = np.log(grid)
    cmin, j, edge = refined_min(est, log_t)
    ymin, yedges = per_seed_min(Y, log_t)
    xmin, _ = per_seed_min(X, log_t)
    pest, pse, pplain = control_variate(ymin[:, None], xmin[:n, None], xmin[n:, None])
    sigma = 1.0 if "variances" in kw else -1.0
    known = known_term(th_cmp, t_star, M_S, sigma) / opt
    rho = [float(np.corrcoef(Y[:, k], Xn[:, k])[0, 1]) for k in (24 + o for o in REPORT)]
    # at t*: the plain mean, and the gap split into the infinite-width student's error at
    # the same time (same teachers, all N seeds) and the error of the finite-width
    # increment L^{M_S} - L^inf (paired over the n seeds)
    k = 24
    th_inf = base["theory_union"][idx[k]]
    Xall = X[:, k]
    inherited = (Xall.mean() - th_inf) / th[k]
    inherited_se = Xall.std(ddof=1) / math.sqrt(len(Xall)) / th[k]
    inc = Y[:, k] - Xn[:, k]
    own = (inc.mean() - (th[k] - th_inf)) / th[k]
    own_se = inc.std(ddof=1) / math.sqrt(n) / th[k]
    plain_gap = (Y[:, k].mean() - th[k]) / th[k]
    if save is not None:
        np.savez(save, Y=Y, X=X, grid=grid, theory=th,
                 theory_inf=base["theory_union"][idx],
                 t_star=t_star, L_opt=opt, n=n)
    return dict(
        M_S=M_S, seeds=n, t_star=t_star, L_opt=opt,
        ceiling=float(th_cmp.student_ceiling_risk),
        at=[(est[k] - th[k]) / th[k] for k in (24 + o for o in REPORT)],
        at_se=[se[k] / th[k] for k in (24 + o for o in REPORT)],
        at_plain=[plain[k] / th[k] for k in (24 + o for o in REPORT)],
        cmin=(cmin - opt) / opt, cmin_se=se[j] / opt, cmin_edge=edge,
        argmin=math.exp(log_t[j]) / t_star,
        pmin=(float(pest[0]) - opt) / opt, pmin_se=float(pse[0]) / opt,
        pmin_plain=float(pplain[0]) / opt, pmin_edges=yedges, rho=rho, known=known,
        plain_gap=plain_gap, inherited=inherited, inherited_se=inherited_se, own=own,
        own_se=own_se, increment_theory=(th[k] - th_inf) / th[k],
        seconds=seconds, per_seed=np.mean([run.seconds["student"] for run in r.runs]),
        error_bound=max(float(v) for v in th_cmp.error_bound.values()))


# -- printing ---------------------------------------------------------------------------

def pc(g, s=None):
    return f"{100 * g:+.1f}" if s is None else f"{100 * g:+.1f} ± {100 * s:.1f}"


def print_case(name, label, kw, teacher_widths, args):
    print(f"\n### {label}\n", flush=True)
    head = ["M_T", "M_S", "seeds", "t* (theory)", "L_S(t*) theory", "gap t*/4", "gap t*",
            "gap 4t*", "gap min_t", "per-seed min"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    inf_rows, rows, notes = [], [], []
    for M_T in teacher_widths:
        widths = student_widths(kw, M_T, args.max_width)
        seed = args.seed + 7919 * M_T
        nmax = max([seeds_for(M, args.seed_scale) for M in widths] + [1])
        n_inf = max(args.inf_seeds, 4 * nmax)
        base = measure_teacher(kw, M_T, widths, n_inf, seed)
        inf_rows.append((M_T, base))
        for M_S in widths:
            save = None if args.save is None else f"{args.save}/{name}_{M_T}_{M_S}.npz"
            row = measure_student(kw, M_T, M_S, seeds_for(M_S, args.seed_scale), seed,
                                  base, save)
            rows.append((M_T, row))
            cells = [str(M_T), str(M_S), str(row["seeds"]), f"{row['t_star']:.4g}",
                     f"{row['L_opt']:.4g}"]
            cells += [pc(g, s) for g, s in zip(row["at"], row["at_se"])]
            edge = " (edge)" if row["cmin_edge"] else ""
            cells += [pc(row["cmin"], row["cmin_se"]) + edge,
                      pc(row["pmin"], row["pmin_se"])]
            print("| " + " | ".join(cells) + " |", flush=True)
            notes.append(f"M_T = {M_T}, M_S = {M_S}: {row['seconds']:.1f} s "
                         f"({row['per_seed']:.2f} s per seed), corr(Y, X) at t*/4, t*, "
                         "4t* " + ", ".join(f"{x:.3f}" for x in row["rho"])
                         + f"; curve argmin at {row['argmin']:.3g} t*; per-seed minima "
                         f"on the grid's edge: {row['pmin_edges']}; plain se of per-seed "
                         f"min {100 * row['pmin_plain']:.1f}%; theory error bound "
                         f"{row['error_bound']:.1e}")
        notes.append(f"M_T = {M_T}: infinite-width run {n_inf} seeds, "
                     f"{base['seconds_inf']:.1f} s; theories "
                     f"{base['seconds_theory']:.1f} s; largest truncation bound "
                     f"{base['truncation']:.1e}")
    print("\nAt t*: the plain mean; the gap split into the infinite-width student's "
          "error at the same t (same teachers) and the error of the finite-width "
          "increment L^{M_S} - L^inf (paired seeds), both relative to the finite-width "
          "theory; the theory's increment; the known 1/M_S term; corr(Y, X):\n")
    head = ["M_T", "M_S", "plain gap t*", "inherited (inf. student)", "own (increment)",
            "increment (theory)", "known 1/M_S", "corr"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for M_T, row in rows:
        cells = [str(M_T), str(row["M_S"]), pc(row["plain_gap"], row["at_plain"][1]),
                 pc(row["inherited"], row["inherited_se"]), pc(row["own"], row["own_se"]),
                 f"{100 * row['increment_theory']:+.0f}", f"{100 * row['known']:+.2f}",
                 f"{row['rho'][1]:.3f}"]
        print("| " + " | ".join(cells) + " |", flush=True)
    print("\nInfinite-width student (reference; plain means over all seeds):\n")
    head = ["M_T", "seeds", "L_T gap", "t*_inf", "L_S(t*) theory", "gap t*/4", "gap t*",
            "gap 4t*", "gap min_t", "per-seed min"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for M_T, base in inf_rows:
        row = base["inf_row"]
        m, s, th = base["teacher"]
        cells = [str(M_T), str(row["seeds"]), pc((m - th) / th, s / th),
                 f"{row['t_star']:.4g}", f"{row['L_opt']:.4g}"]
        cells += [pc(g, e) for g, e in zip(row["at"], row["at_se"])]
        edge = " (edge)" if row["cmin_edge"] else ""
        cells += [pc(row["cmin"], row["cmin_se"]) + edge, pc(row["pmin"], row["pmin_se"])]
        print("| " + " | ".join(cells) + " |", flush=True)
    print()
    for line in notes:
        print(f"<!-- {line} -->", flush=True)


def timing_8000(args):
    """One seed of the exact simulation at M_S = 8,000 against the theory."""
    kw = dict(activation="relu", dim=10, target="degree:1")
    M_T, M_S = 100, args.timing_width
    t0 = time.perf_counter()
    th = _risk_curve(**kw, teacher_width=M_T, student_width=M_S, times=[])
    t_first = time.perf_counter() - t0
    times = [float(th.optimal_time) * x for x in (0.25, 1.0, 4.0)]
    t0 = time.perf_counter()
    th2 = _risk_curve(**kw, teacher_width=M_T, student_width=M_S, times=times)
    t_theory = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = _simulate(**kw, teacher_width=M_T, student_width=M_S, times=times, seeds=1,
                  seed=args.seed)
    t_sim = time.perf_counter() - t0
    st = r.diagnostics["student_seconds"]
    print(f"\n### Cost at M_S = {M_S} (relu, d = 10, degree:1, M_T = {M_T})\n")
    print(f"theory (t* search, L_S(t*), ceiling): {t_first:.2f} s; with L_S at "
          f"t*/4, t*, 4t* and t*: {t_theory:.2f} s")
    print(f"exact simulation, one seed (workers = 1, one BLAS thread): {t_sim:.1f} s "
          f"(Gram {st['gram']:.1f} s, eigendecomposition {st['eigen']:.1f} s, "
          f"student total {st['total']:.1f} s; the call includes its own theory)")
    print("L_S at t*/4, t*, 4t*: simulation (one seed) "
          + ", ".join(f"{s.mean:.4g}" for s in r.student_risk) + "; theory "
          + ", ".join(f"{float(x):.4g}" for x in th2.student_risk))
    return t_sim, t_theory


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="relu d = 10 and the power-law case, their two smallest M_T, "
                        "M_S <= 800, a quarter of the seeds, no M_S = 8,000 timing")
    p.add_argument("--cases", default=None, help=",".join(CASES))
    p.add_argument("--max-width", type=int, default=3200)
    p.add_argument("--seed-scale", type=float, default=1.0)
    p.add_argument("--inf-seeds", type=int, default=3000,
                   help="seeds of the infinite-width run (the control's mean)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--timing-width", type=int, default=8000)
    p.add_argument("--no-timing", action="store_true")
    p.add_argument("--timing-only", action="store_true",
                   help="only the M_S = 8,000 timing (in a fresh process: the theory's "
                        "first call builds its tables)")
    p.add_argument("--save", default=None,
                   help="directory for the raw per-seed risks (npz)")
    args = p.parse_args(argv)
    names = list(CASES) if args.cases is None else args.cases.split(",")
    if args.timing_only:
        names, args.no_timing = [], False
    if args.quick:
        names = ["relu10", "powerlaw"] if args.cases is None else names
        args.max_width = min(args.max_width, 800)
        args.seed_scale *= 0.25
        args.inf_seeds = min(args.inf_seeds, 400)
        args.no_timing = True
    from w2s_theory._src.simulation.runner import blas_threads

    total = time.perf_counter()
    print("Relative gap (simulation - theory)/theory in %, ± the standard error of the "
          "simulation's estimate (relative to the theory); see the module docstring for "
          "the estimators.")
    with blas_threads(1):
        for name in names:
            label, kw, tws = CASES[name]
            if args.quick:
                tws = tws[:2]
            print_case(name, label, kw, tws, args)
        if not args.no_timing:
            timing_8000(args)
    print(f"\n(total {time.perf_counter() - total:.0f} s)")


if __name__ == "__main__":
    main()
