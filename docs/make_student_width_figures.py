"""Regenerate the figure and the numbers of section 6 of docs/user_guide.md (the student's
width).

    python docs/make_student_width_figures.py

writes ``docs/img/guide_student_width.png`` and prints, as Markdown tables, every number
the section quotes: the theory (``risk_curve`` with ``student_width``) beside the exact
simulation (``simulate``: inputs integrated exactly, weights sampled, fixed seeds, one
process) for ReLU features on the sphere in d = 10, a degree-1 target, M_T = 100 and
student widths 200, 800, 3,200 and infinite; the widths that recover 50%, 90% and 99%
of the infinite-width gain (``width_for_gain``); and PGR(t*) over teacher and student
widths (``gain_grid``).
"""

from __future__ import annotations

import math
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from w2s_theory import Setting, risk_curve, simulate  # noqa: E402
from w2s_theory._src.theory.width import gain_grid, width_for_gain  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img")
BASE = Setting(activation="relu", dim=10, target="degree:1", teacher_width=100)
WIDTHS = (200, 800, 3200, None)
SEEDS = 6


def g(x, digits=4):
    return "inf" if x is None or math.isinf(float(x)) else f"{float(x):.{digits}g}"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main():
    times = list(np.geomspace(300, 3e5, 9))
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    rows = []
    grid = np.geomspace(100, 1e6, 300)
    for i, M_S in enumerate(WIDTHS):
        s = BASE.replace(student_width=M_S)
        c = risk_curve(s, times=list(grid))
        color = f"C{i}"
        label = "infinite" if M_S is None else f"M_S = {M_S}"
        ax.plot(grid, c.student_risk, color=color, label=label)
        ax.plot([c.optimal_time], [c.optimal_student_risk], "*", color=color, ms=10)
        t0 = time.perf_counter()
        sim = simulate(s, times=times + [float(c.optimal_time)], seeds=SEEDS, seed=0,
                       workers=1)
        wall = time.perf_counter() - t0
        m = [x.mean for x in sim.student_risk]
        se = [x.stderr for x in sim.student_risk]
        ax.errorbar(times, m[:-1], yerr=se[:-1], fmt="o", color=color, ms=3.5,
                    capsize=2)
        rows.append([label, g(c.teacher_risk), g(c.optimal_time), g(c.optimal_student_risk),
                     f"{g(m[-1])} ± {g(se[-1], 2)}", g(c.student_ceiling_risk),
                     g(c.optimal_pgr), f"{wall:.1f}"])
    ax.axhline(float(c.teacher_risk), color="k", ls="--", label="teacher L_T")
    ax.set(xscale="log", yscale="log", xlabel="training time t", ylabel="student risk L_S(t)",
           title="relu features, d = 10, degree-1 target, M_T = 100", ylim=(1e-4, 0.05))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "guide_student_width.png"), dpi=110)
    print("## theory (lines) and exact simulation (points), section 6\n")
    print(table(["student", "L_T", "t*", "L_S(t*) theory", f"L_S(t*) simulation "
                 f"({SEEDS} seeds)", "ceiling L_ceil", "PGR(t*)", "simulation s"], rows))
    print("\n## widths that recover a fraction of the infinite-width gain\n")
    wrows = []
    for f in (0.5, 0.9, 0.99):
        a = width_for_gain(BASE, f)
        wrows.append([f, a.student_width, g(a.optimal_time), g(a.optimal_student_risk),
                      a.evaluations])
    print(table(["fraction", "M_S", "t*", "L_S(t*)", "risk curves"], wrows))
    print("\n## PGR(t*) over teacher and student widths\n")
    T = (25, 50, 100, 200, 400)
    S = (200, 800, 3200, 12800, None)
    t0 = time.perf_counter()
    gg = gain_grid(BASE, T, S)
    print(table(["M_T \\ M_S"] + [g(m) for m in S],
                [[M] + [g(x, 3) for x in row] for M, row in zip(T, gg.pgr)]))
    print(f"\n({len(T) * len(S)} risk curves with t* in {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
