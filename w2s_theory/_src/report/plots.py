r"""The figures of a report, drawn with matplotlib's Agg canvas.

Figures are built as :class:`matplotlib.figure.Figure` objects and saved through the Agg
canvas: no pyplot, no global backend switch, no screen, so the report can run inside
any program (a notebook keeps its own backend).

* :func:`plot_risk_vs_time` - one panel per teacher width: the student's risk
  :math:`L_S(t)` and the teacher's :math:`L_T` (theory lines, simulation error bars),
  the lower bound at every time, :math:`t^*`, and the region where the student wins;
* :func:`plot_width_scan` - :math:`L_T`, :math:`L_S(t^*)` and the lower bound against
  the teacher width (log-log), and PGR(:math:`t^*`) with its upper bound;
* :func:`plot_limit` - :math:`L_S(t^*)` against :math:`L_T` with the bound's curve;
* :func:`plot_spectrum` - the kernel's eigenvalues with the teachers' :math:`\nu`, and
  the target's energies;
* :func:`plot_gain_grid` - PGR(:math:`t^*`) over teacher and student widths.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..bounds import student_lower_bound

__all__ = ["plot_risk_vs_time", "plot_width_scan", "plot_limit", "plot_spectrum",
           "plot_gain_grid",
           "PLOTS", "save"]

C_STUDENT, C_TEACHER, C_STAR, C_BOUND = "C0", "C3", "C2", "0.35"
DPI = 110


def save(fig: Figure, path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)


def _describe(data) -> str:
    s = data.setting
    feat = s.describe_features(tex=True)
    sw = ", ".join("infinite" if w == "inf" else str(w) for w in s.student_width)
    return f"{feat}, target {s.target}, student width {sw}"


def _ms(width) -> str:
    return r"$M_S = \infty$" if width in ("inf", None) else f"$M_S$ = {width}"


def _no_claim(data) -> str:
    """The bound's caveat on fits to samples (it is the population students')."""
    return "\n(population students: no claim on fits to samples)" \
        if data.widths and data.widths[0].curve.samples is not None else ""


def _f(x):
    return float("nan") if x is None else float(x)


def _positive(values):
    v = np.asarray([_f(x) for x in values], dtype=float)
    return v[np.isfinite(v) & (v > 0)]


def _errorbar(ax, x, summaries, **kw):
    """Error bars (mean +/- standard error) of simulation summaries, on log axes."""
    m = np.array([s.mean for s in summaries], dtype=float)
    se = np.array([s.stderr or 0.0 for s in summaries], dtype=float)
    lower = np.minimum(se, m * (1 - 1e-9))          # keep the bar above zero on log axes
    ax.errorbar(x, m, yerr=[lower, se], fmt=kw.pop("fmt", "o"), ms=kw.pop("ms", 3.5),
                capsize=2, elinewidth=1, **kw)


def plot_risk_vs_time(data) -> Figure:
    n = len(data.widths)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(4.3 * ncols, 3.5 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    lo, hi = data.setting.time_range
    t = np.asarray(data.times, dtype=float)
    E = data.target_energy
    for i, (ax, w) in enumerate(zip(axes, data.widths)):
        c = w.curve
        ls = np.array([_f(x) for x in c.student_risk])
        lb = np.array([_f(x) for x in c.lower_bound])
        LT = float(c.teacher_risk)
        for a, b in c.win_intervals:
            a, b = max(_f(a), lo), min(hi if b is None or math.isinf(_f(b)) else _f(b), hi)
            if a < b:
                ax.axvspan(a, b, color=C_STAR, alpha=0.10, lw=0,
                           label="student beats teacher")
        primary = data.setting.primary_student_width
        several = len(data.setting.student_width) > 1
        ax.plot(t, ls, color=C_STUDENT, lw=1.8, label="student $L_S(t)$, theory"
                + (f" ({_ms(primary)})" if several or primary != "inf" else ""))
        for j, (M_S, other) in enumerate(w.other_curves):
            ax.plot(t, [_f(x) for x in other.student_risk],
                    color=("C1", "C4", "C8", "C9", "C5", "C6")[j % 6],
                    lw=1.1, label=f"student, theory ({_ms(M_S)})")
        ax.axhline(LT, color=C_TEACHER, ls="--", lw=1.4, label="teacher $L_T$, theory")
        ax.plot(t, lb, color=C_BOUND, ls=":", lw=1.3, label="lower bound on $L_S(t)$")
        sim = w.simulation
        if sim is not None:
            tm, ts = sim.teacher_risk.mean, sim.teacher_risk.stderr or 0.0
            ax.axhspan(max(tm - 2 * ts, tm * 1e-3), tm + 2 * ts, color=C_TEACHER,
                       alpha=0.18, lw=0, label="teacher, simulation (±2 s.e.)")
            who = "student" if primary == "inf" and not several else \
                f"student ({_ms(primary)})"
            _errorbar(ax, np.asarray(w.sim_times), sim.student_risk, color=C_STUDENT,
                      mfc="white", label=f"{who}, simulation ({sim.seeds} seeds)")
        t_star, l_star = _f(c.optimal_time), _f(c.optimal_student_risk)
        if math.isfinite(t_star):
            ax.axvline(t_star, color=C_STAR, ls="-.", lw=1.1)
            ax.plot([t_star], [l_star], marker="*", ms=11, color=C_STAR, ls="none",
                    label="optimal stopping $t^*$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        floor = _positive(list(ls) + list(lb) + [l_star])
        ymin = max(floor.min() * 0.3, E * 1e-14) if floor.size else E * 1e-6
        ax.set_ylim(ymin, E * 2.5)
        pgr = _f(c.optimal_pgr)
        ax.set_title(f"$M_T$ = {w.teacher_width}:  $t^*$ = {t_star:.4g},  "
                     f"PGR($t^*$) = {pgr:.4g}", fontsize=9)
        ax.set_xlabel("training time $t$ of the student", fontsize=8)
        ax.set_ylabel("population risk", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.25)
    for ax in axes[n:]:
        ax.set_visible(False)
    seen = {}
    for ax in axes[:n]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    fig.legend(seen.values(), seen.keys(), loc="outside lower center",
               ncol=3 if len(seen) > 8 else 4, fontsize=8, frameon=False)
    fig.suptitle("Weak-to-strong: teacher and student risk against time\n"
                 + _describe(data), fontsize=10)
    return fig


def _width_ticks(ax, widths):
    """The teacher widths themselves as the ticks of a log x axis."""
    from matplotlib.ticker import FixedLocator, NullFormatter

    if len(widths) <= 12:
        ax.xaxis.set_major_locator(FixedLocator(list(widths)))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_minor_formatter(NullFormatter())


def _width_arrays(data):
    M = np.array([w.teacher_width for w in data.widths], dtype=float)
    LT = np.array([_f(w.curve.teacher_risk) for w in data.widths])
    LS = np.array([_f(w.curve.optimal_student_risk) for w in data.widths])
    PGR = np.array([_f(w.curve.optimal_pgr) for w in data.widths])
    PUB = np.array([_f(w.curve.pgr_upper_bound) for w in data.widths])
    LB = np.array([float(student_lower_bound(lt, data.target_energy, 1.0)) for lt in LT])
    return M, LT, LS, PGR, PUB, LB


def plot_width_scan(data) -> Figure:
    M, LT, LS, PGR, PUB, LB = _width_arrays(data)
    fig = Figure(figsize=(10.5, 4.2), layout="constrained")
    ax, bx = fig.subplots(1, 2)
    ax.plot(M, LT, "s-", color=C_TEACHER, ms=4, label="teacher $L_T$, theory")
    ax.plot(M, LS, "o-", color=C_STUDENT, ms=4, label="student $L_S(t^*)$, theory")
    ax.plot(M, LB, "--", color=C_BOUND, label=r"lower bound on $L_S$ ($\alpha$ = 1)"
            + _no_claim(data))
    sims = [w for w in data.widths if w.sim_at_t_star() is not None]
    if sims:
        x = np.array([w.teacher_width for w in sims], dtype=float)
        _errorbar(ax, x * 1.04, [w.sim_teacher for w in sims], color=C_TEACHER, fmt="s",
                  mfc="white", label="teacher, simulation")
        _errorbar(ax, x * 0.96, [w.sim_at_t_star() for w in sims], color=C_STUDENT,
                  mfc="white", label="student at $t^*$, simulation")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _width_ticks(ax, M)
    ax.set_xlabel("teacher width $M_T$")
    ax.set_ylabel("population risk")
    ax.set_title("Risks against the teacher width", fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(fontsize=7)
    bx.plot(M, PGR, "o-", color=C_STUDENT, ms=4, label="PGR($t^*$), theory")
    bx.plot(M, PUB, "--", color=C_BOUND, label="upper bound on PGR")
    sim_pgr = [(w.teacher_width, w.sim_pgr_at_t_star()) for w in sims]
    if sim_pgr:
        x = np.array([m for m, _ in sim_pgr], dtype=float)
        y = np.array([p[0] for _, p in sim_pgr])
        e = np.array([p[1] or 0.0 for _, p in sim_pgr])
        bx.errorbar(x, y, yerr=e, fmt="o", ms=3.5, mfc="white", color=C_STUDENT,
                    capsize=2, label="PGR($t^*$), simulation")
        values = np.concatenate([PGR, PUB, y - e, y + e])
    else:
        values = np.concatenate([PGR, PUB])
    values = values[np.isfinite(values)]
    bx.set_xscale("log")
    _width_ticks(bx, M)
    if values.size and values.min() > 0 and values.max() < 1:
        bx.set_yscale("logit")               # the log scale of a fraction close to 1
        _logit_ticks(bx, values.min(), values.max())
        bx.set_title("Performance gap recovered at $t^*$ (logit scale)", fontsize=10)
    else:
        bx.set_title("Performance gap recovered at $t^*$", fontsize=10)
    bx.set_xlabel("teacher width $M_T$")
    bx.set_ylabel("PGR = $(L_T - L_S(t^*))/L_T$")
    bx.grid(True, which="major", alpha=0.25)
    bx.legend(fontsize=7)
    fig.suptitle(_describe(data), fontsize=9)
    return fig


def _logit_ticks(ax, lo, hi):
    """Ticks 0.5, 0.9, 0.99, ... (and 0.1, 0.01, ...) written as plain decimals."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ticks = [0.5] + [1 - 10.0 ** -k for k in range(1, 13)] + [10.0 ** -k for k in
                                                               range(1, 13)]
    lo_t, hi_t = lo / 3, 1 - (1 - hi) / 3
    ticks = sorted(t for t in ticks if lo_t <= t <= hi_t)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v:.12f}".rstrip("0") if v < 0.5 else
        f"{v:.{max(1, round(-math.log10(1 - v)))}f}"))
    ax.set_ylim(lo_t, hi_t)


def plot_limit(data) -> Figure:
    M, LT, LS, PGR, PUB, LB = _width_arrays(data)
    E = data.target_energy
    fig = Figure(figsize=(5.6, 4.6), layout="constrained")
    ax = fig.subplots()
    lo = max(np.nanmin(LT) / 3, E * 1e-12)
    grid = np.geomspace(lo, E, 200)
    bound = np.array([float(student_lower_bound(x, E, 1.0)) for x in grid])
    ax.plot(grid, grid, ":", color="k", lw=1, label="$L_S = L_T$ (no gain)")
    ax.plot(grid, bound, "--", color=C_BOUND, lw=1.5,
            label=r"lower bound ($\approx L_T^2/\|f_T\|^2$)" + _no_claim(data))
    ax.plot(LT, LS, "o-", color=C_STUDENT, ms=4, label="$L_S(t^*)$, theory")
    for m, x, y in zip(M, LT, LS):
        ax.annotate(f"{int(m)}", (x, y), textcoords="offset points", xytext=(4, -9),
                    fontsize=6.5, color=C_STUDENT)
    sims = [w for w in data.widths if w.sim_at_t_star() is not None]
    if sims:
        xm = np.array([w.sim_teacher.mean for w in sims])
        xe = np.array([w.sim_teacher.stderr or 0 for w in sims])
        ym = np.array([w.sim_at_t_star().mean for w in sims])
        ye = np.array([w.sim_at_t_star().stderr or 0 for w in sims])
        ax.errorbar(xm, ym, xerr=[np.minimum(xe, xm * 0.999), xe],
                    yerr=[np.minimum(ye, ym * 0.999), ye], fmt="o", ms=3.5, mfc="white",
                    color=C_STUDENT, capsize=2, alpha=0.8, label="simulation")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("teacher risk $L_T$")
    ax.set_ylabel("student risk at the optimal time, $L_S(t^*)$")
    ax.set_title("The limit: the student cannot beat the bound\n"
                 "(labels: teacher width $M_T$)", fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(fontsize=7, loc="upper left")
    return fig


def plot_spectrum(data) -> Figure:
    sp = data.spectrum
    k = np.asarray(sp["index"], dtype=float)
    lam = np.asarray(sp["eigenvalue"], dtype=float)
    mult = np.asarray(sp["multiplicity"], dtype=float)
    B = np.asarray(sp["target_energy"], dtype=float)
    x = k if sp["kind"] in ("sphere", "gaussian-inputs") else k + 1
    logx = sp["kind"] != "sphere" and len(k) > 50
    fig = Figure(figsize=(10.5, 4.0), layout="constrained")
    ax, bx = fig.subplots(1, 2)
    pos = lam > 0
    ax.plot(x[pos], lam[pos], "o", ms=4, color=C_STUDENT, label=r"eigenvalue $\lambda$")
    if (~pos).any():
        ax.plot(x[~pos], np.full((~pos).sum(), lam[pos].min() * 0.2), "x", ms=5,
                color=C_TEACHER, label=r"$\lambda = 0$ (not representable)")
    colors = [f"C{(i + 4) % 10}" for i in range(len(sp["nu"]))]
    for nu, M, col in zip(sp["nu"], data.setting.teacher_width, colors):
        ax.axhline(nu, color=col, lw=0.9, ls="--", label=rf"$\nu$ of $M_T$ = {M}")
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(sp["label"] if sp["kind"] in ("sphere", "gaussian-inputs") else "index i")
    ax.set_ylabel("eigenvalue")
    ax.set_title("Kernel spectrum; the teacher learns the directions with "
                 r"$\lambda \gg \nu$", fontsize=9)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(fontsize=6.5, ncol=2)
    trace = mult * lam
    if (B > 0).any():
        bx.plot(x[B > 0], B[B > 0], "D", ms=7, color="C1", mfc="none",
                label="target energy $B$")
    bx.plot(x[trace > 0], trace[trace > 0], "o", ms=3, color=C_STUDENT,
            label=r"kernel mass $N\lambda$ per block")
    bx.set_yscale("log")
    if logx:
        bx.set_xscale("log")
    bx.set_xlabel(sp["label"] if sp["kind"] in ("sphere", "gaussian-inputs") else "index i")
    bx.set_title(f"Target energy per block (total {data.target_energy:.4g}"
                 + (f", unlearnable floor {data.floor:.3g}" if data.floor > 0 else "")
                 + ")", fontsize=9)
    bx.grid(True, which="major", alpha=0.25)
    bx.legend(fontsize=7)
    fig.suptitle(_describe(data), fontsize=9)
    return fig


#: file name -> (function, one-line description)
def plot_gain_grid(data) -> Figure:
    """Heat map of PGR(t*) over teacher widths (rows) and student widths (columns), the
    theory's value in each cell and, where simulated, the simulation's (mean +/- s.e.)
    below it; cells with no gap to recover (``M_S <= M_T``) are blank."""
    g = data.grid
    rows = g["rows"]
    cols = [str(w) for w in g["student_widths"]]
    P = np.array([[np.nan if c["pgr"] is None else c["pgr"] for c in r["cells"]]
                  for r in rows], dtype=float)
    fig = Figure(figsize=(1.3 * len(cols) + 2.6, 0.62 * len(rows) + 1.9),
                 layout="constrained")
    ax = fig.subplots()
    finite = P[np.isfinite(P)]
    vmin = float(min(0.0, finite.min())) if finite.size else 0.0
    im = ax.imshow(P, cmap="viridis", vmin=vmin, vmax=1.0, aspect="auto")
    for i, r in enumerate(rows):
        for j, c in enumerate(r["cells"]):
            if c["pgr"] is None:
                ax.text(j, i, "no gap", ha="center", va="center", fontsize=7,
                        color="0.4")
                continue
            dark = c["pgr"] < vmin + 0.6 * (1 - vmin)
            text = f"{c['pgr']:.3f}"
            if c["sim_pgr"] is not None:
                se = c["sim_pgr_stderr"]
                text += f"\nsim {c['sim_pgr']:.3f}" + ("" if se is None else f"±{se:.2g}")
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(cols)), [c.replace("inf", "∞") for c in cols], fontsize=8)
    ax.set_yticks(range(len(rows)), [str(r["teacher_width"]) for r in rows], fontsize=8)
    ax.set_xlabel("student width $M_S$", fontsize=9)
    ax.set_ylabel("teacher width $M_T$", fontsize=9)
    fig.colorbar(im, ax=ax, label="PGR($t^*$) against the student's ceiling")
    ax.set_title("Performance gap recovered at the optimal stopping time\n"
                 + _describe(data), fontsize=9)
    return fig


PLOTS = {
    "risk_vs_time.png": (plot_risk_vs_time, "teacher and student risk against time, "
                         "t* and the region where the student wins"),
    "width_scan.png": (plot_width_scan, "L_T, L_S(t*), the lower bound and PGR(t*) "
                       "against the teacher width"),
    "limit.png": (plot_limit, "L_S(t*) against L_T with the lower bound's curve"),
    "spectrum.png": (plot_spectrum, "the kernel spectrum, the teachers' nu and the "
                     "target's energies"),
    "pgr_heatmap.png": (plot_gain_grid, "PGR(t*) over teacher and student widths, theory "
                        "and (where simulated) simulation"),
}
