"""``w2s simulate``: teacher and student simulated over many seeds, beside the theory.

Contract (kept stable): ``w2s simulate --activation relu --dim 6 --target degree:1
--teacher-width 100 --student-width inf --time 300,1000 --seeds 20 --json`` prints one
JSON object with ``"times"``, ``"teacher_risk"`` (``{"mean", "stderr", "values"}``),
``"student_risk"`` (a list aligned with ``"times"`` of ``{"mean", "stderr", "values"}``)
and ``"theory"`` (the ``w2s risk`` numbers for the same setting, or ``null`` where no
theory of the simulated student exists: a finite-width student, or ``--n``), plus
``"method"``, ``"setting"``, ``"seeds"``, ``"seed"``, ``"theory_teacher_risk"``,
``"relative_gap"`` and ``"diagnostics"``. ``--student-width`` takes an integer or
``inf``; ``--method exact|sampled`` picks the simulator (exact by default).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from ..simulation import simulate
from .common import (TARGET_HELP, OptionError, add_feature_options, parse_list, print_json,
                     print_table, spectrum_from_args)

NAME = "simulate"
HELP = ("Simulate teacher and student over random weights (exact in the inputs, or the "
        "practitioner's sampled-input training), with the theory beside the result.")
EXAMPLE = """\
w2s simulate --activation relu --dim 6 --target degree:1 --teacher-width 100 \\
    --student-width inf --time 300,1000 --seeds 20 --json
w2s simulate --activation relu --dim 6 --teacher-width 100 --student-width 2000 --time 1000
w2s simulate --activation relu --dim 6 --teacher-width 20 --time 10,100 --method sampled \\
    --n 500 --seeds 4"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_feature_options(parser)
    g = parser.add_argument_group("setting")
    g.add_argument("--target", default="degree:1", help=TARGET_HELP)
    g.add_argument("--teacher-width", default="100", metavar="M_T",
                   help="teacher width (default 100)")
    g.add_argument("--student-width", default="inf", metavar="M_S",
                   help="student width: an integer, or inf (default)")
    g.add_argument("--time", required=True, metavar="T1,T2,...",
                   help="stopping times of the student, comma-separated (inf allowed with "
                        "the exact method)")
    s = parser.add_argument_group("simulation")
    s.add_argument("--method", default="exact", choices=["exact", "sampled"],
                   help="exact: inputs integrated exactly (default); sampled: the "
                        "practitioner's simulation (sampled inputs, mini-batch SGD)")
    s.add_argument("--seeds", default="10", metavar="S",
                   help="number of independent draws of the weights (default 10)")
    s.add_argument("--seed", default="0", help="root seed (default 0)")
    s.add_argument("--n", default=None,
                   help="sampled method: the student sees only N fixed inputs")
    s.add_argument("--workers", default=None,
                   help="processes (default: the cores, when the run is worth it)")
    s.add_argument("--blas-threads", default="1", metavar="N",
                   help="BLAS threads of a one-worker run (default 1: multithreaded "
                        "OpenBLAS is slow on busy cores; try 2 for one very wide student "
                        "on an idle machine)")
    s.add_argument("--truncation", default=None, metavar="D",
                   help="power-law spectra: coordinates simulated (default: automatic, "
                        "reported)")
    s.add_argument("--batch-size", default=None, help="sampled method: batch size (256)")
    s.add_argument("--test-size", default=None,
                   help="sampled method: held-out inputs per seed (4096)")
    o = parser.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print one JSON object")
    o.add_argument("--quiet", action="store_true", help="no progress bar")


class ProgressBar:
    """A one-line progress bar on stderr, drawn only once the run has taken 2 s."""

    def __init__(self, prog: str, stream=None, delay: float = 2.0):
        self.prog, self.stream, self.delay = prog, stream or sys.stderr, delay
        self.start = time.monotonic()
        self.done, self.total, self.drawn = 0, None, False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = None

    def __call__(self, done, total):
        # the ticker thread starts with the first report, once any worker processes
        # have been forked (forking with a live thread is best avoided)
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        with self._lock:
            self.done, self.total = done, total
        self._draw()

    def _tick(self):
        while not self._stop.wait(0.5):
            self._draw()

    def _draw(self):
        elapsed = time.monotonic() - self.start
        if elapsed < self.delay:
            return
        with self._lock:
            total = self.total or 0
            frac = self.done / total if total else 0.0
            bar = "#" * int(round(24 * frac))
            seeds = f"{self.done}/{total} seeds" if total else "starting"
            self.stream.write(f"\r{self.prog}: [{bar:<24}] {seeds}, {elapsed:.0f} s")
            self.stream.flush()
            self.drawn = True

    def close(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def run(args) -> int:
    args._option_names = {"times": "--time", "n": "--n", "seeds": "--seeds",
                          "seed": "--seed", "method": "--method"}
    spectrum = spectrum_from_args(args)
    times = parse_list("--time", args.time)
    if args.method == "exact":
        for opt in ("batch_size", "test_size", "n"):
            if getattr(args, opt) is not None:
                name = "--" + opt.replace("_", "-")
                raise OptionError(name, "goes with --method sampled (the exact method "
                                        "integrates the inputs)")
    bar = None if (args.json or args.quiet) else ProgressBar("w2s simulate")
    try:
        result = simulate(spectrum, target=args.target, teacher_width=args.teacher_width,
                          student_width=args.student_width, times=times,
                          method=args.method, seeds=args.seeds, seed=args.seed, n=args.n,
                          workers=args.workers, progress=bar, truncation=args.truncation,
                          batch_size=args.batch_size, test_size=args.test_size,
                          blas_threads=args.blas_threads)
    finally:
        if bar is not None:
            bar.close()
    out = result.to_dict()
    if args.json:
        print_json(out)
        return 0
    _print_readable(result, out)
    return 0


def _fmt(x, spec=".4g"):
    return "-" if x is None else format(float(x), spec)


def _print_readable(result, out):
    s = result.setting
    fam = s.get("activation") or s.get("kind")
    print(f"w2s simulate ({result.method}): {fam}"
          + (f", d = {s['dim']}" if s.get("dim") else "")
          + f", target {s['target']}, M_T = {s['teacher_width']}, "
            f"M_S = {s['student_width']}" + (f", n = {s['n']}" if s.get("n") else "")
          + f", {result.seeds} seeds from seed {result.seed}")
    th = result.theory["student_risk"] if result.theory else [None] * len(result.times)
    gaps = out["relative_gap"] or {}
    sgaps = gaps.get("student_risk") or [None] * len(result.times)
    rows = [["teacher", _fmt(result.teacher_risk.mean), _fmt(result.teacher_risk.stderr,
                                                               ".2g"),
             _fmt(result.theory_teacher_risk), _fmt(gaps.get("teacher_risk"), "+.3f")]]
    for t, sm, tv, gp in zip(result.times, result.student_risk, th, sgaps):
        rows.append([f"student t={t:g}", _fmt(sm.mean), _fmt(sm.stderr, ".2g"), _fmt(tv),
                     _fmt(gp, "+.3f")])
    print_table(rows, ["risk", "mean", "stderr", "theory", "rel. gap"])
    if result.theory is None and result.theory_teacher_risk is not None:
        print("(no theory for this student: a finite width or a finite sample)")
    d = result.diagnostics
    if "truncation_bound" in d and s.get("family") == "sphere":
        print(f"omitted degrees contribute at most {max(d['truncation_bound']):.2g} "
              f"(degrees summed: {d['degrees']})")
    if s.get("omitted_kernel_trace") is not None:
        print(f"simulated coordinates: {s['dimension']} (omitted kernel trace "
              f"{s['omitted_kernel_trace']:.3g}, omitted target energy "
              f"{s['omitted_target_energy']:.3g})")
    if "teacher_training" in d:
        tt = d["teacher_training"]
        print(f"teacher SGD: {tt['converged']}/{result.seeds} converged, "
              f"{tt['mean_steps']:.0f} steps on average (time {tt['mean_time']:.3g})")
    print(f"{d['seconds']:.1f} s on {d['workers']} worker(s)")
