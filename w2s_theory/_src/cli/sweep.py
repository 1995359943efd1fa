"""``w2s sweep``: grids of theory curves and exact simulations on Dask, into a resumable
Zarr store that ``xarray.open_zarr`` (or ``w2s_theory.open_sweep``) opens.

Contract (kept stable): ``w2s sweep --activation relu --dim 6 --target degree:1
--teacher-width 50,100 --student-width 400,inf --no-simulation --out S.zarr`` writes a
Zarr store whose dimensions are named after the swept options (``teacher_width``,
``student_width``); running it again on a complete store does no work and exits 0. Bad
input (an unknown parameter, an empty grid, an invalid point, a store of another sweep or
another package version, an unreachable ``--scheduler``) is one line on stderr, exit 2,
with the store untouched.
"""

from __future__ import annotations

import sys

from ..errors import InvalidArgument
from ..setting import PARAMS
from .common import add_setting_options

NAME = "sweep"
HELP = ("Sweep a grid of settings (theory and/or exact simulation at each point) on Dask "
        "into a resumable Zarr store of labelled arrays.")
EXAMPLE = """\
w2s sweep --activation relu --dim 6 --target degree:1 --teacher-width 50,100 \\
    --student-width 400,inf --no-simulation --out S.zarr
w2s sweep --config sweep.toml --plot optimal_pgr
w2s sweep --dim 6 --teacher-width 20,50 --student-width 100,400 --time 100,1000 \\
    --seeds 4 --out sim.zarr --scheduler tcp://10.0.0.5:8786
w2s sweep --out S.zarr --plot student_risk --plot-dims time,teacher_width"""


def add_arguments(parser) -> None:
    from ..sweep.config import OPTIONS, SIM_PARAMS

    parser.add_argument("--config", metavar="FILE.toml", default=None,
                        help="the sweep as TOML: setting keys (a list is an axis), seeds, "
                             "seed, method, theory, simulation, grid, points_per_task, "
                             "out; options given here override it")
    add_setting_options(parser, list(PARAMS),
                        title="setting (a comma list sweeps a key: --teacher-width "
                              "50,100; ';' separates values that are lists: --variances "
                              "'1,0.5;1,0.25')")
    g = add_setting_options(parser, list(SIM_PARAMS), title="simulation", params=SIM_PARAMS)
    g.add_argument("--no-simulation", dest="simulation", action="store_const", const=False,
                   default=None, help="the theory only")
    g.add_argument("--no-theory", dest="theory", action="store_const", const=False,
                   default=None, help="the simulation only")
    s = parser.add_argument_group("sweep")
    s.add_argument("--grid", default=None, metavar="product|list",
                   help=OPTIONS["grid"].help)
    s.add_argument("--points-per-task", dest="points_per_task", default=None,
                   metavar="N", help=OPTIONS["points_per_task"].help)
    s.add_argument("--out", default=None, metavar="STORE.zarr",
                   help="the Zarr store (created, or resumed if it holds this sweep)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler to run on (tcp://host:8786); 'local' (default): "
                        "a LocalCluster on this machine; 'serial': in this process")
    s.add_argument("--workers", default=None, metavar="N",
                   help="processes of the local cluster (default: the cores, memory "
                        "permitting)")
    o = parser.add_argument_group("results")
    o.add_argument("--plot", nargs="?", const="", default=None, metavar="VAR",
                   help="draw VAR (default optimal_pgr) over two dimensions: heat map and "
                        "lines, with the simulation's points")
    o.add_argument("--plot-dims", dest="plot_dims", default=None, metavar="X,Y",
                   help="the two dimensions of --plot (default: the curve's axis or the "
                        "first two)")
    o.add_argument("--select", action="append", default=None, metavar="KEY=VALUE",
                   help="fix another dimension of --plot (default: its first value)")
    o.add_argument("--figure", default=None, metavar="FILE",
                   help="where --plot writes (default: beside the store, STORE.VAR.png)")
    o.add_argument("--netcdf", default=None, metavar="FILE.nc",
                   help="also write the results as NetCDF")
    o.add_argument("--json", action="store_true", help="print one JSON summary")
    o.add_argument("--quiet", action="store_true", help="no progress bar")


def _sweep_values(args) -> dict:
    from ..sweep.config import OPTIONS, SIM_PARAMS

    keys = [*PARAMS, *SIM_PARAMS, *OPTIONS]
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def run(args) -> int:
    from ..sweep.api import build_grid, run_sweep
    from ..sweep.config import SweepConfig, load_config_file, option_label
    from ..sweep.store import open_sweep

    flags = _sweep_values(args)
    sources, file_out = [], None
    if args.config is not None:
        file_values, file_label, file_out = load_config_file(args.config)
        sources.append((file_values, file_label))
    out = args.out if args.out is not None else file_out
    if out is None:
        raise InvalidArgument("--out", "give the store to write (e.g. --out sweep.zarr)")
    plot_only = args.config is None and not flags
    if plot_only and args.plot is None and args.netcdf is None:
        raise InvalidArgument("--out", "nothing to do: give the sweep (its options or "
                              "--config), or --plot/--netcdf to read an existing store")
    run_ = None
    if not plot_only:
        sources.append((flags, option_label))
        try:
            config = SweepConfig.from_sources(sources)
        except InvalidArgument as exc:
            raise _for_cli(exc) from None
        try:
            grid, _ = build_grid(config)
        except InvalidArgument as exc:
            raise _for_cli(exc) from None
        scheduler = args.scheduler or "local"
        if args.workers is not None and scheduler not in ("local",):
            raise InvalidArgument("--workers", "goes with the local cluster")
        bar = None
        if not (args.quiet or args.json):
            from ..progress import ProgressBar

            bar = ProgressBar("w2s sweep")
        try:
            run_ = run_sweep(config, out, scheduler=scheduler, workers=args.workers,
                             progress=bar and (lambda d, t: bar(d, t, "tasks")),
                             errors="return")
        except InvalidArgument as exc:
            raise _for_cli(exc) from None
        finally:
            if bar is not None:
                bar.close()
        _report(run_, args.json)
        if run_.failures:
            _, _, kind, argument, _ = run_.failures[0]
            print(f"w2s sweep: error: {run_.failure_summary()}; the points done are "
                  "stored: run the same command again to retry the rest",
                  file=sys.stderr)
            return 2 if kind == "InvalidArgument" else 1
    if args.plot is not None or args.netcdf is not None:
        try:
            ds = open_sweep(out, partial=True)
        except InvalidArgument as exc:
            raise InvalidArgument("--out", exc.message) from None
        if args.netcdf is not None:
            _netcdf(ds, args.netcdf)
        if args.plot is not None:
            _plot(ds, args, out)
    return 0


def _for_cli(exc: InvalidArgument) -> InvalidArgument:
    """An error naming a key of the TOML file (``file.toml: key``) is an error of
    ``--config``; one naming an option stays as it is."""
    arg = exc.argument
    if ": " in arg and not arg.startswith("-"):
        return InvalidArgument("--config", f"{arg}: {exc.message}")
    return exc


def _report(run, as_json):
    g = run.grid
    dims = ", ".join(f"{d} ({n})" for d, n in zip(g.dims, g.shape)) or "one point"
    if as_json:
        from .common import print_json

        print_json({"out": str(run.path), "dims": dict(zip(g.dims, g.shape)),
                    "curve": None if g.curve_dim is None else
                    {g.curve_dim: g.curve_len},
                    "points": g.size, "tasks": run.tasks, "computed": run.computed,
                    "skipped": run.skipped, "failed": len(run.failures),
                    "complete": run.complete, "workers": run.workers,
                    "scheduler": run.scheduler, "seconds": run.seconds,
                    "warnings": sorted(run.warnings)})
        return
    if run.computed == 0 and not run.failures:
        print(f"w2s sweep: {run.path} is complete ({g.size} points over {dims}); "
              "nothing to do")
        return
    print(f"w2s sweep: {run.path}: {g.size} points over {dims} in {run.tasks} tasks: "
          f"{run.computed} computed, {run.skipped} already stored"
          + (f", {len(run.failures)} failed" if run.failures else "")
          + f" ({run.seconds:.1f} s, {run.workers} worker(s), {run.scheduler})")
    for w in sorted(run.warnings):
        print(f"warning: {w}")


def _netcdf(ds, path):
    try:
        ds.to_netcdf(path)
    except (OSError, ValueError) as exc:
        raise InvalidArgument("--netcdf", f"cannot write {path}: {exc}") from None
    print(f"wrote {path}")


def _plot(ds, args, out):
    from ..sweep.plot import default_variable, figure_path, plot_sweep

    var = args.plot or default_variable(ds)
    dims = None
    if args.plot_dims:
        dims = [d.strip() for d in args.plot_dims.split(",") if d.strip()]
        if not 1 <= len(dims) <= 2:
            raise InvalidArgument("--plot-dims", f"give one or two dimensions, got "
                                  f"{args.plot_dims!r}")
    select = {}
    for item in args.select or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidArgument("--select", f"expected KEY=VALUE, got {item!r}")
        select[key.strip()] = value.strip()
    path = args.figure or figure_path(out, var)
    try:
        written = plot_sweep(ds, var, dims, select, path)
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidArgument):
            raise
        raise InvalidArgument("--figure", f"cannot write {path}: {exc}") from None
    print(f"wrote {written}")
