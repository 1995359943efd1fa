"""Progress of long computations: a step counter, and one progress bar on stderr.

The computation advances a :class:`Tracker` (plain counting, no output); the command line
attaches a :class:`ProgressBar` to it (or passes the bar itself as a
``progress(done, total)`` callback). The bar appears only once the work has run for
``delay`` seconds (short commands print nothing), shows the elapsed time and an estimate
of the time left, and is redrawn every half second by a ticker thread started with the
first report (after any worker processes have been forked). Given an up-front
``estimate`` in seconds (:func:`w2s_theory._src.cost.estimate`), the time left is
estimated from it until the first step is done; a computation that reports no steps
(``bar.start(label)``) shows a bar of the elapsed time against the estimate.

>>> seen = []
>>> t = Tracker(lambda done, total, label: seen.append((done, total, label)))
>>> t.plan(3); t.advance(1, "a"); t.advance_to(3, "b")
>>> seen
[(1, 3, 'a'), (3, 3, 'b')]
>>> import io
>>> out = io.StringIO()
>>> bar = ProgressBar("w2s x", stream=out, delay=0)
>>> bar(1, 4, "seeds"); bar.close()
>>> out.getvalue().startswith("\\rw2s x: [######                  ]   1/4  seeds")
True
>>> out = io.StringIO()
>>> bar = ProgressBar("w2s y", stream=out, delay=0, tick=0, estimate=60)
>>> bar.start("computing"); bar.close()
>>> "computing" in out.getvalue() and "about 60 s left (estimated)" in out.getvalue()
True
"""

from __future__ import annotations

import sys
import threading
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
    """``w2s report: [#######.........]  12/40  simulating M_T=200  5 s, about 12 s left``.

    Call it as ``bar(done, total, label="")``; ``close()`` ends the line.
    """

    width = 24

    def __init__(self, prog: str, stream=None, delay: float = 2.0, tick: float = 0.5,
                 estimate: float | None = None):
        self.prog = prog
        self.stream = stream or sys.stderr
        self.delay, self.tick = delay, tick
        self.estimate = estimate
        self.started = time.monotonic()
        self.timed = False                 # no steps: the bar shows time vs the estimate
        self.done, self.total, self.label = 0, 0, ""
        self.shown = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def __call__(self, done: int, total: int, label: str = "") -> None:
        with self._lock:
            self.done, self.total, self.label = done, total, label
        if self._thread is None and self.tick:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        self._draw()

    def start(self, label: str = "") -> None:
        """Show progress of a computation that reports no steps: the elapsed time
        against the :attr:`estimate` (redrawn by the ticker)."""
        self.timed = True
        self(0, 0, label)

    def _run(self):
        while not self._stop.wait(self.tick):
            self._draw()

    def _draw(self) -> None:
        now = time.monotonic()
        elapsed = now - self.started
        if elapsed < self.delay:
            return
        with self._lock:
            done, total, label = self.done, self.total, self.label
            est = self.estimate
            if self.timed:
                frac = min(elapsed / est, 0.99) if est else 0.0
                count = ""
            else:
                frac = done / total if total else 0.0
                count = f" {done:>3}/{total}"
            bar = "#" * int(round(self.width * frac))
            if 0 < done < total:
                left = f", about {elapsed * (total - done) / done:.0f} s left"
            elif done == 0 and est:
                left = (f", about {est - elapsed:.0f} s left (estimated)"
                        if est > elapsed else ", longer than estimated")
            else:
                left = ""
            text = (f"{self.prog}: [{bar:<{self.width}}]{count}  {label}"
                    f"  {elapsed:.0f} s{left}")
            pad = max(0, self.shown - len(text))
            self.stream.write("\r" + text + " " * pad)
            self.stream.flush()
            self.shown = len(text)

    def close(self) -> None:
        """Stop the ticker and end the bar's line (if anything was drawn)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = 0
