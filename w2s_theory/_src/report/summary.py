r"""The summary of a report: one row of numbers per teacher width, and ``summary.md``.

The Markdown summary states what the numbers show, in sentences computed from them
(so they stay true for any setting): where the student beats the teacher, how much of
the gain is left when training goes on, how close the optimally stopped student comes
to the lower bound, and how well the simulation agrees with the theory.
"""

from __future__ import annotations

import math

from ..bounds import student_lower_bound

__all__ = ["summary_rows", "summary_markdown", "findings", "fmt", "TABLE_COLUMNS"]


def _f(x):
    return None if x is None else float(x)


def fmt(x, spec=".4g") -> str:
    if x is None:
        return "-"
    x = float(x)
    if math.isinf(x):
        return "inf"
    return format(x, spec)


def summary_rows(data) -> list[dict]:
    """One dict per teacher width (the columns of ``widths.csv``)."""
    rows = []
    E = data.target_energy
    for w in data.widths:
        c = w.curve
        LT = float(c.teacher_risk)
        # the bound is for a projection teacher and a population student: no claim on
        # fits to samples (docs/finite_samples.md)
        lb = None if c.samples is not None else float(student_lower_bound(LT, E, 1.0))
        ls = _f(c.optimal_student_risk)
        wins = c.win_intervals
        row = {
            "teacher_width": w.teacher_width,
            "nu_teacher": float(c.nu_teacher),
            "teacher_risk": LT,
            "optimal_time": _f(c.optimal_time),
            "optimal_student_risk": ls,
            "optimal_gain": _f(c.optimal_gain),
            "optimal_pgr": _f(c.optimal_pgr),
            "lower_bound": lb,
            "bound_ratio": None if ls is None or lb is None or lb <= 0 else ls / lb,
            "gain_upper_bound": _f(c.gain_upper_bound),
            "pgr_upper_bound": _f(c.pgr_upper_bound),
            "wins_from": _f(wins[0][0]) if wins else None,
            "wins_until": _f(wins[0][1]) if wins else None,
            "student_risk_at_end": _f(c.student_risk[-1]) if c.student_risk else None,
            "sim_seeds": None, "sim_teacher_risk": None, "sim_teacher_risk_stderr": None,
            "sim_student_risk_at_optimal_time": None,
            "sim_student_risk_at_optimal_time_stderr": None,
            "sim_pgr_at_optimal_time": None, "sim_pgr_at_optimal_time_stderr": None,
        }
        if w.simulation is not None:
            row["sim_seeds"] = w.simulation.seeds
            row["sim_teacher_risk"] = w.sim_teacher.mean
            row["sim_teacher_risk_stderr"] = w.sim_teacher.stderr
            s = w.sim_at_t_star()
            if s is not None:
                row["sim_student_risk_at_optimal_time"] = s.mean
                row["sim_student_risk_at_optimal_time_stderr"] = s.stderr
                p, pe = w.sim_pgr_at_t_star()
                row["sim_pgr_at_optimal_time"] = p
                row["sim_pgr_at_optimal_time_stderr"] = pe
        rows.append(row)
    return rows


#: (header, function of a row) of the printed and Markdown tables
TABLE_COLUMNS = [
    ("M_T", lambda r: str(r["teacher_width"])),
    ("L_T", lambda r: fmt(r["teacher_risk"])),
    ("t*", lambda r: fmt(r["optimal_time"])),
    ("L_S(t*)", lambda r: fmt(r["optimal_student_risk"])),
    ("PGR(t*)", lambda r: fmt(r["optimal_pgr"], ".5g")),
    ("bound on L_S", lambda r: fmt(r["lower_bound"])),
    ("sim L_T", lambda r: _pm(r["sim_teacher_risk"], r["sim_teacher_risk_stderr"])),
    ("sim L_S(t*)", lambda r: _pm(r["sim_student_risk_at_optimal_time"],
                                  r["sim_student_risk_at_optimal_time_stderr"])),
]


def _pm(m, se):
    if m is None:
        return "-"
    return fmt(m) + ("" if se is None else " ± " + fmt(se, ".1g"))


def _span(values, spec=".3g"):
    vals = [v for v in values if v is not None]
    if not vals:
        return "-"
    lo, hi = min(vals), max(vals)
    return fmt(lo, spec) if fmt(lo, spec) == fmt(hi, spec) else \
        f"{fmt(lo, spec)} to {fmt(hi, spec)}"


def findings(data) -> list[str]:
    """Sentences stating what the report's numbers show."""
    rows = summary_rows(data)
    out = []
    widths = [r["teacher_width"] for r in rows]
    winners = [r for r in rows if r["wins_from"] is not None]
    losers = [r["teacher_width"] for r in rows if r["wins_from"] is None]
    if winners:
        open_ended = all(r["wins_until"] is None or math.isinf(r["wins_until"])
                         for r in winners)
        which = "every teacher width" if not losers else \
            "teacher widths " + ", ".join(str(r["teacher_width"]) for r in winners)
        when = ("for all t beyond a time t_win "
                f"({_span([r['wins_from'] for r in winners])}, depending on the width)"
                if open_ended else "on an interval of training times")
        out.append(
            f"**Stopped early, the student beats its teacher.** At {which}, the student "
            f"trained on the teacher's labels has a lower risk than the teacher {when}. "
            f"At the optimal time t* ({_span([r['optimal_time'] for r in winners])}) "
            f"its risk L_S(t*) is {_span([r['optimal_student_risk'] for r in winners])} "
            f"against the teacher's L_T = {_span([r['teacher_risk'] for r in winners])}: "
            f"PGR(t*) = {_span([r['optimal_pgr'] for r in winners], '.4g')}.")
    if losers:
        out.append("At teacher width(s) " + ", ".join(map(str, losers)) + " the student "
                   "never beats the teacher in this setting.")
    kept = []
    for r in winners:
        g_star = r["teacher_risk"] - r["optimal_student_risk"]
        g_end = r["teacher_risk"] - (r["student_risk_at_end"] or r["teacher_risk"])
        if g_star > 0:
            kept.append(g_end / g_star)
    if kept:
        t_end = data.setting.time_range[1]
        out.append(
            f"**Trained to convergence, the gain vanishes.** Training on, the student "
            f"drifts back to its teacher: at the end of the time grid (t = {fmt(t_end)}) "
            f"it keeps {_span([100 * k for k in kept], '.3g')} % of its gain at t*, and "
            f"L_S(t) -> L_T exactly as t -> infinity (THEORY.md section 3).")
    ratios = [r["bound_ratio"] for r in rows if r["bound_ratio"] is not None]
    if ratios:
        out.append(
            f"**The gain is limited.** The optimally stopped student stays above the "
            f"lower bound of THEORY.md section 4 (about L_T^2/||f_T||^2 for a small "
            f"teacher risk): L_S(t*)/bound = {_span(ratios)} across teacher widths "
            f"{widths[0]} to {widths[-1]}, so the student's risk falls like the "
            f"teacher's squared at best.")
    sims = [(w, r) for w, r in zip(data.widths, rows) if w.simulation is not None]
    if sims:
        gaps_t = [abs(r["sim_teacher_risk"] / r["teacher_risk"] - 1) for _, r in sims]
        gaps_s = [abs(r["sim_student_risk_at_optimal_time"] /
                      r["optimal_student_risk"] - 1) for _, r in sims
                  if r["sim_student_risk_at_optimal_time"] is not None]
        sw = data.setting.primary_student_width
        who = "" if sw == "inf" else f" (students of width {sw}, in theory and simulation)"
        text = (f"**Simulation.** The exact simulation ({data.setting.seeds} draws of the "
                f"weights per width, widths {sims[0][1]['teacher_width']} to "
                f"{sims[-1][1]['teacher_width']}){who} differs from the deterministic "
                f"equivalents by {_span([100 * g for g in gaps_t], '.2g')} % for L_T")
        if gaps_s:
            text += f" and {_span([100 * g for g in gaps_s], '.2g')} % for L_S(t*)"
        out.append(text + "; deterministic equivalents are exact only for wide "
                   "teachers, and the gap shrinks with the width.")
    return out


def summary_markdown(data, version: str) -> str:
    from .plots import PLOTS, _describe

    rows = summary_rows(data)
    s = data.setting
    lines = ["# Weak-to-strong report", "",
             f"{_describe(data)}; teacher widths "
             f"{', '.join(map(str, s.teacher_width))}; times {fmt(s.time_range[0])} to "
             f"{fmt(s.time_range[1])}.", "",
             f"Written by w2s_theory {version}. Rerun with "
             "`w2s report --config setting.toml`.", "", "## What it shows", ""]
    lines += [f"- {t}" for t in findings(data)]
    for wmsg in data.warnings:
        lines.append(f"- **Warning:** {wmsg}.")
    lines += ["", "## Numbers", ""]
    heads = [h for h, _ in TABLE_COLUMNS]
    lines.append("| " + " | ".join(heads) + " |")
    lines.append("|" + "|".join("---:" for _ in heads) + "|")
    for r in rows:
        lines.append("| " + " | ".join(f(r) for _, f in TABLE_COLUMNS) + " |")
    lines += ["", "The bound is the lower bound on any student f_S = A f_T with "
              "0 <= A <= I (alpha = 1). `sim` columns: mean ± standard error over the "
              "draws of the weights (exact simulation).", ""]
    g = data.grid
    if g and len(g["student_widths"]) > 1:
        cols = [str(w) for w in g["student_widths"]]
        lines += ["PGR(t*) over teacher widths (rows) and student widths (columns); "
                  "`sim` where simulated:", "",
                  "| M_T \\ M_S | " + " | ".join(cols) + " |",
                  "|---:|" + "---:|" * len(cols)]
        for r in g["rows"]:
            cells = []
            for c in r["cells"]:
                text = fmt(c["pgr"], ".4g")
                if c["sim_pgr"] is not None:
                    text += " (sim " + _pm(c["sim_pgr"], c["sim_pgr_stderr"]) + ")"
                cells.append(text)
            lines.append(f"| {r['teacher_width']} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Figures", ""]
    for name, (_, desc) in PLOTS.items():
        lines += [f"**{desc[0].upper() + desc[1:]}** (`{name}`)", "",
                  f"![{desc}]({name})", ""]
    from .files import FILES              # the one list of files (matplotlib: the figures)

    lines += ["## Files", ""]
    lines += [f"- [`{n}`]({n}): {d}" for n, d in FILES.items() if not n.endswith(".png")]
    return "\n".join(lines) + "\n"
