"""Where the practitioner's finite-sample student departs from the theory.

relu, d = 6, degree-1 target, M_T = 20, infinite-width student (kernel SGD): the
student's risk when it sees only n fixed inputs (labelled by the teacher), against the
fresh-batch student, the exact simulation and the theory.

    python benchmarks/finite_sample.py
"""

from __future__ import annotations


def main():
    from w2s_theory._src.simulation import simulate

    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=20,
              student_width="inf", times=[30, 100, 300], seeds=8, seed=17)
    ex = simulate(method="exact", **kw)
    rows = [("theory", None, ex.theory_teacher_risk, ex.theory.student_risk, None),
            ("exact (inputs integrated)", None, ex.teacher_risk.mean,
             [s.mean for s in ex.student_risk], [s.stderr for s in ex.student_risk])]
    for n in (None, 5000, 1000, 200, 50, 20):
        r = simulate(method="sampled", n=n, **kw)
        label = "sampled, fresh batches" if n is None else f"sampled, n = {n}"
        rows.append((label, n, r.teacher_risk.mean, [s.mean for s in r.student_risk],
                     [s.stderr for s in r.student_risk]))
    print("relu, d = 6, degree:1, M_T = 20, infinite-width student, 8 seeds "
          "(mean +- standard error)\n")
    print("| simulation | L_T | L_S(30) | L_S(100) | L_S(300) |")
    print("|---|---|---|---|---|")
    for label, _, lt, ls, se in rows:
        cells = [f"{a:.4g}" + ("" if se is None else f" +- {b:.2g}")
                 for a, b in zip(ls, se or [None] * len(ls))]
        print(f"| {label} | {lt:.4g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
