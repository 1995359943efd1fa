"""How tight is the student lower bound inside the random-feature model? (issue 5, 3c)

For ReLU features on the sphere and a degree-1 target, the optimally stopped
infinite-width student's risk L_S(t*) (deterministic equivalent, `risk_curve`) is compared
with the lower bound of THEORY.md section 4 at alpha = 1,
(sqrt(L_T + F^2/4) - F/2)^2 with F^2 = ||f*||^2 - L_T, as the teacher width grows.
Prints a table (ratio L_S(t*) / bound and the local log-log slope of L_S(t*) against
L_T) and writes docs/img/bound_tightness.png (log-log plot of L_S(t*) against L_T with
the bound's curve).

Run: python derivations/bound_tightness_in_model.py [--quick]
Exit status 1 if the student ever goes below the bound.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
import warnings

import numpy as np

from w2s_theory import risk_curve, student_lower_bound


def table(dims, widths):
    rows = []
    for d in dims:
        for M in widths:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c = risk_curve(activation="relu", dim=d, target="degree:1", teacher_width=M,
                               times=[])
            lt, ls = float(c.teacher_risk), float(c.optimal_student_risk)
            lb = float(student_lower_bound(lt, float(c.target_energy)))
            rows.append((d, M, lt, ls, lb, ls / lb, float(c.optimal_time)))
    return rows


def slopes(rows):
    """Local slope d log L_S(t*) / d log L_T between consecutive widths, per d."""
    out = {}
    for d in sorted({r[0] for r in rows}):
        rr = [r for r in rows if r[0] == d]
        out[d] = [math.log(b[3] / a[3]) / math.log(b[2] / a[2]) for a, b in zip(rr, rr[1:])]
    return out


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for d in sorted({r[0] for r in rows}):
        rr = [r for r in rows if r[0] == d]
        ax.loglog([r[2] for r in rr], [r[3] for r in rr], "o-", ms=3, label=f"L_S(t*), d = {d}")
    lts = np.logspace(math.log10(min(r[2] for r in rows)) - 0.3,
                      min(0.0, math.log10(max(r[2] for r in rows)) + 0.3), 200)
    ax.loglog(lts, [float(student_lower_bound(x, 1.0)) for x in lts], "k--",
              label="lower bound (alpha = 1)")
    ax.loglog(lts, lts, ":", color="gray", label="L_T (no gain)")
    ax.set_xlabel("teacher risk L_T")
    ax.set_ylabel("optimally stopped student risk")
    ax.set_title("ReLU features, degree-1 target: student vs bound")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer widths and dimensions")
    ap.add_argument("--plot", default=str(pathlib.Path(__file__).resolve().parent.parent
                                          / "docs" / "img" / "bound_tightness.png"))
    args = ap.parse_args(argv)
    dims = (3, 6) if args.quick else (3, 6, 10, 20)
    widths = [30, 300, 3000] if args.quick else [int(x) for x in np.logspace(1, 6, 11)]
    rows = table(dims, widths)
    print(f"{'d':>3} {'M_T':>8} {'L_T':>11} {'L_S(t*)':>11} {'bound':>11} "
          f"{'ratio':>8} {'t*':>10}")
    for d, M, lt, ls, lb, ratio, ts in rows:
        print(f"{d:3d} {M:8d} {lt:11.4e} {ls:11.4e} {lb:11.4e} {ratio:8.3f} {ts:10.3e}")
    print("local slope of log L_S(t*) against log L_T (the bound has slope 2):")
    for d, s in slopes(rows).items():
        print(f"  d = {d}: " + ", ".join(f"{x:.3f}" for x in s))
    if not args.quick:
        plot(rows, args.plot)
        print(f"wrote {args.plot}")
    bad = [r for r in rows if r[3] < r[4] * (1 - 1e-9)]
    if bad:
        print(f"FAILED: the student goes below the bound in {len(bad)} settings")
        return 1
    print("ok: L_S(t*) >= bound everywhere")
    return 0


if __name__ == "__main__":
    sys.exit(main())
