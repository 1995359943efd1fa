"""Which modules load (issue 15 item 1: a command line that answers at once).

``import w2s_theory`` and the command line up to a command's ``run`` load numpy and
mpmath (and python-flint, the optional fast backend of the high-precision scalars) and
nothing else outside the standard library: not sympy (closed forms: on first use), not
matplotlib (the report's figures), not scipy (``scipy.special`` on first evaluation,
``scipy.linalg`` with the simulator), not the process-pool machinery. Each check runs in
a fresh interpreter. Timings are not asserted here: ``benchmarks/bench_startup.py``
measures them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: third-party top-level packages allowed at start-up (flint, gmpy2: optional C backends)
ALLOWED = {"numpy", "mpmath", "flint", "gmpy2"}
REQUIRED = {"numpy", "mpmath"}
#: modules that must not load before a command runs
FORBIDDEN = ("sympy", "matplotlib", "scipy", "concurrent.futures", "multiprocessing")

_REPORT = r"""
import json, sys
std = set(sys.stdlib_module_names)
mods = sorted(sys.modules)
third = sorted({m.split(".")[0] for m in mods} - std
               - {"w2s_theory", "__main__", "cython_runtime"}
               - {m.split(".")[0] for m in mods if m.startswith("_")})
print(json.dumps({"third": third, "modules": mods}))
"""


def _loaded(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code + "\n" + _REPORT], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _forbidden(modules) -> list:
    return [m for m in modules
            if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]


def _check(state):
    assert _forbidden(state["modules"]) == []
    assert REQUIRED <= set(state["third"]) <= ALLOWED, state["third"]


def test_import_w2s_theory():
    _check(_loaded("import w2s_theory"))


def test_public_names_are_importable_without_heavy_modules():
    """Every public name is there after the import (except those the package's
    ``__getattr__`` serves on first use, by design: ``simulate``, the sweeps), and the
    functions that build sympy expressions import without sympy."""
    state = _loaded("import w2s_theory as w\n"
                    "lazy = [n for n in w.__all__ if n not in vars(w)]\n"
                    "assert 'simulate' in lazy, lazy\n"
                    "values = [getattr(w, n) for n in w.__all__ if n not in lazy]\n"
                    "from w2s_theory import lower_bound_expr, kernel_expr, "
                    "relu_power_coefficient_expr, lower_bound_series")
    _check(state)


def test_expressions_import_sympy_when_called():
    state = _loaded("import sys, w2s_theory as w\n"
                    "assert 'sympy' not in sys.modules\n"
                    "e = w.lower_bound_expr()\n"
                    "assert 'sympy' in sys.modules\n"
                    "from w2s_theory._src.bounds import L_T_sym\n"
                    "assert e.subs({L_T_sym: 0}).free_symbols\n"
                    "assert str(w.lower_bound_series(3).removeO()) == 'L_T**2/F**2'\n"
                    "assert w.kernel_expr(1).free_symbols")
    assert "sympy" in state["modules"]


def test_simulate_loads_on_first_use():
    state = _loaded("import sys, w2s_theory as w\n"
                    "assert 'scipy.linalg' not in sys.modules\n"
                    "f = w.simulate\n"
                    "assert callable(f) and 'scipy.linalg' in sys.modules\n"
                    "assert 'concurrent.futures.process' not in sys.modules\n"
                    "import w2s_theory._src.simulation as s\n"
                    "assert s.simulate is f and s.SeedRun is w.SeedRun")
    assert "scipy.linalg" in state["modules"]


# The command line up to run(): the parser of the one command, and its arguments parsed.
_CLI = """
import sys
from w2s_theory._src.cli import main as M
words = {words!r}
parser = M.build_parser(only=M._command_of(words))
args = parser.parse_args(words)
assert args._module.NAME == words[0]
"""


@pytest.mark.parametrize("words", [
    ["bound", "--teacher-risk", "0.01", "--target-energy", "1", "--digits", "30"],
    ["risk", "--dim", "6", "--teacher-width", "100", "--time", "1000"],
    ["spectrum", "--dim", "6", "--max-degree", "8"],
    ["simulate", "--dim", "6", "--teacher-width", "100", "--time", "100"],
    ["report", "--dim", "6"],
], ids=lambda w: w[0])
def test_command_line_before_run(words):
    _check(_loaded(_CLI.format(words=words)))


def test_top_level_help():
    _check(_loaded("import contextlib, io\n"
                   "from w2s_theory._src.cli import main as M\n"
                   "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
                   "    try:\n"
                   "        M.main(['--help'])\n"
                   "    except SystemExit:\n"
                   "        pass\n"
                   "assert 'bound' in out.getvalue() and 'latex' in out.getvalue()"))


def test_bound_runs_without_sympy():
    """``w2s bound`` computes its series term without sympy (the same operations as the
    lambdified term: tests/test_bounds_vector.py checks them bit for bit)."""
    state = _loaded("import contextlib, io\n"
                    "from w2s_theory._src.cli import main as M\n"
                    "with contextlib.redirect_stdout(io.StringIO()):\n"
                    "    assert M.main(['bound', '--teacher-risk', '0.01', '--json']) == 0\n"
                    "    assert M.main(['bound', '--teacher-risk', '0.01', '--digits', "
                    "'40']) == 0")
    _check(state)


def test_every_source_file_compiles_without_warnings():
    """Invalid escape sequences in docstrings (``"\\l"``) are a DeprecationWarning today
    and a SyntaxError tomorrow: every file of the package, its tests, derivations,
    docs scripts and benchmarks must compile with warnings as errors."""
    import pathlib
    import warnings

    root = pathlib.Path(__file__).resolve().parents[1]
    files = [f for d in ("w2s_theory", "tests", "derivations", "docs", "benchmarks")
             for f in sorted((root / d).rglob("*.py"))]
    assert len(files) > 50
    bad = []
    for f in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(f.read_text(), str(f), "exec")
            except (SyntaxError, DeprecationWarning, SyntaxWarning) as exc:
                bad.append(f"{f.relative_to(root)}: {exc}")
    assert not bad, bad
