"""The ``w2s`` command line, run as a user runs it: in subprocesses.

For every subcommand (spectrum, risk, simulate, bound, latex, report): exit codes, the
shapes of the ``--json`` output, ``--help`` with an example, one-line errors on bad
input (exit status 2, no traceback, the option named), and that nothing is written
outside the folder or file a command is given (each run gets an empty working folder,
checked afterwards).

Each invocation starts a Python process (about 2 s of imports), so all of them are
started together at the beginning, a few at a time, and the tests read their results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

W2S = [sys.executable, "-m", "w2s_theory._src.cli.main"]
SUBCOMMANDS = ["spectrum", "risk", "width", "simulate", "bound", "latex", "report",
               "sweep", "exponent"]

# name -> (arguments, files the run may create in its working folder)
RUNS = {
    "top-help": (["--help"], []),
    "no-args": ([], []),
    "version": (["--version"], []),
    **{f"help-{c}": ([c, "--help"], []) for c in SUBCOMMANDS},
    "spectrum": (["spectrum", "--activation", "relu", "--dim", "6", "--max-degree", "8",
                  "--json"], []),
    "spectrum-digits": (["spectrum", "--activation", "relu", "--dim", "6", "--max-degree",
                         "4", "--digits", "40", "--json"], []),
    "spectrum-table": (["spectrum", "--dim", "6", "--max-degree", "3"], []),
    "risk": (["risk", "--activation", "relu", "--dim", "6", "--target", "degree:1",
              "--teacher-width", "100", "--time", "300,1000", "--json"], []),
    "risk-table": (["risk", "--dim", "6", "--teacher-width", "50", "--time", "100,1000"],
                   []),
    "risk-linear": (["risk", "--variances", "1,0.5,0.25,0.125", "--target",
                     "linear:1,1,1,1", "--teacher-width", "2", "--time", "10", "--json"],
                    []),
    # the contract of issue 11: a finite student width, sphere and linear features
    "risk-student": (["risk", "--activation", "relu", "--dim", "10", "--target", "degree:1",
                      "--teacher-width", "100", "--student-width", "400", "--time",
                      "1000,3162,10000", "--json"], []),
    "risk-student-linear": (["risk", "--variances", "1,0.5,0.25,0.125,0.0625,0.03125",
                             "--target", "linear:1,1,1,1,1,1", "--teacher-width", "2",
                             "--student-width", "4", "--time", "10,100", "--json"], []),
    "risk-descent": (["risk", "--dim", "10", "--teacher-width", "100", "--student-width",
                      "400", "--lr", "5", "--steps", "200,2000"], []),
    "width": (["width", "--dim", "6", "--teacher-width", "20", "--fraction", "0.5",
               "--json"], []),
    # the contract of issue 13: finite samples
    "risk-samples": (["risk", "--dim", "6", "--teacher-width", "50", "--samples", "500",
                      "--student-samples", "1000", "--noise", "0.01", "--time", "100,1000",
                      "--json"], []),
    "simulate": (["simulate", "--activation", "relu", "--dim", "6", "--target", "degree:1",
                  "--teacher-width", "30", "--student-width", "inf", "--time", "300,1000",
                  "--seeds", "3", "--json"], []),
    "simulate-finite": (["simulate", "--dim", "6", "--teacher-width", "20",
                         "--student-width", "60", "--time", "100", "--seeds", "2",
                         "--quiet"], []),
    "bound": (["bound", "--teacher-risk", "0.01", "--target-energy", "1", "--json"], []),
    "bound-alpha": (["bound", "--teacher-risk", "0.01", "--alpha", "0.5"], []),
    "latex-list": (["latex", "--list"], []),
    "latex-one": (["latex", "shrinkage"], []),
    "latex-all": (["latex", "--all", "--out", "formulas.tex"], ["formulas.tex"]),
    "report": (["report", "--dim", "6", "--teacher-width", "20,50", "--seeds", "2",
                "--time-points", "30", "--sim-points", "4", "--out", "rep", "--json"],
               ["rep"]),
    # bad input: (arguments, files), checked by test_bad_input below
    "bad-spectrum-dim": (["spectrum", "--dim", "1"], []),
    "bad-spectrum-activation": (["spectrum", "--activation", "nosuch", "--dim", "5"], []),
    "bad-spectrum-nonnumeric": (["spectrum", "--dim", "six"], []),
    "bad-risk-width": (["risk", "--dim", "6", "--teacher-width", "0"], []),
    "bad-risk-time": (["risk", "--dim", "6", "--time", "-1"], []),
    "bad-risk-target": (["risk", "--dim", "6", "--target", "degree:x"], []),
    "bad-risk-digits": (["risk", "--dim", "6", "--digits", "5"], []),
    "bad-simulate-seeds": (["simulate", "--dim", "6", "--time", "1", "--seeds", "0"], []),
    "bad-simulate-width": (["simulate", "--dim", "6", "--time", "1", "--student-width",
                            "abc"], []),
    "bad-bound-risk": (["bound", "--teacher-risk", "2"], []),
    "bad-bound-alpha": (["bound", "--teacher-risk", "0.1", "--alpha", "3"], []),
    "bad-latex-name": (["latex", "shrinkag"], []),
    "bad-latex-out": (["latex", "--all", "--out", "no/such/dir/x.tex"], []),
    "bad-report-config": (["report", "--config", "missing.toml"], []),
    "bad-report-width": (["report", "--teacher-width", "10,0"], []),
    "bad-report-out": (["report", "--out", "a-file/inside"], ["a-file"]),
    "bad-unknown-option": (["risk", "--dimm", "6"], []),
    "bad-student-width": (["risk", "--dim", "6", "--student-width", "0"], []),
    "bad-lr-with-time": (["risk", "--dim", "6", "--lr", "0.1", "--steps", "3", "--time",
                          "1"], []),
    "bad-lr-divergent": (["risk", "--dim", "6", "--lr", "1e6", "--steps", "3"], []),
    "bad-steps": (["risk", "--dim", "6", "--lr", "0.1", "--steps", "2.5"], []),
    "bad-steps-negative": (["risk", "--dim", "6", "--lr", "0.1", "--steps", "-1"], []),
    "bad-width-fraction": (["width", "--dim", "6", "--fraction", "1"], []),
    "bad-samples": (["risk", "--dim", "6", "--samples", "0"], []),
    "bad-ridge": (["risk", "--dim", "6", "--samples", "100", "--ridge", "-1"], []),
    "bad-noise": (["risk", "--dim", "6", "--samples", "100", "--noise", "-0.5"], []),
}

# bad input -> the option its one-line error must name
BAD = {
    "bad-spectrum-dim": "--dim", "bad-spectrum-activation": "--activation",
    "bad-spectrum-nonnumeric": "--dim", "bad-risk-width": "--teacher-width",
    "bad-risk-time": "--time", "bad-risk-target": "--target", "bad-risk-digits": "--digits",
    "bad-simulate-seeds": "--seeds", "bad-simulate-width": "--student-width",
    "bad-bound-risk": "--teacher-risk", "bad-bound-alpha": "--alpha",
    "bad-latex-name": "NAME", "bad-latex-out": "--out", "bad-report-config": "--config",
    "bad-report-width": "--teacher-width", "bad-report-out": "--out",
    "bad-unknown-option": "--dimm", "bad-student-width": "--student-width",
    "bad-lr-with-time": "--lr",
    "bad-lr-divergent": "--lr", "bad-steps": "--steps", "bad-steps-negative": "--steps",
    "bad-width-fraction": "--fraction", "bad-samples": "--samples", "bad-ridge": "--ridge",
    "bad-noise": "--noise",
}


def _run(name, root):
    args, _ = RUNS[name]
    cwd = root / name
    cwd.mkdir()
    if name == "bad-report-out":
        (cwd / "a-file").write_text("a file, not a folder")
    p = subprocess.run(W2S + args, cwd=cwd, capture_output=True, text=True, timeout=600)
    return {"code": p.returncode, "out": p.stdout, "err": p.stderr, "cwd": cwd}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    # the slow ones first, then the rest, three at a time (two cores, mostly imports)
    order = sorted(RUNS, key=lambda n: n not in ("report", "simulate", "latex-all"))
    with ThreadPoolExecutor(max_workers=3) as ex:
        futures = {n: ex.submit(_run, n, root) for n in order}
        return {n: f.result() for n, f in futures.items()}


def _json(r):
    assert r["code"] == 0, r["err"]
    lines = r["out"].strip().splitlines()
    assert len(lines) == 1, "--json prints exactly one line"
    return json.loads(lines[0])


# --------------------------------------------------------------------------------------


def test_nothing_written_outside_the_given_folder(runs):
    for name, r in runs.items():
        allowed = sorted(RUNS[name][1])
        assert sorted(os.listdir(r["cwd"])) == allowed, name


def test_top_level_help_and_version(runs):
    assert runs["top-help"]["code"] == 0
    for c in SUBCOMMANDS:
        assert c in runs["top-help"]["out"]
    assert runs["no-args"]["code"] == 0 and "usage: w2s" in runs["no-args"]["out"]
    from w2s_theory import __version__

    assert runs["version"]["out"].strip() == f"w2s_theory {__version__}"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_has_an_example(runs, command):
    r = runs[f"help-{command}"]
    assert r["code"] == 0 and r["err"] == ""
    text = r["out"]
    assert text.startswith(f"usage: w2s {command}")
    assert "example:" in text
    example = text.split("example:", 1)[1]
    assert f"w2s {command}" in example
    if command not in ("latex",):
        assert "--json" in text                 # every command printing numbers has it


def test_spectrum_json(runs):
    o = _json(runs["spectrum"])
    assert {"activation", "dim", "degrees", "coefficients", "eigenvalues",
            "multiplicities"} <= set(o)
    assert o["activation"] == "relu" and o["dim"] == 6 and o["degrees"] == list(range(9))
    for key in ("coefficients", "eigenvalues", "multiplicities"):
        assert len(o[key]) == 9
    assert o["multiplicities"][:3] == [1, 6, 20]
    assert all(isinstance(x, float) for x in o["eigenvalues"])
    # relu: c_1 = 1/(2d), and no odd harmonics of degree >= 3
    assert o["coefficients"][1] == pytest.approx(1 / 12, rel=1e-12)
    assert o["eigenvalues"][3] == 0 and o["eigenvalues"][5] == 0
    d = _json(runs["spectrum-digits"])
    assert all(isinstance(x, str) for x in d["eigenvalues"])
    assert d["coefficients"][1].startswith("0.08333333333333333333333333333333333333333")
    assert "lambda_k" in runs["spectrum-table"]["out"]


def test_risk_json(runs):
    o = _json(runs["risk"])
    keys = {"teacher_risk", "nu_teacher", "times", "student_risk", "gain", "pgr",
            "optimal_time", "optimal_student_risk", "lower_bound"}
    assert keys <= set(o)
    assert o["times"] == [300.0, 1000.0]
    for key in ("student_risk", "gain", "pgr", "lower_bound"):
        assert len(o[key]) == 2
    assert o["optimal_student_risk"] < o["teacher_risk"]
    assert all(lb <= ls for lb, ls in zip(o["lower_bound"], o["student_risk"]))
    for name in ("risk-student", "risk-student-linear"):
        st = _json(runs[name])
        assert {"student_width", "student_ceiling_risk", "student_risk", "gain", "pgr",
                "optimal_time", "optimal_student_risk"} <= set(st)
        assert st["student_width"] in (400, 4) and 0 < st["student_ceiling_risk"]
        # the finite student is worse than the infinite one, and above its ceiling
        assert st["optimal_student_risk"] >= st["student_ceiling_risk"]
    gd = runs["risk-descent"]
    assert gd["code"] == 0 and "steps" in gd["out"] and "gradient descent" in gd["out"]
    sm = _json(runs["risk-samples"])
    assert {"teacher_risk", "optimal_student_risk", "samples"} <= set(sm)
    # a teacher on 500 noisy samples is worse than the population one (o: M_T = 100)
    assert sm["teacher_risk"] > 0 and sm["samples"]["teacher_samples"] == 500
    wd = _json(runs["width"])
    assert wd["gain"] >= 0.5 * wd["infinite_gain"] > wd["gain_below"]
    lin = _json(runs["risk-linear"])
    assert lin["setting"]["variances"] == [1, 0.5, 0.25, 0.125]
    t = runs["risk-table"]
    assert t["code"] == 0 and "L_S(t)" in t["out"] and "optimal stopping" in t["out"]


def test_simulate_json(runs):
    o = _json(runs["simulate"])
    assert o["times"] == [300.0, 1000.0]
    assert set(o["teacher_risk"]) >= {"mean", "stderr", "values"}
    assert len(o["teacher_risk"]["values"]) == 3
    assert len(o["student_risk"]) == 2
    assert all({"mean", "stderr"} <= set(s) for s in o["student_risk"])
    assert len(o["theory"]["student_risk"]) == 2
    assert runs["simulate"]["err"] == ""                # --json: no progress bar
    f = runs["simulate-finite"]
    assert f["code"] == 0 and "teacher" in f["out"] and f["err"] == ""


def test_bound_json(runs):
    o = _json(runs["bound"])
    assert {"lower_bound", "gain_upper_bound", "pgr_upper_bound"} <= set(o)
    # (sqrt(L + F^2/4) - F/2)^2 with F^2 = 1 - L
    L = 0.01
    F = (1 - L) ** 0.5
    assert o["lower_bound"] == pytest.approx(((L + F * F / 4) ** 0.5 - F / 2) ** 2,
                                             rel=1e-12)
    assert o["gain_upper_bound"] == pytest.approx(L - o["lower_bound"], rel=1e-12)
    assert runs["bound-alpha"]["code"] == 0 and "alpha" in runs["bound-alpha"]["out"]


def test_latex(runs):
    lst = runs["latex-list"]
    assert lst["code"] == 0 and "shrinkage" in lst["out"] and "student_risk" in lst["out"]
    one = runs["latex-one"]
    assert one["code"] == 0 and "\\frac{\\nu}{\\lambda_{k} + \\nu}" in one["out"]
    doc = (runs["latex-all"]["cwd"] / "formulas.tex").read_text()
    assert "\\begin{document}" in doc and doc.rstrip().endswith("\\end{document}")
    assert runs["latex-all"]["out"] == ""


def test_report_json(runs):
    o = _json(runs["report"])
    assert runs["report"]["err"] == ""
    assert {"out", "files", "version", "setting", "widths"} <= set(o)
    assert [w["teacher_width"] for w in o["widths"]] == [20, 50]
    for w in o["widths"]:
        assert {"teacher_risk", "optimal_time", "optimal_student_risk", "optimal_pgr",
                "lower_bound", "sim_teacher_risk",
                "sim_student_risk_at_optimal_time"} <= set(w)
    folder = runs["report"]["cwd"] / "rep"
    assert Path(o["out"]) == folder.resolve()
    assert sorted(os.listdir(folder)) == sorted(o["files"])


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input(runs, name):
    r = runs[name]
    assert r["code"] == 2, (name, r["err"])
    assert r["out"] == ""
    lines = r["err"].strip().splitlines()
    assert len(lines) == 1, r["err"]
    assert "Traceback" not in r["err"]
    command = RUNS[name][0][0]
    assert lines[0].startswith(f"w2s {command}: error: ")
    assert BAD[name] in lines[0]
