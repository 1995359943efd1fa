"""Benchmark: the finite-width student's e(t), e(2t) and their t-derivatives.

ReLU features on the sphere, d = 1,000, degree-1 target, teacher width 10^4 (the table
``risk_curve`` builds), student width 10^5, 1,000 log-spaced times plus 300 more (the
optimal-stopping search). For every time: e(t) and e(2t) with first and second
derivatives on every head block, the tail coefficients, and the weighted sums of
:meth:`Evolution.pair` (the fast path). Targets for this part: well under 0.3 s in
float64, a few seconds at 50 digits for the solves and the weighted sums (the per-block
``e``/``tail`` columns convert every block's column to fixed point for each derivative
and cost more; ``risk_curve`` uses only the weighted sums). Measured at 50 digits (2
shared cores, so +-50%): solves 1.6-2.3 s, weighted sums 2.7-3.4 s, per-block columns
30-60 s; before the performance work (86ccd2b), on a fifth of the times: solves 12.3 s
(now 0.7 s), per-block columns 24.3 s (now 8.4 s). The end-to-end targets are in
``benchmarks/bench_finite_student.py``. Run:
``python benchmarks/bench_resolvent.py``.
"""

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from w2s_theory._src.precision import FLOAT64, Precision  # noqa: E402
from w2s_theory._src.spectra import SphereSpectrum  # noqa: E402
from w2s_theory._src.targets import parse_target  # noqa: E402
from w2s_theory._src.theory.curve import _choose_table  # noqa: E402
from w2s_theory._src.theory.resolvent import student_kernel  # noqa: E402


def table_for(digits, M_T=10_000, M_S=100_000, d=1000):
    sp = SphereSpectrum("relu", d)
    bt = parse_target("degree:1").bind(sp)
    table, log_nu = _choose_table(sp, bt, M_T, None, FLOAT64)
    nu = float(np.exp(log_nu))
    lam_max = float(np.exp(table.log_lambda_max))
    t_hi = 1e4 / nu
    # the student (wider than the teacher) has a smaller nu: cut for both
    k = student_kernel(table, M_S)
    log_nu_min = min(float(log_nu), float(k.log_nu))
    table, _ = _choose_table(sp, bt, M_T, t_hi * 2, FLOAT64, log_nu_guess=log_nu_min)
    p = Precision(digits)
    if not p.is_float:
        table, _ = _choose_table(sp, bt, M_T, t_hi * 2, p, log_nu_guess=log_nu_min,
                                 start=table.K)
    times = list(np.logspace(np.log10(1e-3 / lam_max), np.log10(t_hi), 1000))
    times += list(np.geomspace(1e-3 / lam_max, t_hi, 300) * 1.0001)
    return table, times


def run(digits, M_S=100_000):
    table, times = table_for(digits)
    p = table.precision
    t0 = time.perf_counter()
    k = student_kernel(table, M_S)
    t1 = time.perf_counter()
    ev = k.flow(times)
    t2 = time.perf_counter()
    ll = table.log_lam[np.asarray(table.positive)]
    for m in (1, 2):
        for r in range(3):
            ev.e(ll, multiple=m, derivative=r)
            ev.tail(multiple=m, derivative=r)
            ev.error(m, r)
    t3 = time.perf_counter()
    with p.context():
        w = p.exp(table.log_B[np.asarray(table.positive)])
        tail = (table.tgt_tail.log_mass, _ones(p, table.Q), table.tgt_tail.ratios)
    for m in (1, 2):
        for r in range(3):
            ev.pair(ll, w, tail, multiple=m, derivative=r)
    t4 = time.perf_counter()
    return dict(kernel=t1 - t0, solve=t2 - t1, per_block=t3 - t2, pair=t4 - t3, K=table.K,
                blocks=len(ll), Q=table.Q, nodes=k.plan.nodes, windows=len(ev.windows),
                err=float(np.max(ev.error())), nu=float(k.nu), edge=float(k.top_edge))


def _ones(p, Q):
    from w2s_theory._src.powerseries import PowerSeries
    return PowerSeries.constant(p.scalar(1), Q)


if __name__ == "__main__":
    for digits in (None, 50):
        r = run(digits)
        name = "float64" if digits is None else f"{digits} digits"
        print(f"relu d=1000, M_T=1e4, M_S=1e5, 1300 times, {name}: kernel {r['kernel']:.3f} s, "
              f"resolvent solves {r['solve']:.3f} s ({r['windows']} windows x "
              f"{r['nodes'] + 1} nodes), e/e(2t) x 3 derivatives on {r['blocks']} blocks "
              f"+ {r['Q']} tail coefficients {r['per_block']:.3f} s, weighted sums "
              f"(pair, 6) {r['pair']:.3f} s; max error bound {r['err']:.2e}; "
              f"nu_S = {r['nu']:.4e}, s_+ = {r['edge']:.4e}")
