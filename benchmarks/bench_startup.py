"""Benchmark (issue 15 item 1): how soon each command starts computing, and risk_curve.

For each command below, two wall-clock figures from the launch of a fresh process
(median of ``--runs`` runs, default 7):

* ``to run()``: from launch to the entry of the command's ``run`` (interpreter start-up,
  imports, parser) - measured by a small probe that wraps the command's ``run``;
* ``total``: the whole ``w2s ...`` command (the installed console script) to its exit;
  the commands are chosen so that their own computation is short, so this is the
  start-up plus a little work.

Target: ``w2s --help``, ``w2s bound``, ``w2s spectrum`` and float ``w2s risk`` start
computing within 0.3 s of launch. Then ``risk_curve`` (ReLU, d = 6, degree-1 target,
M_T = 100, float64) with 1,000 and 10,000 log-spaced times, in-process (median of 3;
the first, warm-up call is not counted), and the part of it that was the student lower
bound at every time: one scalar call per time against one array call.

Run: ``python benchmarks/bench_startup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

COMMANDS = [
    ("w2s --help", ["--help"]),
    ("w2s bound", ["bound", "--teacher-risk", "0.01", "--target-energy", "1"]),
    ("w2s spectrum", ["spectrum", "--activation", "relu", "--dim", "6",
                      "--max-degree", "8"]),
    ("w2s risk (float)", ["risk", "--activation", "relu", "--dim", "6",
                          "--teacher-width", "100", "--time", "1000"]),
]

# The probe: wraps every subcommand module's run() to print the time of its entry
# (seconds since the epoch) on stderr, then runs the command as the console script does.
PROBE = r"""
import sys, time
from w2s_theory._src.cli import main as M
build = M.build_parser
def probed(*a, **k):
    parser = build(*a, **k)
    for name, mod in list(sys.modules.items()):
        if name.startswith("w2s_theory._src.cli.") and hasattr(mod, "run") \
                and hasattr(mod, "NAME"):
            def run(args, _run=mod.run):
                sys.stderr.write(f"@@run {time.time()!r}\n"); sys.stderr.flush()
                return _run(args)
            mod.run = run
    return parser
M.build_parser = probed
sys.argv = ["w2s", *sys.argv[1:]]
if "--help" in sys.argv[1:2]:
    sys.stderr.write(f"@@run {time.time()!r}\n")
try:
    code = M.main()
except SystemExit as exc:
    code = exc.code
sys.exit(code or 0)
"""


def _w2s():
    exe = shutil.which("w2s") or os.path.join(os.path.dirname(sys.executable), "w2s")
    return [exe]


def time_command(argv, runs):
    totals, to_run = [], []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    for _ in range(runs):
        t0 = time.time()
        p = subprocess.run(_w2s() + argv, capture_output=True, text=True, env=env)
        totals.append(time.time() - t0)
        if p.returncode != 0:
            raise SystemExit(f"w2s {' '.join(argv)} failed: {p.stderr.strip()}")
        t0 = time.time()
        p = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True,
                           text=True, env=env)
        marks = [float(line.split()[1]) for line in p.stderr.splitlines()
                 if line.startswith("@@run ")]
        if marks:
            to_run.append(marks[0] - t0)
    return statistics.median(to_run) if to_run else float("nan"), \
        statistics.median(totals)


def time_risk_curve(n, repeats=3):
    import numpy as np

    from w2s_theory import risk_curve

    times = [float(t) for t in np.logspace(0, 8, n)]
    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=100)
    risk_curve(times=times[:10], **kw)                          # warm-up (caches)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        risk_curve(times=times, **kw)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def time_bounds(n, repeats=3):
    """The lower bound at ``n`` times: one scalar call per time (what theory/curve.py's
    ``_bounds`` did) against one array call (issue 15 item 3), float64."""
    import numpy as np

    from w2s_theory._src import bounds as B

    ts = [float(t) for t in np.logspace(0, 8, n)]
    lt, en, lam = 0.01, 1.0, 0.3

    def scalar():
        return [B.student_lower_bound(lt, en, B.alpha_from_time(t, lam)) for t in ts]

    def vector():
        return B.student_lower_bound(lt, en, B.alpha_from_time(ts, lam))

    out = []
    for fn in (scalar, vector):
        best = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            el = time.perf_counter() - t0
            best = el if best is None else min(best, el)
        out.append(best)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-curve", action="store_true", help="skip risk_curve")
    a = ap.parse_args(argv)
    print(f"start-up (median of {a.runs} runs; wall-clock from launch)")
    print(f"  {'command':<18} {'to run()':>9} {'total':>8}")
    for name, args in COMMANDS:
        r, tot = time_command(args, a.runs)
        print(f"  {name:<18} {r:8.3f}s {tot:7.3f}s")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import w2s_theory"], check=True)
    print(f"  {'import w2s_theory':<18} {'':>9} {time.perf_counter() - t0:7.3f}s "
          "(one run, process included)")
    if not a.no_curve:
        print("risk_curve, float64, relu d = 6, degree:1, M_T = 100 (median of 3):")
        for n in (1_000, 10_000):
            print(f"  {n:>6} times: {time_risk_curve(n):.3f} s")
        print("the lower bound at every time (float64; best of 3):")
        for n in (1_000, 10_000):
            sc, vec = time_bounds(n)
            print(f"  {n:>6} times: per-time scalar calls {sc:.3f} s, one array call "
                  f"{vec * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
