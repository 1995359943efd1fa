"""Sweeps: grids of theory curves and exact simulations on Dask, stored as labelled
xarray arrays in a resumable Zarr store (``w2s sweep``, ``docs/sweeps.md``).

* :mod:`.config` - the axes, fixed values and options of a sweep (TOML, options, keywords);
* :mod:`.grid` - every point's validated setting; dimensions, coordinates, tasks,
  fingerprint;
* :mod:`.variables` - the stored variables and what they mean;
* :mod:`.task` - one task (a chunk of points), run on a worker;
* :mod:`.store` - the Zarr layout, completion log, refusal of another sweep, ``open_sweep``;
* :mod:`.execute` - in-process, LocalCluster or an existing Dask cluster; memory per task;
* :mod:`.api` - ``run_sweep``;
* :mod:`.plot` - heat maps and line plots.

Importing this package loads neither xarray, zarr nor dask: they load when a sweep runs
or a store is opened.
"""

from .api import SweepError, SweepRun, run_sweep
from .config import SweepConfig
from .store import open_sweep

__all__ = ["run_sweep", "open_sweep", "SweepRun", "SweepError", "SweepConfig"]
