"""The gap between the deterministic equivalent (theory) and the exact Monte Carlo mean.

For relu features on the sphere and a degree-1 target, at teacher widths 50 ... 1,600,
prints the relative gap ``(MC mean - theory) / theory`` of the teacher risk L_T and of
the infinite-width student's risk L_S(t) at several times, each with the standard error
of the Monte Carlo mean (relative to the theory), as a markdown table
(docs/simulations.md shows its output).

Each width has its own root seed (``--seed`` + M), so the rows are independent.
The number of seeds at width M is ``budget / M`` (at least ``min_seeds``): the per-seed
relative fluctuations of the risks scale like ``M^-1/2``, so this keeps the standard
error of the gap roughly the same across widths.

    python benchmarks/theory_gap.py                 # d = 10, the docs' table
    python benchmarks/theory_gap.py --dim 6 --times 300,1000,3000 --budget 16000
"""

from __future__ import annotations

import argparse
import time


def main(argv=None):
    from w2s_theory._src.simulation import simulate

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=10)
    p.add_argument("--widths", default="50,100,200,400,800,1600")
    p.add_argument("--times", default="100,300,1000,3000,10000")
    p.add_argument("--budget", type=int, default=32000, help="seeds x width per width")
    p.add_argument("--min-seeds", type=int, default=16)
    p.add_argument("--seed", type=int, default=2024)
    args = p.parse_args(argv)
    widths = [int(x) for x in args.widths.split(",")]
    times = [float(x) for x in args.times.split(",")]
    print(f"relu, d = {args.dim}, target degree:1, infinite-width student; "
          f"relative gap (MC - theory)/theory in %, +- its standard error\n")
    head = ["M_T", "seeds", "L_T theory", "L_T gap"] + [f"L_S({t:g}) gap" for t in times]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    total = time.perf_counter()
    for M in widths:
        seeds = max(args.min_seeds, args.budget // M)
        t0 = time.perf_counter()
        r = simulate(activation="relu", dim=args.dim, target="degree:1", teacher_width=M,
                     times=times, seeds=seeds, seed=args.seed + M)
        th_T = r.theory_teacher_risk
        cells = [str(M), str(seeds), f"{th_T:.4g}",
                 _cell(r.teacher_risk.mean, r.teacher_risk.stderr, th_T)]
        for s, th in zip(r.student_risk, r.theory.student_risk):
            cells.append(_cell(s.mean, s.stderr, th))
        print("| " + " | ".join(cells) + " |", flush=True)
        print(f"<!-- M_T = {M}: {time.perf_counter() - t0:.1f} s, degrees "
              f"{r.diagnostics['degrees']}, max truncation bound "
              f"{max(r.diagnostics['truncation_bound']):.2g} -->", flush=True)
    print(f"\n(total {time.perf_counter() - total:.0f} s)")


def _cell(mean, se, theory):
    return f"{100 * (mean - theory) / theory:+.2f} +- {100 * se / theory:.2f}"


if __name__ == "__main__":
    main()
