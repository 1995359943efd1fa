"""Every script in derivations/ runs to completion with exit status 0.

Each script checks its own derivation (sympy identities, quadratures, the risk engine)
and exits 0 iff every check holds; this file runs each one in a subprocess, in an empty
working folder, and reports its runtime (``pytest -s`` prints it; ``--durations``
too). Arguments per script:

* ``make_formula_docs.py`` is a generator: it runs in its ``--check`` mode (exit 1 when
  ``docs/formulas.md`` differs from the registry), and a second test shows that mode
  fails on a stale file;
* ``bound_tightness_in_model.py`` writes its plot into the working folder instead of
  ``docs/img/``.

Nothing else may appear in the working folder. Runtimes measured on the development
machine (2 cores, shared) are in the report of issue 6; the whole file stays under ~3
minutes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
SCRIPTS = sorted(p for p in DERIVATIONS.glob("*.py") if not p.name.startswith("_"))

pytestmark = pytest.mark.slow              # minutes in all; still run in CI

#: extra arguments (see the module docstring) and the files the run may write in its
#: working folder; every other script runs as it is and writes nothing
ARGUMENTS = {
    "make_formula_docs.py": (["--check"], []),
    "bound_tightness_in_model.py": (["--plot", "bound_tightness.png"],
                                    ["bound_tightness.png"]),
}


def test_the_scripts_are_found():
    names = {p.name for p in SCRIPTS}
    assert len(SCRIPTS) >= 8
    assert set(ARGUMENTS) <= names          # a renamed script must not lose its mode


def run(script: Path, args, cwd: Path):
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(script), *args], cwd=cwd, capture_output=True,
                       text=True, timeout=900)
    return p, time.perf_counter() - t0


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_derivation_script(script, tmp_path):
    args, files = ARGUMENTS.get(script.name, ([], []))
    p, seconds = run(script, args, tmp_path)
    print(f"\n{script.name} {' '.join(args)}: {seconds:.1f} s")
    assert p.returncode == 0, (f"{script.name} exited with {p.returncode}\n"
                               f"{p.stdout[-5000:]}\n{p.stderr[-5000:]}")
    assert "Traceback" not in p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(files)


def test_formula_docs_check_detects_a_stale_file(tmp_path):
    stale = tmp_path / "formulas.md"
    text = (ROOT / "docs" / "formulas.md").read_text(encoding="utf-8")
    stale.write_text(text.replace("## Kernels", "## Kernel functions", 1), encoding="utf-8")
    p, _ = run(DERIVATIONS / "make_formula_docs.py", ["--check", "--out", str(stale)],
               tmp_path)
    assert p.returncode == 1
    assert "differs from the registry" in p.stdout
    assert "-## Kernel functions" in p.stdout and "+## Kernels" in p.stdout
