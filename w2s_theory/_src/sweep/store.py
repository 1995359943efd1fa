r"""The sweep's Zarr store: its layout, completion markers, fingerprint and resume.

Layout (Zarr format 2, consolidated metadata, so that plain ``xarray.open_zarr`` opens
it)::

    S.zarr/
      .zgroup .zattrs .zmetadata     group; attributes: w2s_theory_version, w2s_sweep
                                     (the fingerprint, JSON), w2s_sweep_tasks, and the
                                     keys every point shares (target, dim, ...)
      teacher_width/ student_width/  coordinates (one per swept key; time or step)
      optimal_pgr/0.1 ...            data variables, one chunk per task
      student_risk/0.1.0 ...
      .w2s-sweep/done                completion log: one task number per line
      .w2s-sweep/lock                held (flock) while a sweep writes the store

* The store is created whole (metadata and coordinates, no data) in a temporary folder
  beside it and renamed into place: it exists complete or not at all.
* A task's chunks are written (Zarr writes each chunk file atomically: a temporary file
  renamed into place), then its number is appended to ``done`` in one ``write``. A task
  in ``done`` is finished: no later run writes its chunks again. A task killed between
  its chunks and its marker is computed again and its chunks replaced.
* A store is reused only if its package version and fingerprint are the current ones;
  otherwise it is refused, naming what differs, and left untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..errors import InvalidArgument
from .config import option_label
from .grid import Grid, canonical

__all__ = ["SIDE", "StoreInfo", "read_info", "check_store", "create_store", "StoreWriter",
           "open_sweep", "done_tasks", "package_version", "attributes"]

SIDE = ".w2s-sweep"
DONE = "done"
LOCK = "lock"
ZARR_FORMAT = 2


def package_version() -> str:
    from ... import __version__

    return __version__


class StoreInfo(dict):
    """The sweep attributes of a store: ``version``, ``fingerprint``, ``tasks``."""


def _is_store(path: Path) -> bool:
    return (path / ".zgroup").exists() or (path / "zarr.json").exists()


def read_info(path, label="--out") -> StoreInfo | None:
    """The sweep attributes of the store at ``path`` (``None`` if there is none: no
    folder, or an empty one). Anything else that is not a sweep store is refused."""
    path = Path(path)
    if not path.exists():
        return None
    if path.is_dir() and not any(path.iterdir()):
        return None
    attrs_file = path / ".zattrs"
    if not path.is_dir() or not _is_store(path) or not (path / SIDE).is_dir() \
            or not attrs_file.exists():
        raise InvalidArgument(label, f"{path} exists and is not a w2s sweep store")
    try:
        attrs = json.loads(attrs_file.read_text())
        fp = json.loads(attrs["w2s_sweep"])
        return StoreInfo(version=attrs["w2s_theory_version"], fingerprint=fp,
                         tasks=int(attrs["w2s_sweep_tasks"]))
    except (KeyError, ValueError, TypeError):
        raise InvalidArgument(label, f"{path} exists and is not a w2s sweep store "
                              "(no sweep attributes)") from None


def check_store(path, grid: Grid, label="--out") -> StoreInfo | None:
    """Refuse a store written by another package version or for another sweep (read
    only); its info if it is this sweep's, ``None`` if there is no store yet."""
    info = read_info(path, label)
    if info is None:
        return None
    version = package_version()
    if info["version"] != version:
        raise InvalidArgument(label, f"{path} was written by w2s_theory {info['version']}, "
                              f"this is {version}: results of two versions would mix; "
                              "write to a new store")
    diffs = Grid.differences(info["fingerprint"], grid.fingerprint())
    if diffs:
        shown = "; ".join(f"{_key_label(k)}: {_short(a)} in the store, {_short(b)} now"
                          for k, a, b in diffs)
        raise InvalidArgument(label, f"{path} holds another sweep ({shown}); run the "
                              "same sweep to resume it, or write to a new store")
    if info["tasks"] != len(grid.tasks):                         # pragma: no cover
        raise InvalidArgument(label, f"{path}: {info['tasks']} tasks in the store, "
                              f"{len(grid.tasks)} now")
    return info


def _key_label(k) -> str:
    return k if k.startswith("(") else k


def _short(v) -> str:
    if v is None:
        return "not set"
    if isinstance(v, dict) and "axis" in v:
        return "axis " + json.dumps(v["axis"])
    text = json.dumps(v)
    return text if len(text) <= 80 else text[:77] + "..."


def attributes(grid: Grid) -> dict:
    """The Dataset's attributes: the version, the fingerprint, and the keys every point
    shares as NetCDF-friendly values (numbers, strings, lists of numbers)."""
    c = grid.config
    attrs = {"w2s_theory_version": package_version(),
             "w2s_sweep": json.dumps(grid.fingerprint(), sort_keys=True),
             "w2s_sweep_tasks": len(grid.tasks),
             "theory": int(c.theory), "simulation": int(c.simulation), "grid": c.grid}
    for key, v in grid.fixed.items():
        if isinstance(v, bool):
            v = int(v)
        elif isinstance(v, list) and not all(isinstance(x, (int, float)) and
                                             not isinstance(x, bool) for x in v):
            v = json.dumps(v)
        elif v is None or isinstance(v, dict):
            v = json.dumps(v)
        attrs[key] = v
    return attrs


def create_store(path, grid: Grid, variables) -> bool:
    """Create the store (metadata and coordinates; no data) atomically. ``False`` if
    another process created it first."""
    import dask.array as da
    import xarray as xr

    from ..setting import PARAMS
    from .config import SIM_PARAMS

    path = Path(path)
    _remove_stale_inits(path)
    tmp = path.with_name(f".{path.name}.w2s-init-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    dims = grid.dims
    data = {}
    for v in variables:
        vdims = dims + ((grid.curve_dim,) if v.curve else ())
        shape = grid.shape + ((grid.curve_len,) if v.curve else ())
        chunks = grid.chunks + ((grid.curve_len,) if v.curve else ())
        arr = da.full(shape, np.nan, dtype=np.float64, chunks=chunks or ())
        data[v.name] = xr.Variable(vdims, arr, attrs={"description": v.description,
                                                      "source": v.source})
    coords = {}
    for name, (cdims, values) in grid.coords.items():
        attrs = {}
        if name in PARAMS or name in SIM_PARAMS:
            attrs = {"option": option_label(name),
                     "description": (PARAMS.get(name) or SIM_PARAMS.get(name)).help}
        coords[name] = xr.Variable(cdims, values, attrs=attrs)
    ds = xr.Dataset(data, coords=coords, attrs=attributes(grid))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.to_zarr(tmp, mode="w-", compute=False, zarr_format=ZARR_FORMAT,
                   consolidated=True)
        (tmp / SIDE).mkdir()
        (tmp / SIDE / DONE).write_bytes(b"")
        try:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
            os.rename(tmp, path)
        except OSError:
            if path.exists():                        # another process made it first
                return False
            raise
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _remove_stale_inits(path: Path) -> None:
    """Remove the temporary folders of creations of this store whose process is gone
    (killed while creating it)."""
    if not path.parent.is_dir():
        return
    for tmp in path.parent.glob(f".{path.name}.w2s-init-*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)                  # signal 0: no signal sent, existence checked
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def done_tasks(path) -> set:
    """The tasks marked complete in the store's log (a torn last line is ignored)."""
    try:
        text = (Path(path) / SIDE / DONE).read_bytes().decode("ascii", "replace")
    except FileNotFoundError:
        return set()
    lines = text.split("\n")
    out = set()
    for line in lines[:-1]:                  # the last piece has no newline: incomplete
        line = line.strip()
        if line.isdigit():
            out.add(int(line))
    return out


class StoreWriter:
    """Writes finished tasks into an existing store: the chunks, then the marker.
    Holds the store's lock (another sweep writing the same store is refused)."""

    def __init__(self, path, grid: Grid, variables, label="--out"):
        import zarr

        self.path = Path(path)
        self.grid = grid
        self._lock = open(self.path / SIDE / LOCK, "a+")
        try:
            import fcntl

            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise InvalidArgument(label, f"{self.path} is being written by another w2s "
                                  "sweep") from None
        except ImportError:                                     # pragma: no cover
            pass
        group = zarr.open_group(str(self.path), mode="r+", zarr_format=ZARR_FORMAT)
        self.arrays = {v.name: group[v.name] for v in variables}
        self.curves = {v.name for v in variables if v.curve}
        done = self.path / SIDE / DONE
        text = done.read_bytes()
        if text and not text.endswith(b"\n"):       # a torn last line: not a marker
            os.truncate(done, text.rfind(b"\n") + 1)
        self._done = os.open(done, os.O_WRONLY | os.O_APPEND)

    def write(self, task, result) -> None:
        """The chunk of every variable, then the task's marker."""
        region = task.region
        shape = tuple(s.stop - s.start for s in region)
        for name, arr in self.arrays.items():
            values = np.asarray(result.arrays[name], dtype=np.float64)
            if name in self.curves:
                arr[region + (slice(None),)] = values.reshape(shape + (-1,))
            else:
                arr[region] = values.reshape(shape)
        os.write(self._done, f"{task.id}\n".encode("ascii"))

    def close(self) -> None:
        if self._done is not None:
            os.close(self._done)
            self._done = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_sweep(path, *, partial: bool = False):
    """The sweep's results as an :class:`xarray.Dataset` (loaded in memory).

    Dimensions are the swept keys (and ``time`` or ``step`` for the curves); the keys
    every point shares, the package version and the sweep's fingerprint are its
    attributes. ``.to_dataframe()`` gives a pandas DataFrame, ``.to_netcdf(file)`` a
    NetCDF file. An incomplete store (a sweep still running, or killed) is refused
    unless ``partial=True`` (its missing points are NaN).
    """
    import xarray as xr

    path = Path(path)
    info = read_info(path, label="path")
    if info is None:
        raise InvalidArgument("path", f"no sweep store at {path}")
    missing = info["tasks"] - len(done_tasks(path) & set(range(info["tasks"])))
    if missing and not partial:
        raise InvalidArgument("path", f"{path} is incomplete ({missing} of "
                              f"{info['tasks']} tasks missing): run the sweep again to "
                              "finish it, or open it with partial=True")
    with contextlib.closing(xr.open_zarr(str(path), chunks=None, consolidated=True)) as ds:
        return ds.load()


def fingerprint_of(path) -> dict:
    """The stored fingerprint (plain JSON)."""
    info = read_info(path)
    return canonical(info["fingerprint"]) if info else {}
