"""Test configuration: the independent reference formulas in ``tests/_references.py``
are importable from every test module (``from _references import e_pk``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
