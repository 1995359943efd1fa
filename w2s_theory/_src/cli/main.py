"""Entry point of the ``w2s`` command.

Each subcommand lives in its own module of this package and exposes

* ``NAME`` (the subcommand), ``HELP`` (one line), ``EXAMPLE`` (an example invocation),
* ``add_arguments(parser)``, and
* ``run(args) -> int`` (the exit status).

Bad input never shows a traceback: :class:`~w2s_theory._src.errors.InvalidArgument` raised
anywhere is printed as one line naming the command-line option (the argument it carries:
an option, or a parameter key, shown as the parameter's option), with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import InvalidArgument
from .common import W2SArgumentParser, option_for

SUBCOMMANDS = ["spectrum", "risk", "simulate", "bound", "latex", "report", "sweep"]


def _load(name):
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:  # a subcommand not built yet
        if exc.name == f"{__package__}.{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
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
        module.add_arguments(p)
        p.set_defaults(_module=module, _parser=p)
    return parser


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
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
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
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

