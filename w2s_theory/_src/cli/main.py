"""Entry point of the ``w2s`` command.

Each subcommand lives in its own module of this package and exposes

* ``NAME`` (the subcommand), ``HELP`` (one line), ``EXAMPLE`` (an example invocation),
* ``add_arguments(parser)``, and
* ``run(args) -> int`` (the exit status).

A subcommand module imports only light modules at its top; what its computation needs
(sympy, matplotlib, the simulator, the theory) is imported inside ``run`` or
``add_arguments``. :func:`main` builds the options of the one command it runs (the
others are listed by name and help only), so ``w2s bound`` never loads what ``w2s
latex`` needs (issue 15: start-up within 0.3 s).

Bad input never shows a traceback: :class:`~w2s_theory._src.errors.InvalidArgument` raised
anywhere is printed as one line naming the command-line option (the argument it carries:
an option, or a parameter key, shown as the parameter's option), with exit status 2.
Ctrl-C (SIGINT) prints the one line ``w2s CMD: interrupted`` and exits with status 130,
within a second: long computations run in worker processes, which are stopped, and files
are written all-or-nothing.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import InvalidArgument
from .common import W2SArgumentParser, option_for

SUBCOMMANDS = ["spectrum", "risk", "width", "simulate", "bound", "latex", "report",
               "sweep", "exponent"]


def _load(name):
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:  # a subcommand not built yet
        if exc.name == f"{__package__}.{name}":
            return None
        raise


def build_parser(only=None) -> argparse.ArgumentParser:
    """The ``w2s`` parser. ``only``: the name of the one subcommand whose options are
    built (the others get their name and help only: enough for ``w2s --help`` and for
    an unknown command's error); ``None`` builds every subcommand's options."""
    from ... import __version__

    parser = W2SArgumentParser(
        prog="w2s",
        description="Theory calculator for weak-to-strong generalization in "
                    "random-feature networks.",
        epilog="Run 'w2s COMMAND --help' for the options and an example of each command.",
    )
    parser.add_argument("--version", action="version", version=f"w2s_theory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=W2SArgumentParser)
    for name in SUBCOMMANDS:
        module = _load(name)
        if module is None:
            continue
        p = sub.add_parser(
            name, help=module.HELP, description=module.HELP,
            epilog="example:\n  " + "\n  ".join(module.EXAMPLE.strip().splitlines()),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        if only is None or only == name:
            module.add_arguments(p)
            p.set_defaults(_module=module, _parser=p)
    return parser


def _command_of(argv) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word if word in SUBCOMMANDS else None
    return None


def _unknown_option(parser, extra):
    """One-line error for arguments no option takes, in the command's own name, with the
    close matches among its options."""
    import difflib

    first = extra[0]
    known = [o for a in parser._actions for o in a.option_strings]
    close = difflib.get_close_matches(first.split("=")[0], known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else \
        f" (see '{parser.prog} --help')"
    what = "unknown option" if first.startswith("-") else "unexpected argument"
    parser.error(f"{first}: {what}{hint}")


def main(argv=None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    command = _command_of(words)
    parser = build_parser(only=command or "")
    args, extra = parser.parse_known_args(words)
    if extra:
        _unknown_option(args.__dict__.get("_parser", parser), extra)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return 0 if argv is None and len(sys.argv) <= 1 else 2
    prog = f"w2s {args.command}"
    try:
        return int(args._module.run(args) or 0)
    except InvalidArgument as exc:
        print(f"{prog}: error: {option_for(exc.argument)}: {exc.message}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        if argv is None:                      # the program itself: leave at once
            _leave(130)
        return 130
    except BrokenPipeError:
        return 0


def _leave(code: int) -> None:
    """Exit now, after the cleanups that matter (exit handlers: the process pool), but
    without the interpreter's teardown of every module (with matplotlib and sympy loaded
    it takes a second or more: an interrupted command must stop within one)."""
    import atexit
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    runner = sys.modules.get("w2s_theory._src.simulation.runner")
    if runner is not None:
        runner.kill_pool()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

