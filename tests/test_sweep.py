"""``w2s sweep`` and ``run_sweep``/``open_sweep`` (issue 14).

The same small grid (relu, d = 6, M_T = 20..100, a finite and an infinite student, theory
and exact simulation) computed in this process, on a LocalCluster of 2 worker processes,
and by a command killed with SIGKILL at several moments and resumed, gives identical
Datasets; a resume writes every missing task once and never rewrites a finished task's
chunks; the store opens with plain ``xarray.open_zarr``; bad input is one line, exit 2,
and the store untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

xr = pytest.importorskip("xarray")

from w2s_theory._src.cli.main import main  # noqa: E402
from w2s_theory._src.sweep import run_sweep, open_sweep  # noqa: E402
from w2s_theory._src.sweep.api import build_grid  # noqa: E402
from w2s_theory._src.sweep.store import SIDE, done_tasks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
W2S = [sys.executable, "-m", "w2s_theory._src.cli.main"]

#: the grid every execution mode computes: 3 x 2 points, 6 tasks (one per point)
GRID = {"activation": "relu", "dim": 6, "target": "degree:1",
        "teacher_width": [20, 50, 100], "student_width": [40, "inf"],
        "times": [10, 100, 1000], "seeds": 2, "seed": 3}
GRID_TOML = """\
activation = "relu"
dim = 6
target = "degree:1"
teacher_width = [20, 50, 100]
student_width = [40, inf]
times = [10, 100, 1000]
seeds = 2
seed = 3
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _w2s(*args, cwd, timeout=300):
    return subprocess.run(W2S + list(args), cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=_env())


def _snapshot(path: Path) -> dict:
    """Every file of a store (or nothing): relative path -> (mtime_ns, sha1)."""
    if not path.exists():
        return {}
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = (p.stat().st_mtime_ns,
                                             hashlib.sha1(p.read_bytes()).hexdigest())
    return out


def _task_files(store: Path, grid) -> dict:
    """Chunk files of the store's data variables by task (one point per task here)."""
    shape = tuple(-(-n // c) for n, c in zip(grid.shape, grid.chunks))
    out = {}
    for var in store.iterdir():
        if not var.is_dir() or var.name.startswith(".") or var.name in grid.coords:
            continue
        for f in var.iterdir():
            if f.name.startswith("."):
                continue
            idx = tuple(int(x) for x in f.name.split("."))[:len(grid.dims)]
            task = int(np.ravel_multi_index(idx, shape))
            out.setdefault(task, {})[str(f.relative_to(store))] = f.stat().st_mtime_ns
    return out


def _done_log(store: Path) -> list:
    text = (store / SIDE / "done").read_text()
    return [int(x) for x in text.split("\n")[:-1]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid computed serially in this process."""
    out = tmp_path_factory.mktemp("ref") / "ref.zarr"
    run = run_sweep(out=out, scheduler="serial", **GRID)
    assert run.computed == 6 and run.complete
    return out, open_sweep(out)


def test_dataset_layout(reference):
    out, ds = reference
    assert ds.sizes == {"teacher_width": 3, "student_width": 2, "time": 3}
    assert list(ds.teacher_width.values) == [20, 50, 100]
    assert ds.student_width.values[0] == 40 and np.isinf(ds.student_width.values[1])
    assert ds.student_risk.dims == ("teacher_width", "student_width", "time")
    assert ds.optimal_pgr.dims == ("teacher_width", "student_width")
    assert ds.attrs["dim"] == 6 and ds.attrs["target"] == "degree:1"
    assert ds.attrs["seeds"] == 2 and ds.attrs["seed"] == 3
    assert ds.attrs["w2s_theory_version"] == __import__("w2s_theory").__version__
    for name in ("teacher_risk", "student_risk", "optimal_time", "sim_student_risk",
                 "sim_student_risk_stderr", "sim_teacher_risk", "nu_teacher"):
        assert np.isfinite(ds[name].values).all(), name
    # PGR is undefined (NaN) where the student's ceiling is above the teacher's risk
    gap = (ds.teacher_risk - ds.student_ceiling_risk).values
    assert (np.isfinite(ds.optimal_pgr.values) == (gap > 0)).all()
    assert (gap > 0).sum() == 4
    # the ceiling is simulated for the finite student only
    ceiling = ds.sim_student_ceiling_risk.values
    assert np.isfinite(ceiling[:, 0]).all() and np.isnan(ceiling[:, 1]).all()
    # the theory of each point is risk_curve's, and the simulation simulate's
    import w2s_theory as w2s

    curve = w2s.risk_curve(activation="relu", dim=6, teacher_width=50, student_width=40,
                           times=[10, 100, 1000])
    np.testing.assert_array_equal(ds.student_risk.sel(teacher_width=50).values[0],
                                  np.asarray(curve.student_risk, dtype=float))
    assert ds.optimal_time.values[1, 0] == float(curve.optimal_time)
    sim = w2s.simulate(activation="relu", dim=6, teacher_width=100, student_width="inf",
                       times=[10, 100, 1000], seeds=2, seed=3, workers=1)
    np.testing.assert_array_equal(ds.sim_student_risk.values[2, 1],
                                  [s.mean for s in sim.student_risk])
    # plain xarray opens the store to the same Dataset
    plain = xr.open_zarr(out).load()
    xr.testing.assert_identical(plain, ds)
    # one call to a DataFrame: a row per point and time
    df = ds.to_dataframe()
    assert len(df) == 3 * 2 * 3 and "sim_student_risk" in df.columns


def test_local_cluster_and_toml_give_the_same_dataset(reference, tmp_path):
    """A LocalCluster of 2 worker processes, the grid read from TOML."""
    (tmp_path / "sweep.toml").write_text(GRID_TOML + 'out = "cluster.zarr"\n')
    run = run_sweep(tmp_path / "sweep.toml", scheduler="local", workers=2)
    assert run.workers == 2 and run.computed == 6 and run.complete
    xr.testing.assert_identical(open_sweep(tmp_path / "cluster.zarr"), reference[1])


def test_sigkill_then_resume_loses_and_rewrites_nothing(reference, tmp_path):
    """The command killed (SIGKILL) at several moments - while creating the store, at
    random delays after k tasks - and run again until it finishes: every task is written
    once, a finished task's chunks are never written again, and the Dataset is the
    serial one."""
    (tmp_path / "sweep.toml").write_text(GRID_TOML)
    args = ["sweep", "--config", "sweep.toml", "--out", "S.zarr", "--scheduler",
            "serial", "--json"]
    store = tmp_path / "S.zarr"
    grid, _ = build_grid(tmp_path / "sweep.toml")
    rng = random.Random(14)
    kills = []
    finished = {}                      # task -> its chunk files' mtimes when finished
    for target in (0, 1, 2, 4, None):
        had = len(_done_log(store)) if store.exists() else 0
        p = subprocess.Popen(W2S + args, cwd=tmp_path, env=_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 120:
            if target == 0 and (store.exists() or any(tmp_path.glob(".S.zarr.w2s-init-*"))):
                break                                   # while the store is created
            if target and store.exists() and len(done_tasks(store)) >= target:
                time.sleep(rng.uniform(0, 0.25))
                break
            time.sleep(0.002)
        if target is not None and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills.append(target)
        stdout, stderr = p.communicate(timeout=120)
        if target is None:
            assert p.returncode == 0, stderr
            summary = json.loads(stdout)                # only the missing tasks computed
            assert summary["skipped"] == had and summary["computed"] == 6 - had
        if not store.exists():
            continue
        # nothing finished before was written again
        now = _task_files(store, grid)
        for task, files in finished.items():
            assert {f: now[task].get(f) for f in files} == files, task
        log = _done_log(store)
        assert len(log) == len(set(log)), log               # each task marked once
        for task in log:
            finished.setdefault(task, now.get(task, {}))
    assert len(kills) >= 3, kills
    assert sorted(_done_log(store)) == list(range(6))
    xr.testing.assert_identical(open_sweep(store), reference[1])
    # a complete store: the same command does no work, exits 0, changes nothing
    before = _snapshot(store)
    r = _w2s(*args, cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["computed"] == 0
    assert _snapshot(store) == before
    assert not list(tmp_path.glob(".S.zarr.w2s-init-*"))   # the killed creation's: removed


def test_killed_between_chunks_and_marker(reference, tmp_path):
    """A task whose chunks were written but whose marker was not (a kill in between; a
    torn marker line) is computed again and only its chunks are replaced."""
    out = tmp_path / "S.zarr"
    run_sweep(out=out, scheduler="serial", **GRID)
    grid = build_grid(None, **GRID)[0]
    log = (out / SIDE / "done").read_text().split("\n")[:-1]
    (out / SIDE / "done").write_text("\n".join(log[:4]) + "\n" + log[4])  # 5 torn, 6 lost
    before = _task_files(out, grid)
    run = run_sweep(out=out, scheduler="serial", **GRID)
    assert (run.computed, run.skipped) == (2, 4)
    after = _task_files(out, grid)
    redone = {int(log[4]), int(log[5])}
    for task in range(6):
        same = after[task] == before[task]
        assert same == (task not in redone), task
    xr.testing.assert_identical(open_sweep(out), reference[1])


def test_contract_command(tmp_path):
    args = ["sweep", "--activation", "relu", "--dim", "6", "--target", "degree:1",
            "--teacher-width", "50,100", "--student-width", "400,inf", "--no-simulation",
            "--out", "S.zarr"]
    r = _w2s(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ds = xr.open_zarr(tmp_path / "S.zarr")
    assert ds.optimal_pgr.dims == ("teacher_width", "student_width")
    assert list(ds.teacher_width.values) == [50, 100]
    assert list(ds.student_width.values) == [400, np.inf]
    pgr = ds.optimal_pgr.values
    assert np.isfinite(pgr).all() and (pgr > 0).all() and (pgr <= 1 + 1e-9).all()
    # a finite student recovers less than an infinite one
    assert (pgr[:, 0] < pgr[:, 1]).all()
    before = _snapshot(tmp_path / "S.zarr")
    r = _w2s(*args, cwd=tmp_path)
    assert r.returncode == 0 and "nothing to do" in r.stdout, r.stderr
    assert _snapshot(tmp_path / "S.zarr") == before


def _cli(capsys, *args):
    code = main(["sweep", *args])
    err = capsys.readouterr().err
    return code, err


def _refused(capsys, tmp_path, *args, store="S.zarr", code=2):
    """Run ``w2s sweep ARGS --out STORE``: exit ``code``, one line on stderr, and the
    store as it was (absent, or every file unchanged)."""
    path = tmp_path / store
    before = _snapshot(path)
    got, err = _cli(capsys, *args, "--out", str(path))
    assert got == code, err
    assert err.count("\n") == 1 and err.startswith("w2s sweep: error: "), err
    assert _snapshot(path) == before
    return err


SMALL = ["--dim", "6", "--teacher-width", "20,50", "--student-width", "inf",
         "--no-simulation", "--scheduler", "serial", "--quiet"]


def test_bad_input(tmp_path, capsys, monkeypatch):
    # an unknown parameter: an option, and a key of the TOML file
    with pytest.raises(SystemExit) as exc:
        main(["sweep", *SMALL, "--teacher-widht", "5", "--out", str(tmp_path / "S.zarr")])
    assert exc.value.code == 2
    assert "--teacher-widht: unknown option" in capsys.readouterr().err
    (tmp_path / "bad.toml").write_text("dim = 6\nteacher_widht = [20, 50]\n")
    err = _refused(capsys, tmp_path, "--config", str(tmp_path / "bad.toml"))
    assert "--config" in err and "teacher_widht" in err and "teacher_width" in err
    # an empty grid, on the command line and in TOML
    err = _refused(capsys, tmp_path, *SMALL, "--teacher-width", ",")
    assert "--teacher-width: empty grid" in err
    (tmp_path / "empty.toml").write_text("dim = 6\nteacher_width = []\n")
    err = _refused(capsys, tmp_path, "--config", str(tmp_path / "empty.toml"))
    assert "teacher_width: empty grid" in err
    # an invalid point: named by its option and the point, nothing scheduled
    err = _refused(capsys, tmp_path, *SMALL, "--dim", "6,1")
    assert "--dim:" in err and "dim=1" in err
    err = _refused(capsys, tmp_path, *SMALL, "--teacher-width", "20,20")
    assert "--teacher-width: 20 appears twice" in err
    # a simulation too wide for the memory: refused before anything is created
    monkeypatch.setenv("W2S_MEMORY_BUDGET", str(64 << 20))
    err = _refused(capsys, tmp_path, "--dim", "6", "--teacher-width", "20",
                   "--student-width", "40,3000", "--time", "10", "--seeds", "1",
                   "--no-theory", "--scheduler", "serial")
    assert "--student-width:" in err and "GiB" in err and "student_width=3000" in err
    monkeypatch.delenv("W2S_MEMORY_BUDGET")
    assert not (tmp_path / "S.zarr").exists()

    # a store of another grid, and of another package version: untouched
    assert _cli(capsys, *SMALL, "--out", str(tmp_path / "S.zarr"))[0] == 0
    err = _refused(capsys, tmp_path, *SMALL, "--teacher-width", "20,60")
    assert "holds another sweep" in err and "teacher_width" in err
    err = _refused(capsys, tmp_path, *SMALL, "--target", "degree:2")
    assert "target" in err and "degree:2" in err
    import w2s_theory._src.sweep.store as store_mod

    monkeypatch.setattr(store_mod, "package_version", lambda: "0.0.1")
    err = _refused(capsys, tmp_path, *SMALL)
    assert "written by w2s_theory 0.1.0, this is 0.0.1" in err
    monkeypatch.undo()
    # something that is not a sweep store
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "file.txt").write_text("x")
    err = _refused(capsys, tmp_path, *SMALL, store="other")
    assert "not a w2s sweep store" in err


def test_unreachable_scheduler_fails_within_10_s(tmp_path, capsys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                          # nothing listens there
    t0 = time.monotonic()
    err = _refused(capsys, tmp_path, "--dim", "6", "--teacher-width", "20,50",
                   "--no-simulation", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - t0 < 10
    assert "--scheduler: cannot reach a Dask scheduler" in err
    assert not (tmp_path / "S.zarr").exists()


def test_failed_task_is_retried_not_marked(tmp_path, capsys, monkeypatch):
    import w2s_theory._src.sweep.task as task_mod

    real = task_mod._point

    def flaky(setting, *a):
        if setting.teacher_width == 50:
            raise ArithmeticError("no root")
        return real(setting, *a)

    monkeypatch.setattr(task_mod, "_point", flaky)
    args = ["--dim", "6", "--teacher-width", "20,50,80", "--student-width", "inf",
            "--no-simulation", "--points-per-task", "1", "--scheduler", "serial",
            "--quiet", "--out", str(tmp_path / "S.zarr")]
    code, err = _cli(capsys, *args)
    assert code == 1
    assert err.count("\n") == 1 and "ArithmeticError: no root" in err
    assert "(at teacher_width=50)" in err
    assert done_tasks(tmp_path / "S.zarr") == {0, 2}
    with pytest.raises(Exception, match="incomplete"):
        open_sweep(tmp_path / "S.zarr")
    part = open_sweep(tmp_path / "S.zarr", partial=True)
    assert np.isnan(part.teacher_risk.values[1])
    assert np.isfinite(part.teacher_risk.values[0])
    monkeypatch.undo()
    before = _task_files(tmp_path / "S.zarr",
                         build_grid(None, dim=6, teacher_width=[20, 50, 80],
                                    student_width="inf", simulation=False,
                                    points_per_task=1)[0])
    assert _cli(capsys, *args)[0] == 0
    assert _done_log(tmp_path / "S.zarr") == [0, 2, 1]
    grid = build_grid(None, dim=6, teacher_width=[20, 50, 80], student_width="inf",
                      simulation=False, points_per_task=1)[0]
    after = _task_files(tmp_path / "S.zarr", grid)
    assert after[0] == before[0] and after[2] == before[2]
    assert np.isfinite(open_sweep(tmp_path / "S.zarr").teacher_risk.values).all()


def test_axes_syntax_list_grid_and_descent(tmp_path):
    # commas inside a value stay whole; ';' separates values that are lists
    grid, _ = build_grid(None, dim=6, target="energies:0=0.5,1=1;degree:1",
                         teacher_width="20", simulation=False)
    assert grid.dims == ("target",) and len(grid.coords["target"][1]) == 2
    grid, _ = build_grid(None, variances="1,0.5,0.25;1,0.25,0.0625",
                         target="linear:1,1,1", teacher_width=2, simulation=False)
    assert grid.dims == ("variances",)
    assert list(grid.coords["variances"][1]) == ["1,0.5,0.25", "1,0.25,0.0625"]
    with pytest.raises(Exception, match="curves' axis"):
        build_grid(None, dim=6, times="10;100", simulation=False)
    # a list grid: one dimension 'point', the swept keys as its coordinates
    run_sweep(out=tmp_path / "L.zarr", scheduler="serial", dim=6, grid="list",
              teacher_width=[20, 50], student_width=["inf", 200], simulation=False,
              lr="0.5", steps=[10, 100])
    ds = open_sweep(tmp_path / "L.zarr")
    assert ds.optimal_pgr.dims == ("point",)
    assert list(ds.teacher_width.values) == [20, 50]
    assert ds.student_risk.dims == ("point", "step")
    np.testing.assert_array_equal(ds.time.values, [[5, 50], [5, 50]])
    assert np.isfinite(ds.optimal_steps.values).all()
    with pytest.raises(Exception, match="2 values"):
        build_grid(None, dim=6, grid="list", teacher_width=[20, 50],
                   student_width=[100, 200, 400], simulation=False)


def test_netcdf_and_plot(reference, tmp_path, capsys):
    out, ds = reference
    nc, fig = tmp_path / "S.nc", tmp_path / "pgr.png"
    code = main(["sweep", "--out", str(out), "--netcdf", str(nc), "--plot",
                 "student_risk", "--plot-dims", "teacher_width,student_width",
                 "--select", "time=100", "--figure", str(fig)])
    assert code == 0, capsys.readouterr().err
    back = xr.open_dataset(nc).load()
    np.testing.assert_array_equal(back.sim_student_risk.values, ds.sim_student_risk.values)
    assert json.loads(back.attrs["w2s_sweep"]) == json.loads(ds.attrs["w2s_sweep"])
    assert fig.stat().st_size > 10_000
    code = main(["sweep", "--out", str(out), "--plot", "nope", "--figure", str(fig)])
    assert code == 2 and "--plot: no variable 'nope'" in capsys.readouterr().err


def test_import_is_light():
    code = ("import sys, w2s_theory as w; f = w.open_sweep; "
            "print(sorted(m for m in ('xarray', 'zarr', 'dask', 'distributed', 'pandas')"
            " if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr
