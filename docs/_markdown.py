"""Printing helpers shared by the docs scripts (``python docs/make_*.py``): numbers and
Markdown tables as the pages show them."""

from __future__ import annotations

import math


def g(x, digits=4):
    """A number to ``digits`` significant digits (``-`` for None, ``inf`` for infinity)."""
    if x is None:
        return "-"
    x = float(x)
    if math.isinf(x):
        return "inf"
    return f"{x:.{digits}g}"


def table(headers, rows):
    """A Markdown table, right-aligned columns."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---:|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def section(title):
    print(f"\n### {title}\n", flush=True)
