"""Timings of ``w2s sweep`` (issue 14): serial against a LocalCluster of 2 workers.

1. A 20 x 20 finite-width theory grid, M_T x M_S (relu, d = 6, degree-1 target, three
   times and the optimal stopping time at each point).
2. A 4 x 4 grid of exact simulations, M_T = 25..200 x M_S = 100..700 (4 seeds, three
   times, with the theory).

Each grid is computed in this process (``scheduler="serial"``) and on a LocalCluster of
2 worker processes (one BLAS thread each), into fresh stores; the two Datasets must be
identical. The cluster's time includes its start (a few seconds). CPU seconds (of this
process and of the cluster's worker processes) over wall seconds say how many cores the
run had: on a machine shared with other work the speed-up is bounded by that.

    python benchmarks/bench_sweep.py                 # both grids
    python benchmarks/bench_sweep.py --theory-size 8 --skip-simulation
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _widths(lo, hi, n):
    return sorted({int(round(x)) for x in np.geomspace(lo, hi, n)})


def _timed(values, out, scheduler, workers=None):
    """Wall seconds, CPU seconds (this process and its reaped children: the
    LocalCluster's workers), the run and its Dataset."""
    from w2s_theory import open_sweep, run_sweep

    c0, t0 = os.times(), time.perf_counter()
    run = run_sweep(out=out, scheduler=scheduler, workers=workers, **values)
    wall, c1 = time.perf_counter() - t0, os.times()
    cpu = sum(getattr(c1, k) - getattr(c0, k) for k in
              ("user", "system", "children_user", "children_system"))
    assert run.complete, run.failure_summary()
    return wall, cpu, run, open_sweep(out)


def bench(name, values, tmp):
    import xarray as xr

    serial, cpu_s, run, ds = _timed(values, tmp / f"{name}-serial.zarr", "serial")
    local, cpu_l, run2, ds2 = _timed(values, tmp / f"{name}-local.zarr", "local", 2)
    xr.testing.assert_identical(ds, ds2)
    points = run.grid.size
    print(f"   {points} points in {run.tasks} tasks: serial {serial:.1f} s "
          f"({serial / points:.3f} s a point; CPU {cpu_s:.1f} s, {cpu_s / serial:.2f} "
          f"cores), 2 workers {local:.1f} s (speed-up {serial / local:.2f}; CPU "
          f"{cpu_l:.1f} s, {cpu_l / local:.2f} cores); identical datasets")
    return ds, serial, local


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theory-size", type=int, default=20)
    parser.add_argument("--simulation-size", type=int, default=4)
    parser.add_argument("--skip-theory", action="store_true")
    parser.add_argument("--skip-simulation", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_theory:
            n = args.theory_size
            values = {"activation": "relu", "dim": 6, "target": "degree:1",
                      "teacher_width": _widths(20, 400, n),
                      "student_width": _widths(50, 5000, n),
                      "times": [100, 1000, 10000], "simulation": False}
            print(f"1. theory, {len(values['teacher_width'])} x "
                  f"{len(values['student_width'])} grid M_T = 20..400 x M_S = 50..5000 "
                  "(relu, d = 6, degree:1, 3 times and t*)")
            ds, _, _ = bench("theory", values, tmp)
            pgr = ds.optimal_pgr
            print(f"   PGR(t*) at (M_T, M_S) = (20, 5000): "
                  f"{float(pgr.isel(teacher_width=0, student_width=-1)):.3f}; "
                  f"(400, 5000): {float(pgr.isel(teacher_width=-1, student_width=-1)):.3f}")
        if not args.skip_simulation:
            n = args.simulation_size
            values = {"activation": "relu", "dim": 6, "target": "degree:1",
                      "teacher_width": _widths(25, 200, n),
                      "student_width": _widths(100, 700, n),
                      "times": [100, 1000, 10000], "seeds": 4, "seed": 0}
            print(f"2. exact simulations, {n} x {n} grid M_T = 25..200 x M_S = 100..700 "
                  "(4 seeds, 3 times, with the theory)")
            ds, _, _ = bench("simulation", values, tmp)
            gap = (ds.sim_student_risk - ds.student_risk) / ds.student_risk
            print(f"   largest |simulation - theory| / theory over the grid and times: "
                  f"{float(abs(gap).max()):.3f}")


if __name__ == "__main__":
    main()
