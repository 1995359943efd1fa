"""Benchmark: the finite-width student's targets of issue 11, end to end, with parts.

1. ``risk_curve`` of relu features, d = 1,000, degree-1 target, M_T = 10^4, M_S = 10^5,
   1,000 times from 1e-1 to 1e9 (log-spaced) and the certified t*: float64 (target
   under 1 s) and 50 digits (under 20 s);
2. the (M_T, M_S) grid of PGR at t*: relu d = 10, degree-1, M_T in geomspace(10, 1000,
   20), M_S in geomspace(2 M_T, 64 M_T, 20), ``times=[]`` (target under 30 s).

Each call is timed warm (after one small call has loaded the lazy imports), as wall
and CPU time (the machine is shared: CPU time is the steadier figure), and split into
parts by timing the engine's functions in place: the tables (``_choose_table``, the
spectral tails), the student's kernel (nu_S, s_+), the resolvent's node solves, the
evaluations of L_S (weighted sums, errors; node solves included) and the t* search
(its evaluations included). ``BEFORE`` holds the figures of the code before the
performance work (commit 86ccd2b: one resolvent solve per evaluation, mpmath polish),
measured here with this script on that code. Run:
``python benchmarks/bench_finite_student.py`` (``--quick``: the grid on 5 x 5 only).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import w2s_theory as w2s  # noqa: E402

#: measured on 86ccd2b with this script (2 shared cores, load ~2-3): wall, CPU seconds;
#: parts (CPU): float64: search 0.26, evaluations 0.30 (node solves 0.21); 50 digits:
#: search 23.7, evaluations 33.7 (node solves 24.1), tables 0.78; grid: search 89.9,
#: evaluations 88.9 (node solves 67.9), tables 9.8, kernel 1.6
BEFORE = {
    "curve-float64": (0.39, 0.38),
    "curve-50-digits": (39.9, 34.6),
    "grid-20x20": (131.1, 102.0),
}
TARGETS = {"curve-float64": 1.0, "curve-50-digits": 20.0, "grid-20x20": 30.0}


class Parts:
    """Time spent in some engine functions, patched in place (outermost calls only)."""

    def __init__(self):
        self.spent = defaultdict(float)
        self.depth = defaultdict(int)
        self.patched = []

    def wrap(self, owner, name, label):
        f = getattr(owner, name, None)
        if f is None:
            return

        def timed(*a, **k):
            self.depth[label] += 1
            t0 = time.process_time()
            try:
                return f(*a, **k)
            finally:
                self.depth[label] -= 1
                if not self.depth[label]:
                    self.spent[label] += time.process_time() - t0
        setattr(owner, name, timed)
        self.patched.append((owner, name, f))

    def restore(self):
        for owner, name, f in reversed(self.patched):
            setattr(owner, name, f)


def instrument():
    from w2s_theory._src.theory import curve, trajectory

    parts = Parts()
    parts.wrap(curve, "_choose_table", "tables")
    parts.wrap(curve, "student_kernel", "student kernel")
    parts.wrap(curve, "search_optimum", "t* search")
    parts.wrap(trajectory.Trajectory, "evaluate", "evaluations")
    try:                                             # after: windows cached on the kernel
        from w2s_theory._src.theory import finite_evolution
        parts.wrap(finite_evolution.NodeFamily, "_solve", "node solves")
    except ImportError:                              # before: one node set per evaluation
        from w2s_theory._src.theory import evolution
        parts.wrap(evolution._NodeSet, "__init__", "node solves")
    return parts


def curve(precision):
    return w2s.risk_curve(activation="relu", dim=1000, target="degree:1",
                          teacher_width=10_000, student_width=100_000,
                          times=list(np.geomspace(1e-1, 1e9, 1000)), precision=precision)


def grid(n=20):
    out = []
    for M_T in np.geomspace(10, 1000, n):
        M_T = int(round(M_T))
        for M_S in np.geomspace(2 * M_T, 64 * M_T, n):
            c = w2s.risk_curve(activation="relu", dim=10, target="degree:1",
                               teacher_width=M_T, student_width=int(round(M_S)), times=[])
            out.append(c.optimal_pgr)
    return out


def measure(label, fn):
    parts = instrument()
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    parts.restore()
    return wall, cpu, dict(parts.spent)


def main():
    quick = "--quick" in sys.argv
    w2s.risk_curve(activation="relu", dim=10, target="degree:1", teacher_width=10,
                   student_width=20, times=[1.0], precision=20)      # lazy imports
    runs = [("curve-float64", lambda: curve(None)),
            ("curve-50-digits", lambda: curve(50)),
            ("grid-20x20" if not quick else "grid-5x5", lambda: grid(5 if quick else 20))]
    try:
        from w2s_theory._src.theory.highprec import HP
        backend = HP.name
    except ImportError:
        backend = "mpmath (former code)"
    print(f"high-precision node arithmetic: {backend}")
    for label, fn in runs:
        wall, cpu, parts = measure(label, fn)
        target = TARGETS.get(label)
        before = BEFORE.get(label)
        line = f"{label:16s} wall {wall:7.2f} s  CPU {cpu:7.2f} s"
        if target:
            line += f"  (target < {target:g} s)"
        if before:
            line += f"  before: wall {before[0]:.2f} s, CPU {before[1]:.2f} s"
        print(line)
        for name in ("tables", "student kernel", "t* search", "evaluations",
                     "node solves"):
            if name in parts:
                print(f"    {name:16s} {parts[name]:7.3f} s CPU")


if __name__ == "__main__":
    main()
