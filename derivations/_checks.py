"""Bookkeeping shared by the derivation scripts: named checks and the exit status.

Each script calls :func:`check` for every claim it verifies and ends with
``sys.exit(finish())``: exit status 0 iff every check held (``tests/test_derivations.py``
runs them all).
"""

from __future__ import annotations

import time

FAILURES: list[str] = []
_T0 = time.time()


def check(name: str, ok) -> None:
    """Record the claim ``name``; print ``[ok]`` or ``[FAIL]``."""
    ok = bool(ok)
    print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    if not ok:
        FAILURES.append(name)


def finish() -> int:
    """Print the outcome; the exit status (1 if a check failed)."""
    if FAILURES:
        print(f"FAILED: {len(FAILURES)} check(s):")
        for name in FAILURES:
            print("  -", name)
        return 1
    print(f"all checks passed   [{time.time() - _T0:.1f} s]")
    return 0
