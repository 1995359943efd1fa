"""The deterministic equivalents (issue 3) against the exact Monte Carlo (issue 4).

Setting: relu features on :math:`S^{9}` (d = 10), a degree-1 target, teacher widths 50
to 1,600, the infinite-width student at t = 100, 300, 1,000. The relative gap
``(MC mean - theory) / theory`` of L_T and L_S(t) is measured at each width with a
standard error ``se`` (relative to the theory).

Seeds: ``16000 / M`` at width M, and 1,600 at M = 50 (cheap, and the reference of the
"shrinks" claim). The per-seed relative spread of the risks falls like M^-1/2
(measured: about 25% of L_T at M = 100, 6% at M = 1,600), so this keeps ``se`` near
1-2% at every width, well below the 10% asserted about.

Claims, with their tolerances:

1. Within 10% from width 100 on: ``|gap| + 2 se <= 10%`` (the 2-sigma upper confidence
   limit of the gap is within 10%), with ``se <= 2.5%``, so that a true gap of 15% would
   fail the test at about 2 sigma even in the worst case.
2. Shrinks with width: the gap of L_S(300), L_S(1000) at width 1,600 is below the gap at
   width 50 by more than 3 combined standard errors; for L_T, whose gap is small at
   every width, the gap pooled over widths 200-1,600 (inverse-variance weights) is below
   the gap at width 50 by more than 3 combined standard errors.

Known exceptions, measured in ``docs/simulations.md`` and kept out of the claims: at
late times (t >= 3,000, where the student has removed 97-99% of the teacher's error)
the theory underestimates L_S by about 14% at width 100 (+14.4 +- 3.2% at t = 3,000)
and still +12.5 +- 3.5% at width 200, t = 10,000; and in lower dimension the gap does not
vanish with width (d = 6: L_T -6.9 +- 0.5% at widths 400 and 800; d = 3: -65%).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from w2s_theory._src.simulation import simulate

WIDTHS = [50, 100, 200, 400, 800, 1600]
TIMES = [100.0, 300.0, 1000.0]
SEEDS = {M: 1600 if M == 50 else 16000 // M for M in WIDTHS}


@pytest.fixture(scope="module")
def gaps():
    out = {}
    for M in WIDTHS:
        r = simulate(activation="relu", dim=10, target="degree:1", teacher_width=M,
                     student_width="inf", times=TIMES, seeds=SEEDS[M],
                     seed=1000 + M, workers=2)
        # the omitted degrees change no mean by more than 1e-3 of its standard error
        for b, s in zip(r.diagnostics["truncation_bound"], r.student_risk):
            assert b <= 1e-3 * s.stderr
        rows = {"L_T": (r.teacher_risk, r.theory_teacher_risk)}
        for t, s, th in zip(TIMES, r.student_risk, r.theory.student_risk):
            rows[f"L_S({t:g})"] = (s, th)
        out[M] = {k: ((s.mean - th) / th, s.stderr / th) for k, (s, th) in rows.items()}
    return out


def test_gap_within_ten_percent_from_width_100(gaps):
    for M in WIDTHS[1:]:
        for q, (g, se) in gaps[M].items():
            assert se <= 0.025, (M, q, se)
            assert abs(g) + 2 * se <= 0.10, (M, q, g, se)


def test_gap_shrinks_with_width(gaps):
    for q in ("L_S(300)", "L_S(1000)"):
        (g0, s0), (g1, s1) = gaps[50][q], gaps[1600][q]
        assert abs(g0) - abs(g1) > 3 * math.hypot(s0, s1), (q, g0, s0, g1, s1)
    big = [gaps[M]["L_T"] for M in (200, 400, 800, 1600)]
    w = np.array([1 / s ** 2 for _, s in big])
    pooled = float(np.sum(w * [g for g, _ in big]) / w.sum())
    pooled_se = float(1 / math.sqrt(w.sum()))
    g0, s0 = gaps[50]["L_T"]
    assert abs(g0) - abs(pooled) > 3 * math.hypot(s0, pooled_se), (g0, s0, pooled,
                                                                     pooled_se)
