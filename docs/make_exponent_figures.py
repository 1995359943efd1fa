"""Regenerate the numbers and the figure of docs/exponents.md (issue 12 item 4): the
exponent of the optimally stopped student's risk against the teacher's along scaling
paths, and what it says about the seed paper's rate L_S = O~(L_T^1.49) for ReLU.

    python docs/make_exponent_figures.py            # about 6 minutes on 2 shared cores

prints every number of the page (Markdown tables, in the page's order) and writes
``docs/img/exponents.png``. All risks are the deterministic equivalents of the engine
(``exponent_path`` over ``risk_curve``), in float64.
"""

from __future__ import annotations

import math
import os
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from w2s_theory import exponent_path, risk_curve  # noqa: E402
from w2s_theory._src.targets import IrreducibleFloorWarning  # noqa: E402

from _markdown import g, section, table  # noqa: E402  (docs/_markdown.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img")
NETWORK = "network:relu,width=64,seed=0,standardize"
DIMS = [20, 40, 100, 316, 1000, 3162, 10000, 31623, 100000]
KAPPAS = ["1.25", "1.5", "1.75", "2.5", "3", "3.5", "4.5", "5.5"]




def pm(e, err):
    if e is None:
        return "-"
    return f"{float(e):.5f} ± {float(err):.0e}"






def degree_one():
    section("1. Degree-1 target, ReLU features on the sphere, infinitely wide student")
    paths = {}
    for k in KAPPAS:
        t0 = time.perf_counter()
        paths[k] = exponent_path(activation="relu", target="degree:1",
                                 path=f"M_T=d^{k}", dims=DIMS)
        print(f"<!-- kappa = {k}: {time.perf_counter() - t0:.0f} s, "
              f"{paths[k].evaluations} engine evaluations -->")
    show = [20, 100, 1000, 10000, 100000]
    rows = []
    for k, r in paths.items():
        idx = [r.dims.index(d) for d in show]
        a = r.asymptotic
        rows.append([k, *[f"{float(r.local_exponent[i]):.4f}" for i in idx],
                     f"{a['local_exponent'][idx[-1]]:.4f}", g(a["limit"]),
                     g(r.optimum_over_bound[idx[0]]), g(r.optimum_over_bound[idx[-1]], 6),
                     f"{max(float(x) for x in r.local_exponent_error):.0e}"])
    print(table(["kappa", *[f"e(d={d})" for d in show], "asymptotics e(10^5)", "limit",
                 "L_S/LB d=20", "L_S/LB d=10^5", "max error of e"], rows))
    r = paths["1.5"]
    print()
    rows = []
    for i, d in enumerate(r.dims):
        rows.append([d, r.teacher_widths[i], g(r.teacher_risk[i]),
                     g(r.optimal_student_risk[i]), g(r.optimal_time[i]),
                     g(r.optimum_over_bound[i]), pm(r.local_exponent[i],
                                                    r.local_exponent_error[i]),
                     f"{r.asymptotic['local_exponent'][i]:.5f}",
                     "-" if i == 0 else f"{float(r.secant_exponent[i - 1]):.5f}",
                     f"{float(r.global_exponent[i]):.4f}"])
    print(table(["d", "M_T", "L_T", "L_S(t*)", "t*", "L_S/LB", "e(d) (derivative)",
                 "asymptotics", "secant from previous d", "log L_S / log L_T"], rows))
    gaps = [float(x) - 2 for x in r.local_exponent]
    print("\ne(d) - 2 against d^(1 - kappa) = d^-1/2 at kappa = 1.5: "
          + ", ".join(f"d = {d}: {gp / d ** -0.5:.3f}" for d, gp in zip(r.dims, gaps)))
    return paths


def small_dims():
    section("2. Small dimensions: the exponent and the ratio log L_S / log L_T")
    rows = []
    for k in ("1.25", "1.5", "2.5"):
        r = exponent_path(activation="relu", target="degree:1", path=f"M_T=d^{k}",
                          dims=[4, 6, 8, 12, 16, 20], asymptotics=False)
        for i, d in enumerate(r.dims):
            rows.append([k, d, r.teacher_widths[i], g(r.teacher_risk[i]),
                         g(r.optimal_student_risk[i]),
                         f"{float(r.global_exponent[i]):.3f}",
                         pm(r.local_exponent[i], r.local_exponent_error[i]),
                         g(r.optimum_over_bound[i])])
    print(table(["kappa", "d", "M_T", "L_T", "L_S(t*)", "log L_S / log L_T", "e(d)",
                 "L_S/LB"], rows))


def gaussian_degree_one():
    section("3. Gaussian inputs, degree-1 target: the sphere's risks")
    kw = dict(activation="relu", target="degree:1", path="M_T=d^1.5",
              dims=[20, 100, 1000, 10000], derivative=False, asymptotics=False)
    s = exponent_path(**kw)
    gs = exponent_path(inputs="gaussian", **kw)
    worst = max(abs(float(a) / float(b) - 1) for a, b in
                zip(s.teacher_risk + s.optimal_student_risk,
                    gs.teacher_risk + gs.optimal_student_risk))
    print(f"largest relative difference of L_T and L_S(t*), sphere vs Gaussian inputs, "
          f"d = 20..10^4: {worst:.1e}")


def single_index():
    section("4. Single-index ReLU target relu(<beta, x>)")
    rows = []
    out = {}
    for k in ("1.25", "1.5", "2.5", "4.5"):
        r = exponent_path(activation="relu", target="single-index:relu",
                          path=f"M_T=d^{k}", dims=[20, 100, 1000, 10000, 100000])
        out[k] = r
        for i, d in enumerate(r.dims):
            rows.append([k, d, g(float(r.teacher_risk[i]) / float(r.target_energy[i])),
                         g(float(r.optimal_student_risk[i]) / float(r.teacher_risk[i])),
                         pm(r.local_exponent[i], r.local_exponent_error[i]),
                         f"{r.asymptotic['local_exponent'][i]:.4f}",
                         f"{float(r.global_exponent[i]):.4f}"])
    print(table(["kappa", "d", "L_T/E", "L_S(t*)/L_T", "e(d)", "asymptotics",
                 "log(L_S/E)/log(L_T/E)"], rows))
    print(f"\nlimit from the asymptotics module: {out['1.5'].asymptotic['limit']:g} "
          f"({out['1.5'].asymptotic['note']})")
    r = exponent_path(activation="relu", target="single-index:relu", inputs="gaussian",
                      path="M_T=d^1.5", dims=[20, 100, 1000, 10000])
    print("\nGaussian inputs (E = 1/2 at every d), kappa = 1.5:\n")
    rows = [[d, g(r.teacher_risk[i]), g(float(r.optimal_student_risk[i])
                                        / float(r.teacher_risk[i])),
             g(r.local_exponent[i], 4)] for i, d in enumerate(r.dims)]
    print(table(["d", "L_T", "L_S(t*)/L_T", "e(d)"], rows))
    print("\n" + "\n".join(f"note: {n}" for n in r.notes))
    print(f"asymptotics: {r.asymptotic['note']}")
    return out


def network():
    section(f"5. The paper's network target ({NETWORK})")
    rows = []
    for inputs in ("sphere", "gaussian"):
        for k in ("1.5", "2.5"):
            r = exponent_path(activation="relu", inputs=inputs, target=NETWORK,
                              path=f"M_T=d^{k}", dims=[32, 64, 128, 256, 512, 1024],
                              derivative=False)
            for i, d in enumerate(r.dims):
                rows.append([inputs, k, d, r.teacher_widths[i], g(r.teacher_risk[i]),
                             g(r.optimal_student_risk[i]),
                             g(float(r.optimal_student_risk[i]) / float(r.teacher_risk[i])),
                             "-" if i == 0 else g(r.secant_exponent[i - 1], 3),
                             g(r.floor[i], 3)])
    print(table(["inputs", "kappa", "d", "M_T", "L_T", "L_S(t*)", "L_S/L_T",
                 "secant", "floor"], rows))


def finite_student():
    section("6. A student of width M_S = d^gamma (the paper's d^1.25, and wider)")
    rows = []
    out = {}
    for k, gm in (("1.1", "1.25"), ("1.2", "1.25"), ("1.5", "1.25"), ("1.5", "2"),
                  ("1.5", "2.5"), ("1.5", "3")):
        r = exponent_path(activation="relu", target="degree:1",
                          path=f"M_T=d^{k},M_S=d^{gm}", dims=[100, 1000, 10000, 100000],
                          asymptotics=False)
        out[(k, gm)] = r
        pred = min(2.0, (float(gm) - 1) / (float(k) - 1))
        for i, d in enumerate(r.dims):
            ls = float(r.optimal_student_risk[i])
            rows.append([k, gm, d, r.student_widths[i], g(r.teacher_risk[i]), g(ls),
                         g(r.student_ceiling_risk[i]),
                         pm(r.local_exponent[i], r.local_exponent_error[i]),
                         f"{pred:g}", g(r.optimum_over_bound[i]),
                         g(ls / max(float(r.lower_bound[i]),
                                    float(r.student_ceiling_risk[i])))])
    print(table(["kappa", "gamma", "d", "M_S", "L_T", "L_S(t*)", "ceiling L_ceil",
                 "e(d)", "min(2, (gamma-1)/(kappa-1))", "L_S/LB",
                 "L_S/max(LB, L_ceil)"], rows))
    return out


def fixed_dim():
    section("7. Fixed dimension, growing teacher (asymptotics (a))")
    rows = []
    for d, targets in ((3, ("degree:1", "single-index:relu", NETWORK)),
                       (8, ("degree:1", "single-index:relu", NETWORK))):
        for tgt in targets:
            prev = None
            for M in (10**2, 10**3, 10**4, 10**5, 10**6):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", IrreducibleFloorWarning)
                    c = risk_curve(activation="relu", dim=d, target=tgt, teacher_width=M)
                lt, ls = float(c.teacher_risk), float(c.optimal_student_risk)
                sec = "-" if prev is None else \
                    f"{math.log(ls / prev[1]) / math.log(lt / prev[0]):.3f}"
                rows.append([d, tgt.split(",")[0] if tgt != NETWORK else "network",
                             M, g(lt), g(ls), g(ls / lt), sec])
                prev = (lt, ls)
    print(table(["d", "target", "M_T", "L_T", "L_S(t*)", "L_S/L_T", "secant"], rows))


def power_law():
    section("8. Linear features with a power-law covariance (d = number of coordinates)")
    rows = []
    alpha = 1.5

    def heuristic(beta):
        """The scaling argument of docs/exponents.md section 8 (not derived in the
        package): e -> 1 for beta < alpha + 1, else min(2, (1 + 2 alpha)(beta - 1) /
        (alpha (beta + alpha)))."""
        if beta < alpha + 1:
            return 1.0
        return min(2.0, (1 + 2 * alpha) * (beta - 1) / (alpha * (beta + alpha)))

    for beta in ("2", "3", "4", "6"):
        r = exponent_path(power_law="1.5", target=f"power-law:{beta}", path="M_T=d^0.5",
                          dims=[1000, 4000, 16000])
        for i, d in enumerate(r.dims):
            rows.append([beta, d, r.teacher_widths[i], g(r.teacher_risk[i]),
                         g(float(r.optimal_student_risk[i]) / float(r.teacher_risk[i])),
                         pm(r.local_exponent[i], r.local_exponent_error[i]),
                         f"{heuristic(float(beta)):.4f}", g(r.optimum_over_bound[i])])
    print(table(["beta", "d", "M_T", "L_T", "L_S(t*)/L_T", "e(d)", "scaling argument",
                 "L_S/LB"], rows))


def figure(paths, si, fs):
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.4))
    for i, k in enumerate(("1.25", "1.5", "2.5", "4.5")):
        r = paths[k]
        ax.semilogx(r.dims, [float(x) for x in r.local_exponent], "o-", color=f"C{i}",
                    ms=4, label=f"degree 1, M_T = d^{k}")
        ax.semilogx(r.dims, r.asymptotic["local_exponent"], "--", color=f"C{i}", lw=1)
        bx.loglog(r.dims, [float(x) - 1 for x in r.optimum_over_bound], "o-",
                  color=f"C{i}", ms=4, label=f"degree 1, M_T = d^{k}")
    r = si["1.5"]
    ax.semilogx(r.dims, [float(x) for x in r.local_exponent], "s-", color="C4", ms=4,
                label="single-index relu, M_T = d^1.5")
    r = fs[("1.2", "1.25")]
    ax.semilogx(r.dims, [float(x) for x in r.local_exponent], "^-", color="C5", ms=5,
                label="degree 1, M_T = d^1.2, M_S = d^1.25")
    ax.axhline(1.25, color="C5", ls="-.", lw=0.7)
    ax.text(1.05e5, 1.27, "1.25 = (gamma-1)/(kappa-1)", fontsize=7, ha="right", color="C5")
    r = fs[("1.5", "2")]
    bx.loglog(r.dims, [float(x) - 1 for x in r.optimum_over_bound], "^-", color="C5",
              ms=5, label="degree 1, M_T = d^1.5, M_S = d^2")
    for y, style, text in ((2, "k-", "2 (quadratic bound)"), (1.49, "k:", "1.49 (paper)"),
                           (1, "k-", "1")):
        ax.axhline(y, color="k", ls="-" if style == "k-" else ":", lw=0.7)
        ax.text(1.05e5, y + 0.02, text, fontsize=7, ha="right")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("local exponent  d log L_S(t*) / d log L_T")
    ax.set_title("exponent along M_T = d^kappa (dashed: asymptotics)", fontsize=9)
    ax.set_ylim(0.8, 2.8)
    ax.legend(fontsize=7, loc="upper right")
    bx.set_xlabel("dimension d")
    bx.set_ylabel("L_S(t*) / bound - 1")
    bx.set_title("optimum over the section-4 bound (float64: rounding below 1e-13)",
                 fontsize=9)
    bx.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(IMG, "exponents.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {os.path.relpath(path, ROOT)}")


def main():
    t0 = time.perf_counter()
    paths = degree_one()
    small_dims()
    gaussian_degree_one()
    si = single_index()
    network()
    fs = finite_student()
    fixed_dim()
    power_law()
    figure(paths, si, fs)
    print(f"\n<!-- total {time.perf_counter() - t0:.0f} s -->")


if __name__ == "__main__":
    main()
