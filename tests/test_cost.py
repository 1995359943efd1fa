"""Cost awareness (issue 15 item 2): estimates, the up-front refusal, Ctrl-C.

* :mod:`w2s_theory._src.cost`: the estimates grow with what costs (digits, widths,
  seeds, times) and :func:`check` refuses beyond a limit, naming ``--max-seconds`` with
  the estimate;
* the commands refuse a request estimated beyond ``--max-seconds`` *before* computing
  (the computation is replaced by a function that fails the test if called);
* Ctrl-C: ``w2s simulate`` (large widths: the seeds run in worker processes), ``w2s
  risk`` at many digits, ``w2s latex --all --out`` and ``w2s report`` stop within
  :data:`SIGINT_DEADLINE` seconds of SIGINT with the one line ``w2s CMD: interrupted``
  and exit status 130, leave no worker process behind and no file half-written
  (subprocesses). The deadline is the issue's requirement ("within a second"); the
  wait for a command to be busy before the signal is only a precondition.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from w2s_theory._src import cost
from w2s_theory._src.cli import main as cli
from w2s_theory._src.errors import InvalidArgument
from w2s_theory._src.setting import Setting

#: seconds from SIGINT to the exit of the command (issue 15: "within a second")
SIGINT_DEADLINE = 1.0
#: how long a command may take to reach its long computation before the signal
BUSY_TIMEOUT = 60.0

W2S = [sys.executable, "-m", "w2s_theory._src.cli.main"]


# -- estimates ----------------------------------------------------------------------

def test_risk_estimate_grows_with_digits_and_times():
    s = Setting(dim=6, teacher_width=10, times=[1])
    values = [cost.estimate(s.replace(precision=d), "risk") for d in (None, 30, 100, 1000)]
    assert values == sorted(values) and len(set(values)) == 4
    assert cost.estimate(s, "risk", times=10_000) > cost.estimate(s, "risk", times=1)
    assert cost.estimate(s, "risk", optimal_stopping=False) < cost.estimate(s, "risk")
    # the example: 5000 digits is far beyond the default limit
    big = Setting(dim=6, teacher_width=10, times=[1], precision=5000)
    assert cost.estimate(big, "risk") > 100 * cost.DEFAULT_MAX_SECONDS


def test_simulate_estimate_grows_with_widths_and_seeds():
    def est(M_T, M_S=None, seeds=10, workers=1):
        return cost.estimate(Setting(dim=6, teacher_width=M_T, student_width=M_S,
                                     times=[1]), "simulate", seeds=seeds, workers=workers)

    assert est(100) < est(1000) < est(4000)
    assert est(100, 200) < est(100, 2000)
    assert est(1000, seeds=10) < est(1000, seeds=100)
    assert est(1000, seeds=10, workers=2) < est(1000, seeds=10, workers=1)


def test_check():
    assert cost.check(5.0, 10, "x") == 5.0
    assert cost.check(5e9, None, "x") == 5e9
    assert cost.check(5e9, float("inf"), "x") == 5e9
    with pytest.raises(InvalidArgument) as info:
        cost.check(700.0, 600, "this job")
    err = info.value
    assert err.argument == "--max-seconds"
    assert "this job: estimated" in err.message and "(700 s)" in err.message
    assert "beyond the limit of 600 s" in err.message
    assert "raise it with --max-seconds" in err.message


# -- refused up front ---------------------------------------------------------------

def _forbid(monkeypatch, module, name):
    def fail(*a, **k):
        raise AssertionError(f"{name} ran although the request was refused")
    monkeypatch.setattr(module, name, fail)


def _run(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def test_simulate_refused_before_computing(monkeypatch, capsys):
    from w2s_theory._src.simulation import api

    _forbid(monkeypatch, api, "simulate")
    code, err = _run(["simulate", "--dim", "6", "--teacher-width", "8000", "--time", "1",
                      "--seeds", "50"], capsys)
    assert code == 2
    assert err.startswith("w2s simulate: error: --max-seconds: 50 seeds at M_T = 8000")
    assert "estimated" in err and "beyond the limit of 600 s" in err
    code, err = _run(["simulate", "--dim", "6", "--teacher-width", "100", "--time", "1",
                      "--seeds", "2", "--max-seconds", "0.001"], capsys)
    assert code == 2 and "beyond the limit of 0 s" in err


def test_spectrum_refused_before_computing(monkeypatch, capsys):
    from w2s_theory._src.cli import spectrum

    _forbid(monkeypatch, spectrum, "_compute")
    code, err = _run(["spectrum", "--dim", "6", "--digits", "1000"], capsys)
    assert code == 2 and err.startswith("w2s spectrum: error: --max-seconds: ")
    assert "raise it with --max-seconds" in err


def test_report_refused_before_computing(monkeypatch, capsys, tmp_path):
    from w2s_theory._src.report import writers

    _forbid(monkeypatch, writers, "make_report")
    out = tmp_path / "r"
    code, err = _run(["report", "--dim", "6", "--teacher-width", "50,100", "--seeds",
                      "100", "--max-seconds", "1", "--out", str(out)], capsys)
    assert code == 2 and err.startswith("w2s report: error: --max-seconds: this report")
    assert not out.exists() and os.listdir(tmp_path) == []


# -- Ctrl-C -------------------------------------------------------------------------

def _children(pid) -> set:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(entry))
    return out


def _alive(pid) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _sigint(argv, busy, cwd):
    """Start ``w2s argv`` (in its own process group), wait until ``busy(proc)`` holds,
    send SIGINT to the command's process only; returns ``(exit status, stderr, children
    seen before the signal, children still alive after the exit)``. Whatever is left of
    the process group is killed at the end."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen(W2S + argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    late = None
    try:
        t0 = time.monotonic()
        while not busy(proc):
            if proc.poll() is not None:
                break
            assert time.monotonic() - t0 < BUSY_TIMEOUT, "the command never got busy"
            time.sleep(0.05)
        ended_early = proc.poll() is not None
        children = _children(proc.pid)
        if not ended_early:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=SIGINT_DEADLINE)
            except subprocess.TimeoutExpired:
                late = f"still running {SIGINT_DEADLINE} s after SIGINT"
        survivors = {c for c in children if _alive(c)}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        err = proc.stderr.read()
        proc.stderr.close()
    assert not ended_early, f"the command ended before the signal: {err}"
    assert late is None, late + ": " + err
    return proc.returncode, err, children, survivors


def _after(seconds, workers=0):
    """A ``busy`` test: ``seconds`` after the first call, with at least ``workers``
    child processes running."""
    start = []

    def busy(proc):
        if not start:
            start.append(time.monotonic())
        return (time.monotonic() - start[0] > seconds
                and len(_children(proc.pid)) >= workers)

    return busy


def _interrupted(command, code, err):
    assert code == 130, err
    assert err.splitlines()[-1] == f"w2s {command}: interrupted", err
    assert "Traceback" not in err, err


def test_sigint_stops_simulate_and_its_workers(tmp_path):
    """Seeds of a width of 3000 take seconds each inside LAPACK: they run in worker
    processes, which the interrupt kills."""
    argv = ["simulate", "--dim", "6", "--teacher-width", "3000", "--time", "300",
            "--seeds", "2", "--max-seconds", "inf"]
    code, err, children, survivors = _sigint(argv, _after(1.0, workers=2), tmp_path)
    _interrupted("simulate", code, err)
    assert len(children) >= 2 and survivors == set()


def test_sigint_stops_one_worker_simulate(tmp_path):
    argv = ["simulate", "--dim", "6", "--teacher-width", "3000", "--time", "300",
            "--seeds", "1", "--max-seconds", "inf"]
    code, err, children, survivors = _sigint(argv, _after(1.0, workers=1), tmp_path)
    _interrupted("simulate", code, err)
    assert children                    # one seed of this width runs in a worker too
    assert survivors == set()


def test_sigint_stops_risk_at_many_digits(tmp_path):
    argv = ["risk", "--dim", "6", "--teacher-width", "10", "--time", "1", "--digits",
            "400"]
    code, err, _, _ = _sigint(argv, _after(2.0), tmp_path)
    _interrupted("risk", code, err)


def test_sigint_leaves_no_half_written_latex(tmp_path):
    code, err, _, _ = _sigint(["latex", "--all", "--out", "formulas.tex"], _after(2.0),
                              tmp_path)
    _interrupted("latex", code, err)
    assert os.listdir(tmp_path) == []


def test_sigint_leaves_no_half_written_report(tmp_path):
    argv = ["report", "--dim", "6", "--teacher-width", "3000", "--sim-max-width", "3000",
            "--seeds", "2", "--time-points", "20", "--out", "r", "--max-seconds", "inf"]
    code, err, _, survivors = _sigint(argv, _after(1.0, workers=1), tmp_path)
    _interrupted("report", code, err)
    assert survivors == set()
    assert os.listdir(tmp_path) == []
