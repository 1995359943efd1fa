"""Regenerate every figure and number of docs/user_guide.md and of the README.

Run from anywhere (the repository root is found from this file's location):

    python docs/make_user_guide_figures.py            # everything (about a minute)
    python docs/make_user_guide_figures.py --no-cli   # skip the command-line examples

It writes the pictures into ``docs/img/``

* ``report_risk_vs_time.png`` - copied from a run of the default ``w2s report``
  (the README's picture);
* ``guide_risk_vs_time.png``  - section 1 of the guide (the student beats its teacher);
* ``guide_convergence.png``   - section 2 (trained to convergence the gain vanishes);
* ``guide_limit.png``         - section 3 (L_S(t*) against L_T and the lower bound);
* ``guide_settings.png``      - section 4 (widths, dimension, activation, target);
* ``guide_linear_powerlaw.png`` - section 5 (linear features, power-law spectrum);

and prints, section by section, every number the guide and the README quote (tables in
Markdown), including the output of each ``w2s`` command shown there. Everything is
computed by the installed package ``w2s_theory``; the exact simulations use fixed
seeds, so a rerun prints the same numbers. The simulations run on one process
(``workers=1``), so the script behaves on a shared machine.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import w2s_theory as w2s  # noqa: E402
from w2s_theory import (IrreducibleFloorWarning, LinearGaussianSpectrum,  # noqa: E402
                        alpha_from_time, risk_curve, simulate, student_bound,
                        student_lower_bound)

from _markdown import g  # noqa: E402  (docs/_markdown.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img")
INF = float("inf")
C_STUDENT, C_TEACHER, C_STAR, C_BOUND, C_FINITE = "C0", "C3", "C2", "0.35", "C1"
DPI = 110


# --------------------------------------------------------------------------------------
# helpers (g: docs/_markdown.py)


def md_table(headers, rows):
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---:" for _ in headers) + "|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    print()


def section(title):
    print()
    print("=" * 88)
    print(title)
    print("=" * 88)


def wins(curve):
    return ", ".join(f"({g(a)}, {g(b)})" for a, b in curve.win_intervals) or "none"


def run_cli(args):
    """Run ``w2s ARGS`` (as ``python -m w2s_theory._src.cli.main``) and print it."""
    cmd = [sys.executable, "-m", "w2s_theory._src.cli.main", *args]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    dt = time.perf_counter() - t0
    print("$ w2s " + " ".join(args) + f"        # {dt:.1f} s, exit status {out.returncode}")
    print(out.stdout.rstrip())
    if out.returncode != 0:
        print(out.stderr.rstrip())
    print()
    return out


def save(fig, name):
    path = os.path.join(IMG, name)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"[wrote docs/img/{name}]")


def errorbars(ax, x, summaries, **kw):
    m = np.array([s.mean for s in summaries], dtype=float)
    se = np.array([s.stderr or 0.0 for s in summaries], dtype=float)
    lower = np.minimum(se, m * (1 - 1e-9))
    ax.errorbar(x, m, yerr=[lower, se], fmt=kw.pop("fmt", "o"), ms=kw.pop("ms", 4),
                capsize=2, elinewidth=1, **kw)


# --------------------------------------------------------------------------------------
# README: the default report and the command-line examples

def readme_report():
    section("README: the default `w2s report` (picture: docs/img/report_risk_vs_time.png)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "w2s-report")
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "w2s_theory._src.cli.main", "report",
                              "--out", out, "--quiet", "--workers", "1"],
                             capture_output=True, text=True, cwd=tmp)
        dt = time.perf_counter() - t0
        print(f"$ w2s report --quiet --workers 1      # {dt:.1f} s (the defaults; "
              "--workers does not change the numbers)")
        print(res.stdout.rstrip())
        if res.returncode != 0:
            print(res.stderr)
            raise SystemExit("w2s report failed")
        shutil.copyfile(os.path.join(out, "risk_vs_time.png"),
                        os.path.join(IMG, "report_risk_vs_time.png"))
        print("[wrote docs/img/report_risk_vs_time.png]")
        print("files:", ", ".join(sorted(os.listdir(out))))


def readme_cli():
    section("README: one example per subcommand")
    run_cli(["spectrum", "--activation", "relu", "--dim", "6", "--max-degree", "6"])
    run_cli(["risk", "--activation", "relu", "--dim", "6", "--target", "degree:1",
             "--teacher-width", "100", "--time", "300,1000,10000,inf"])
    run_cli(["simulate", "--activation", "relu", "--dim", "6", "--target", "degree:1",
             "--teacher-width", "100", "--time", "1294.79,inf", "--seeds", "10", "--quiet"])
    run_cli(["bound", "--teacher-risk", "0.00148792", "--target-energy", "1"])
    run_cli(["latex", "student_lower_bound_alpha1", "--equation"])
    run_cli(["latex", "multiplicity", "--dim", "6", "--equation"])


def readme_api():
    section("README: the Python API example (the README's ```python block, run as is)")
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("```python\n") + len("```python\n")
    code = text[start:text.index("```", start)]
    exec(compile(code, "README.md (python block)", "exec"), {"__name__": "readme"})


# --------------------------------------------------------------------------------------
# Guide section 1: the student beats the teacher when stopped early

RUN = dict(activation="relu", dim=6, target="degree:1")   # the guide's running example
M_RUN = 100


def guide_1():
    section("Guide 1: stopped early, the student beats its teacher "
            "(relu, d = 6, degree:1, M_T = 100)")
    c = risk_curve(**RUN, teacher_width=M_RUN, times=[])
    t_star = float(c.optimal_time)
    b1 = student_bound(c.teacher_risk, c.target_energy)
    lam_max = math.exp(max(float(x) for x in
                           w2s.SphereSpectrum("relu", 6).blocks(10).log_lam))
    a_star = alpha_from_time(t_star, lam_max)
    lb_star = student_lower_bound(c.teacher_risk, c.target_energy, a_star)
    md_table(["quantity", "value"], [
        ["nu (teacher)", g(c.nu_teacher)],
        ["L_T", g(c.teacher_risk)],
        ["t*", g(t_star)],
        ["L_S(t*)", g(c.optimal_student_risk)],
        ["gain L_T - L_S(t*)", g(c.optimal_gain)],
        ["PGR(t*)", g(c.optimal_pgr)],
        ["student beats teacher for t in", wins(c)],
        ["lower bound, alpha = 1", g(b1.lower_bound)],
        ["L_S(t*) / bound", g(c.optimal_student_risk / b1.lower_bound, 3)],
        ["PGR upper bound, alpha = 1", g(b1.pgr_upper_bound)],
        ["lambda_max", g(lam_max)],
        ["exp(-t* lambda_max) = 1 - alpha(t*)", g(math.exp(-t_star * lam_max), 3)],
        ["lower bound, alpha(t*)", g(lb_star)],
    ])

    # theory on a fine grid, simulations on a coarse one
    grid = np.logspace(-1, 9, 401)
    th = risk_curve(**RUN, teacher_width=M_RUN, times=list(grid))
    t_sim = sorted([float(x) for x in np.logspace(0, 8, 9)] + [t_star])
    t0 = time.perf_counter()
    s_inf = simulate(**RUN, teacher_width=M_RUN, times=t_sim + [INF], seeds=10, workers=1)
    t1 = time.perf_counter()
    s_fin = simulate(**RUN, teacher_width=M_RUN, student_width=1000, times=t_sim + [INF],
                     seeds=5, workers=1)
    t2 = time.perf_counter()
    print(f"exact simulations: infinite student 10 seeds {t1 - t0:.1f} s, "
          f"student width 1000 5 seeds {t2 - t1:.1f} s\n")
    th_sim = risk_curve(**RUN, teacher_width=M_RUN, times=t_sim + [INF])
    rows = []
    for t, ls, si, sf in zip(t_sim + [INF], th_sim.student_risk, s_inf.student_risk,
                             s_fin.student_risk):
        rows.append([g(t), g(ls), f"{g(si.mean)} ± {g(si.stderr, 2)}",
                     f"{g(sf.mean)} ± {g(sf.stderr, 2)}"])
    rows.append(["teacher L_T", g(c.teacher_risk),
                 f"{g(s_inf.teacher_risk.mean)} ± {g(s_inf.teacher_risk.stderr, 2)}",
                 f"{g(s_fin.teacher_risk.mean)} ± {g(s_fin.teacher_risk.stderr, 2)}"])
    md_table(["t", "L_S(t) theory", "simulated, M_S = inf (10 seeds)",
              "simulated, M_S = 1000 (5 seeds)"], rows)

    fig, ax = plt.subplots(figsize=(7.2, 4.6), layout="constrained")
    (a, b), = c.win_intervals
    ax.axvspan(float(a), grid[-1], color=C_STAR, alpha=0.09, lw=0,
               label="student beats teacher")
    ax.plot(grid, th.student_risk, color=C_STUDENT, lw=2,
            label=r"student $L_S(t)$, theory ($M_S=\infty$)")
    ax.axhline(c.teacher_risk, color=C_TEACHER, ls="--", lw=1.5, label=r"teacher $L_T$")
    ax.plot(grid, th.lower_bound, color=C_BOUND, ls=":", lw=1.5,
            label=r"lower bound on $L_S(t)$ ($\alpha(t)$)")
    errorbars(ax, t_sim, s_inf.student_risk[:-1], color=C_STUDENT, mfc="white",
              label=r"simulated, $M_S=\infty$ (10 seeds)")
    errorbars(ax, t_sim, s_fin.student_risk[:-1], color=C_FINITE, fmt="s", ms=3.5,
              label=r"simulated, $M_S=1000$ (5 seeds)")
    ax.axvline(t_star, color=C_STAR, ls="-.", lw=1.2)
    ax.plot([t_star], [c.optimal_student_risk], "*", color=C_STAR, ms=14,
            label=rf"$t^* = {t_star:.0f}$, $L_S(t^*) = {c.optimal_student_risk:.2g}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(1e-6, 2)
    ax.set_xlabel("training time $t$ of the student")
    ax.set_ylabel("population risk")
    ax.set_title("relu features, $d = 6$, degree-1 target, teacher width $M_T = 100$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    save(fig, "guide_risk_vs_time.png")
    return c


# --------------------------------------------------------------------------------------
# Guide section 2: trained to convergence the gain vanishes

def guide_2():
    section("Guide 2: trained to convergence, the gain vanishes (relu, d = 6, degree:1)")
    widths = [30, 100, 1000]
    mults = [1, 10, 100, 1e4, 1e6, 1e8]
    rows = []
    curves = {}
    for M in widths:
        c0 = risk_curve(**RUN, teacher_width=M, times=[])
        ts = [float(c0.optimal_time) * m for m in mults] + [INF]
        c = risk_curve(**RUN, teacher_width=M, times=ts)
        curves[M] = c
        G = float(c.optimal_gain)
        row = [M, g(c.teacher_risk), g(c.optimal_time)]
        for ls in c.student_risk[:-1]:
            row.append(f"{g(ls, 3)} ({100 * (c.teacher_risk - ls) / G:.3g} %)")
        row.append(g(c.student_risk[-1]))
        row.append(g(c.student_risk[-1] - c.teacher_risk, 2))
        rows.append(row)
    md_table(["M_T", "L_T", "t*"] + [("t*" if m == 1 else f"{m:g} t*") for m in mults]
             + ["L_S(inf)", "L_S(inf) - L_T"], rows)
    print("(each cell: L_S(t), and in brackets the share of the gain at t* still kept: "
          "(L_T - L_S(t)) / (L_T - L_S(t*)))\n")

    # simulation: per seed, the converged infinite-width student equals the teacher
    ts = [float(curves[100].optimal_time), INF]
    s = simulate(**RUN, teacher_width=100, times=ts, seeds=10, workers=1)
    diff = max(abs(a - b) for a, b in zip(s.student_risk[1].values, s.teacher_risk.values))
    print(f"exact simulation, M_T = 100, 10 seeds: max over seeds |L_S(inf) - L_T| = {diff:g}"
          f" (L_T = {g(s.teacher_risk.mean)}, L_S(t*) = {g(s.student_risk[0].mean)})")
    sf = simulate(**RUN, teacher_width=100, student_width=1000, times=ts, seeds=5,
                  workers=1)
    print(f"finite student M_S = 1000 (5 seeds): L_T = {g(sf.teacher_risk.mean)}, "
          f"L_S(t*) = {g(sf.student_risk[0].mean)}, L_S(inf) = {g(sf.student_risk[1].mean)}"
          f" ± {g(sf.student_risk[1].stderr, 2)}\n")

    grid = np.logspace(0, 16, 400)
    fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
    for i, M in enumerate(widths):
        c = risk_curve(**RUN, teacher_width=M, times=list(grid))
        rel = (c.teacher_risk - np.asarray(c.student_risk)) / c.teacher_risk
        ax.plot(grid, rel, color=f"C{i}", lw=2, label=rf"$M_T = {M}$")
        ax.plot([c.optimal_time], [c.optimal_gain / c.teacher_risk], "*", color=f"C{i}",
                ms=11)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_ylim(-0.5, 1.05)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("training time $t$ of the student")
    ax.set_ylabel(r"relative gain $(L_T - L_S(t))\,/\,L_T$")
    ax.set_title("relu, $d = 6$, degree-1 target: the gain peaks at $t^*$ (stars), "
                 "then decays to 0", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper right")
    save(fig, "guide_convergence.png")


# --------------------------------------------------------------------------------------
# Guide section 3: the limit L_S(t*) >~ L_T^2

def guide_3():
    section("Guide 3: the limit, L_S(t*) against L_T (relu, degree:1, widths 10 to 10^6)")
    widths = [int(round(x)) for x in np.logspace(1, 6, 11)]
    dims = [6, 10, 20]
    data = {}
    for d in dims:
        LT, LS, LB = [], [], []
        for M in widths:
            c = risk_curve(activation="relu", dim=d, target="degree:1", teacher_width=M,
                           times=[])
            LT.append(float(c.teacher_risk))
            LS.append(float(c.optimal_student_risk))
            LB.append(float(student_lower_bound(c.teacher_risk, c.target_energy)))
        data[d] = tuple(np.array(v) for v in (LT, LS, LB))
    for d in dims:
        LT, LS, LB = data[d]
        slope = np.r_[np.nan, np.diff(np.log(LS)) / np.diff(np.log(LT))]
        print(f"d = {d}")
        md_table(["M_T", "L_T", "L_S(t*)", "bound", "L_S(t*)/bound", "L_S(t*)/L_T^2",
                  "local slope"],
                 [[M, g(a), g(b), g(lb), g(b / lb, 3), g(b / a ** 2, 3),
                   "-" if np.isnan(s) else f"{s:.3f}"]
                  for M, a, b, lb, s in zip(widths, LT, LS, LB, slope)])

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    x = np.logspace(-16, 0, 300)
    ax.plot(x, x, color="k", ls=":", lw=1, label=r"$L_S = L_T$ (no gain)")
    ax.plot(x, student_lower_bound(x * (1 - 1e-12), 1.0), color=C_BOUND, ls="--", lw=1.5,
            label=r"lower bound $(\sqrt{L_T + F^2/4} - F/2)^2 \approx L_T^2$")
    for i, d in enumerate(dims):
        LT, LS, _ = data[d]
        ax.plot(LT, LS, "o-", color=f"C{i}", ms=4, label=rf"$L_S(t^*)$, $d = {d}$")
        slope = np.diff(np.log(LS)) / np.diff(np.log(LT))
        mid = np.sqrt(np.array(widths[1:]) * np.array(widths[:-1]))
        ax2.plot(mid, slope, "o-", color=f"C{i}", ms=4, label=rf"$d = {d}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1e-15, 1)
    ax.set_ylim(1e-30, 2)
    ax.set_xlabel("teacher risk $L_T$")
    ax.set_ylabel(r"student risk at the optimal time, $L_S(t^*)$")
    ax.set_title("relu features, degree-1 target, $M_T = 10 \\ldots 10^6$", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax2.axhline(2, color="k", lw=0.8, ls="--")
    ax2.set_xscale("log")
    ax2.set_xlabel("teacher width $M_T$")
    ax2.set_ylabel(r"local slope $d\log L_S(t^*)\,/\,d\log L_T$")
    ax2.set_title("the exponent tends to 2", fontsize=10)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8)
    save(fig, "guide_limit.png")


# --------------------------------------------------------------------------------------
# Guide section 4: widths, dimension, activation, target

SETTINGS = [
    # label, activation, d, target, M_T
    ("baseline", "relu", 10, "degree:1", 100),
    ("narrower teacher", "relu", 10, "degree:1", 30),
    ("wider teacher", "relu", 10, "degree:1", 1000),
    ("lower dimension", "relu", 6, "degree:1", 100),
    ("higher dimension", "relu", 20, "degree:1", 100),
    ("tanh features", "tanh", 10, "degree:1", 100),
    ("step features", "step", 10, "degree:1", 100),
    ("degree-2 target", "relu", 10, "degree:2", 100),
    ("single-index relu target", "relu", 10, "single-index:relu", 100),
    ("single-index relu target", "relu", 10, "single-index:relu", 1000),
    ("single-index tanh target", "relu", 10, "single-index:tanh", 100),
    ("tanh features, relu target", "tanh", 10, "single-index:relu", 100),
]


def guide_4():
    section("Guide 4: how widths, dimension, activation and target change the picture")
    rows = []
    for label, act, d, tgt, M in SETTINGS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IrreducibleFloorWarning)
            c = risk_curve(activation=act, dim=d, target=tgt, teacher_width=M, times=[])
        lb = student_lower_bound(c.teacher_risk, c.target_energy)
        floor = float(c.floor)
        rows.append([label, act, d, tgt, M, g(c.target_energy, 3),
                     g(floor, 3) if floor else "0", g(c.teacher_risk), g(c.optimal_time, 3),
                     g(c.optimal_student_risk), f"{float(c.optimal_pgr):.3f}",
                     g(c.optimal_student_risk / lb, 3),
                     g(c.win_intervals[0][0], 3) if c.win_intervals else "never"])
        for w in caught:
            print(f"  [{label}, M_T = {M}] warning: {w.message}")
    print()
    md_table(["setting", "activation", "d", "target", "M_T", "‖f*‖²", "floor", "L_T",
              "t*", "L_S(t*)", "PGR(t*)", "L_S(t*)/bound", "wins from t ="], rows)

    # figure: L_S(t)/L_T for the activations and the targets
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained", sharey=True)
    groups = [
        ("activation (d = 10, degree:1, $M_T = 100$)",
         [("relu", 10, "degree:1"), ("tanh", 10, "degree:1"), ("step", 10, "degree:1")]),
        ("target (relu, d = 10, $M_T = 100$)",
         [("relu", 10, "degree:1"), ("relu", 10, "degree:2"),
          ("relu", 10, "single-index:relu"), ("relu", 10, "single-index:tanh")]),
    ]
    grid = np.logspace(-1, 12, 300)
    for ax, (title, items) in zip(axes, groups):
        for i, (act, d, tgt) in enumerate(items):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", IrreducibleFloorWarning)
                c = risk_curve(activation=act, dim=d, target=tgt, teacher_width=100,
                               times=list(grid))
            ax.plot(grid, np.asarray(c.student_risk) / c.teacher_risk, color=f"C{i}", lw=2,
                    label=f"{act}, {tgt}: PGR(t*) = {float(c.optimal_pgr):.2f}")
            ax.plot([c.optimal_time], [c.optimal_student_risk / c.teacher_risk], "*",
                    color=f"C{i}", ms=11)
        ax.axhline(1, color=C_TEACHER, ls="--", lw=1.2, label="teacher ($L_S = L_T$)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(5e-5, 1e5)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_xlabel("training time $t$ of the student")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel(r"$L_S(t)\,/\,L_T$")
    save(fig, "guide_settings.png")


# --------------------------------------------------------------------------------------
# Guide section 5: linear random features on Gaussian data, power-law spectrum

def guide_5():
    section("Guide 5: linear random features on Gaussian data, sigma_i = i^-1.5, d = 2000")
    d, a = 2000, 1.5
    i = np.arange(1, d + 1)
    spec = LinearGaussianSpectrum(i ** -a)
    betas = [1.5, 2.5, 3.5]
    widths = [10, 30, 100, 300]
    rows, data = [], {}
    for beta in betas:
        LT, LS = [], []
        for M in widths:
            c = risk_curve(spec, f"power-law:{beta}", M, [])
            lb = student_lower_bound(c.teacher_risk, c.target_energy)
            LT.append(float(c.teacher_risk))
            LS.append(float(c.optimal_student_risk))
            rows.append([beta, M, g(c.target_energy), g(c.teacher_risk), g(c.optimal_time, 3),
                         g(c.optimal_student_risk), f"{float(c.optimal_pgr):.3f}",
                         g(c.optimal_student_risk / lb, 3)])
        data[beta] = (np.array(LT), np.array(LS))
    md_table(["beta", "M_T", "‖f*‖²", "L_T", "t*", "L_S(t*)", "PGR(t*)", "L_S(t*)/bound"],
             rows)
    for beta in betas:
        LT, LS = data[beta]
        print(f"beta = {beta}: log-log slope of L_S(t*) against L_T from M_T = {widths[0]} "
              f"to {widths[-1]}: {math.log(LS[-1] / LS[0]) / math.log(LT[-1] / LT[0]):.3f}")
    print()
    # the same target written as linear:theta (B_i = sigma_i theta_i^2 = i^-beta)
    theta = i ** ((a - 2.5) / 2)
    c_lin = risk_curve(spec, "linear:" + ",".join(repr(float(x)) for x in theta), 100, [])
    c_pl = risk_curve(spec, "power-law:2.5", 100, [])
    print(f"target linear:theta with theta_i = i^-0.5 (beta = 2.5), M_T = 100: "
          f"L_T = {g(c_lin.teacher_risk, 6)}, L_S(t*) = {g(c_lin.optimal_student_risk, 6)} "
          f"(power-law:2.5 gives {g(c_pl.teacher_risk, 6)}, "
          f"{g(c_pl.optimal_student_risk, 6)})\n")

    # exact simulation at M_T = 100 (10 seeds)
    M = 100
    grid = np.logspace(-1, 7, 300)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    rows = []
    for k, beta in enumerate(betas):
        tgt = f"power-law:{beta}"
        c0 = risk_curve(spec, tgt, M, [])
        c = risk_curve(spec, tgt, M, list(grid))
        t_sim = sorted([float(x) for x in np.logspace(0, 6, 7)] + [float(c0.optimal_time)])
        t0 = time.perf_counter()
        s = simulate(spec, tgt, M, None, t_sim, seeds=10, workers=1)
        dt = time.perf_counter() - t0
        j = t_sim.index(float(c0.optimal_time))
        rows.append([beta, g(c0.teacher_risk),
                     f"{g(s.teacher_risk.mean)} ± {g(s.teacher_risk.stderr, 2)}",
                     g(c0.optimal_student_risk),
                     f"{g(s.student_risk[j].mean)} ± {g(s.student_risk[j].stderr, 2)}",
                     f"{dt:.1f} s"])
        ax.plot(grid, np.asarray(c.student_risk) / c.teacher_risk, color=f"C{k}", lw=2,
                label=rf"$\beta = {beta}$: PGR$(t^*)$ = {float(c0.optimal_pgr):.2f}")
        errorbars(ax, t_sim, [type(x)(x.mean / c.teacher_risk, (x.stderr or 0) /
                                      c.teacher_risk, ()) for x in s.student_risk],
                  color=f"C{k}", mfc="white")
        ax.plot([c0.optimal_time], [c0.optimal_student_risk / c0.teacher_risk], "*",
                color=f"C{k}", ms=11)
    print("exact simulation (10 seeds), M_T = 100:")
    md_table(["beta", "L_T theory", "L_T simulated", "L_S(t*) theory", "L_S(t*) simulated",
              "time"], rows)
    ax.axhline(1, color=C_TEACHER, ls="--", lw=1.2, label="teacher ($L_S = L_T$)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(0.05, 20)
    ax.set_xlabel("training time $t$ of the student")
    ax.set_ylabel(r"$L_S(t)\,/\,L_T$")
    ax.set_title(r"$M_T = 100$; lines: theory, circles: exact simulation (10 seeds)",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    x = np.logspace(-4, 0.3, 200)
    ax2.plot(x, x, color="k", ls=":", lw=1, label=r"$L_S = L_T$ (no gain)")
    for k, beta in enumerate(betas):
        LT, LS = data[beta]
        E = float(risk_curve(spec, f"power-law:{beta}", 10, [0.0]).target_energy)
        ax2.plot(LT, LS, "o-", color=f"C{k}", ms=4, label=rf"$L_S(t^*)$, $\beta = {beta}$")
        xs = x[x < E]
        ax2.plot(xs, student_lower_bound(xs, E), color=f"C{k}", ls="--", lw=1, alpha=0.7)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlim(1e-3, 2)
    ax2.set_ylim(1e-6, 2)
    ax2.set_xlabel("teacher risk $L_T$ ($M_T = 10, 30, 100, 300$)")
    ax2.set_ylabel("$L_S(t^*)$")
    ax2.set_title("dashed: the lower bound for each target energy", fontsize=10)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left")
    fig.suptitle(r"linear random features on $x \sim N(0, \mathrm{diag}(i^{-1.5}))$, "
                 r"$d = 2000$, target energies $B_i = i^{-\beta}$", fontsize=11)
    save(fig, "guide_linear_powerlaw.png")


def guide_cli():
    section("Guide: the command-line examples")
    # section 2
    run_cli(["risk", "--dim", "6", "--teacher-width", "100", "--time",
             "1294.79,1e5,1e7,1e9,inf"])
    # section 3
    run_cli(["bound", "--teacher-risk", "0.00148792", "--time", "300",
             "--top-eigenvalue", "0.0288202"])
    # section 4
    run_cli(["risk", "--activation", "step", "--dim", "10", "--target", "single-index:relu",
             "--teacher-width", "100", "--time", "inf"])
    # section 5
    run_cli(["risk", "--variances", "1,0.5,0.25,0.125", "--target", "linear:1,1,1,1",
             "--teacher-width", "2", "--time", "10"])
    run_cli(["risk", "--power-law", "2", "--target", "power-law:3", "--teacher-width",
             "10", "--time", "10,44.0146,1000,inf"])
    run_cli(["simulate", "--power-law", "2", "--target", "power-law:3", "--teacher-width",
             "10", "--time", "44.0146,inf", "--seeds", "10", "--quiet"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-cli", action="store_true",
                   help="skip the command-line examples and the default report")
    args = p.parse_args(argv)
    os.makedirs(IMG, exist_ok=True)
    print(f"w2s_theory {w2s.__version__}, numpy {np.__version__}, "
          f"matplotlib {matplotlib.__version__}")
    t0 = time.perf_counter()
    if not args.no_cli:
        readme_report()
        readme_cli()
    readme_api()
    guide_1()
    guide_2()
    guide_3()
    guide_4()
    guide_5()
    if not args.no_cli:
        guide_cli()
    print(f"\ntotal: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
