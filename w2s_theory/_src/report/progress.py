"""Progress of a report: a step counter, and a one-line bar on stderr.

The computation advances a :class:`Tracker` (plain counting, no output); the command
line attaches a :class:`ProgressBar` to it. The bar is redrawn at most ten times a second
(and at the end) and uses no thread, so it is safe with the simulations' forked workers.

>>> seen = []
>>> t = Tracker(lambda done, total, label: seen.append((done, total, label)))
>>> t.plan(3); t.advance(1, "a"); t.advance_to(3, "b")
>>> seen
[(1, 3, 'a'), (3, 3, 'b')]
"""

from __future__ import annotations

import sys
import time

__all__ = ["Tracker", "ProgressBar"]


class Tracker:
    """Counts steps of work; ``callback(done, total, label)`` on every change."""

    def __init__(self, callback=None):
        self.callback = callback
        self.total = 0
        self.done = 0

    def plan(self, steps: int) -> None:
        self.total += int(steps)

    def advance(self, steps: int = 1, label: str = "") -> None:
        self.advance_to(self.done + steps, label)

    def advance_to(self, done: int, label: str = "") -> None:
        self.done = max(self.done, min(int(done), self.total))
        if self.callback is not None:
            self.callback(self.done, self.total, label)


class ProgressBar:
    """``w2s report: [#######.........]  12/40  simulating M_T=200: 3/10 seeds  5 s``."""

    width = 24

    def __init__(self, prog: str = "w2s report", stream=None, interval: float = 0.1):
        self.prog = prog
        self.stream = stream or sys.stderr
        self.interval = interval
        self.start = time.monotonic()
        self.last = -1.0
        self.shown = 0

    def __call__(self, done: int, total: int, label: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.interval:
            return
        self.last = now
        frac = done / total if total else 0.0
        bar = "#" * int(round(self.width * frac))
        text = (f"{self.prog}: [{bar:<{self.width}}] {done:>3}/{total}  {label}"
                f"  {now - self.start:.0f} s")
        pad = max(0, self.shown - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self.shown = len(text)

    def close(self) -> None:
        """End the bar's line (if anything was drawn)."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = 0
