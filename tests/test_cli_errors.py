"""Every error of the command line names an option the user typed (issue 15 item 4).

Driven from each command's own parser: for every command of ``w2s`` and every option
that takes a value, a call with that one option given a bad value (beside a valid
context, :data:`BASE`) must fail with exit status 2 and exactly one line on stderr,
``w2s CMD: error: OPT: message``, where ``OPT`` is the option that was given the bad
value (a command without a :data:`BASE` entry yet: an option its parser has). Then a set
of hand-written bad inputs per command (missing or conflicting options, values valid
alone but not together, the refusal of a long computation): the option named must be
the one expected, and one the command's parser has. In-process, through ``main([...])``
(no subprocesses).
"""

from __future__ import annotations

import argparse

import pytest

from w2s_theory._src.cli import main as cli

#: a valid context for each command (the option under test replaces its own entry)
BASE = {
    "spectrum": ["--dim", "6"],
    "risk": ["--dim", "6", "--teacher-width", "10", "--time", "100"],
    "width": ["--dim", "6", "--teacher-width", "20"],
    "simulate": ["--dim", "6", "--teacher-width", "10", "--time", "100", "--seeds", "2"],
    "bound": ["--teacher-risk", "0.01"],
    "latex": ["multiplicity"],
    "report": ["--dim", "6", "--teacher-width", "20", "--no-simulation"],
    "exponent": ["--path", "M_T=d^1.5", "--dim", "20", "--no-derivative",
                 "--no-asymptotics"],
}
#: options given together with the one under test (they only make sense together)
COMPANIONS = {
    ("bound", "--time"): ["--top-eigenvalue", "1"],
    ("bound", "--top-eigenvalue"): ["--time", "1"],
    ("*", "--multiplicities"): ["--eigenvalues", "1,0.5"],
    ("*", "--power-law-scale"): ["--power-law", "2"],
    ("*", "--lr"): ["--steps", "10"],
    ("*", "--steps"): ["--lr", "1"],
}
#: bad values: every option below, plus "x" for any option taking a value
BAD = {
    "--dim": ["1", "2.5"], "--teacher-width": ["0"], "--student-width": ["0"],
    "--time": ["-1"], "--digits": ["5", "20000"], "--target": ["single-index:nope",
                                                             "degree:-1", "nope"],
    "--activation": ["nope"], "--variances": ["-1"], "--eigenvalues": ["-1"],
    "--multiplicities": ["0"], "--power-law": ["0.5"], "--power-law-scale": ["0"],
    "--lr": ["0"], "--steps": ["-1"], "--max-degree": ["-1"], "--max-seconds": ["0"],
    "--seeds": ["0"], "--seed": ["-1"], "--workers": ["0"], "--blas-threads": ["0"],
    "--teacher-risk": ["-1", "2"], "--target-energy": ["0"], "--alpha": ["1.5"],
    "--ceiling-risk": ["-1"], "--evalf": ["0"], "--time-points": ["1"],
    "--sim-points": ["0"], "--time-range": ["10,1"], "--fraction": ["2", "0"],
}
#: options not tried with a generic bad value: files and folders (any name is valid)
SKIP = {"--out", "--config", "--help", "--version"}


def commands():
    return [c for c in cli.SUBCOMMANDS if cli._load(c) is not None]


def subparser(command) -> argparse.ArgumentParser:
    parser = cli.build_parser(only=command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


def names_of(parser) -> set:
    """The options (and positional metavars) of a parser."""
    out = set()
    for a in parser._actions:
        out.update(a.option_strings)
        if not a.option_strings and a.metavar:
            out.add(a.metavar)
    return out


def valued_options(parser) -> list:
    return [a.option_strings[-1] for a in parser._actions
            if a.option_strings and a.nargs != 0 and not isinstance(
                a, (argparse._StoreTrueAction, argparse._StoreConstAction,
                    argparse._HelpAction, argparse._VersionAction))
            and a.option_strings[-1] not in SKIP]


def run(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exc:                     # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.err


def named_option(command, err) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = f"w2s {command}: error: "
    assert lines[0].startswith(prefix), err
    return lines[0][len(prefix):].split(":", 1)[0]


def generic_cases():
    for command in commands():
        parser = subparser(command)
        for opt in valued_options(parser):
            for bad in BAD.get(opt, []) + ["x"]:
                yield pytest.param(command, opt, bad, id=f"{command}{opt}={bad}")


def _companions(command, opt) -> list:
    if (command, opt) in COMPANIONS:
        return COMPANIONS[command, opt]
    return [] if command == "latex" else COMPANIONS.get(("*", opt), [])


def _with(command, opt, bad):
    base = list(BASE.get(command, []))
    extra = _companions(command, opt)
    for o in [opt] + extra[::2]:
        if o in base:                               # the option under test replaces it
            i = base.index(o)
            del base[i:i + 2]
    if extra and opt in ("--lr", "--steps") and "--time" in base:
        i = base.index("--time")
        del base[i:i + 2]
    return [command, *base, *extra, opt, bad]


@pytest.mark.parametrize("command, opt, bad", list(generic_cases()))
def test_a_bad_value_names_its_option(command, opt, bad, capsys):
    code, err = run(_with(command, opt, bad), capsys)
    assert code == 2, err
    named = named_option(command, err)
    if command in BASE:
        assert named == opt, err
    else:                                   # a command this test has no context for yet
        assert named in names_of(subparser(command)), err


# hand-written: (arguments, the option the error must name)
CASES = {
    "spectrum": [(["--dim", "6", "--digits", "1000", "--max-seconds", "60"],
                  "--max-seconds"),
                 (["--dim", "6", "--variances", "1,2"], "--variances"),
                 (["--power-law-scale", "2"], "--power-law-scale"),
                 (["--dim", "6", "--bogus"], "--bogus")],
    "risk": [(["--dim", "6", "--target", "single-index:nope", "--time", "1"], "--target"),
             (["--dim", "6", "--target", "single-index:relu+degree:x", "--time", "1"],
              "--target"),
             (["--dim", "6", "--time", "1", "--lr", "1"], "--lr"),
             (["--dim", "6", "--lr", "1"], "--steps"),
             (["--eigenvalues", "1,0.5,0.25", "--teacher-width", "3", "--time", "1"],
              "--teacher-width"),
             (["--dim", "6", "--time", "1", "--teacher-with", "3"], "--teacher-with")],
    "simulate": [(["--dim", "6", "--teacher-width", "8000", "--time", "1", "--seeds",
                   "50"], "--max-seconds"),
                 (["--dim", "6", "--time", "1", "--n", "5"], "--n"),
                 (["--dim", "6", "--time", "1", "--batch-size", "5"], "--batch-size"),
                 (["--dim", "6", "--time", "1", "--method", "nope"], "--method"),
                 (["--dim", "6"], "--time")],
    "bound": [([], "--teacher-risk"),
              (["--teacher-risk", "0.1", "--alpha", "0.5", "--time", "1",
                "--top-eigenvalue", "1"], "--alpha"),
              (["--teacher-risk", "0.1", "--time", "1"], "--top-eigenvalue"),
              (["--teacher-risk", "0.1", "--top-eigenvalue", "1"], "--time"),
              (["--teacher-risk", "0.5", "--target-energy", "0.25"], "--teacher-risk"),
              (["--teacher-risk", "0.1", "--ceiling-risk", "0.2"], "--ceiling-risk")],
    "latex": [(["nope"], "NAME"), ([], "NAME"), (["--list", "--all"], "--all"),
              (["--list", "--dim", "3"], "--dim"), (["multiplicity", "--evalf", "x"],
                                                    "--evalf")],
    "report": [(["--config", "/nonexistent/setting.toml"], "--config"),
               (["--dim", "6", "--out", "/dev/null", "--no-simulation",
                 "--teacher-width", "20"], "--out"),
               (["--dim", "6", "--teacher-width", "20,50", "--seeds", "100",
                 "--max-seconds", "1"], "--max-seconds")],
}


def hand_cases():
    for command, cases in CASES.items():
        if command not in commands():
            continue
        for argv, opt in cases:
            yield pytest.param(command, argv, opt, id=f"{command}:{' '.join(argv)}")


@pytest.mark.parametrize("command, argv, opt", list(hand_cases()))
def test_bad_inputs_name_an_option_of_the_command(command, argv, opt, capsys):
    code, err = run([command, *argv], capsys)
    assert code == 2, err
    named = named_option(command, err)
    assert named == opt, err
    if not argv or "--bogus" not in argv and "--teacher-with" not in argv:
        assert named in names_of(subparser(command)), err


@pytest.mark.parametrize("command", commands())
def test_an_unknown_option_is_named_with_its_close_matches(command, capsys):
    code, err = run([command, *BASE.get(command, []), "--dimm", "6"], capsys)
    assert code == 2 and named_option(command, err) == "--dimm", err
    if "--dim" in names_of(subparser(command)):
        assert "did you mean --dim" in err, err


def test_refusal_shows_the_estimate_and_how_to_raise_the_limit(capsys):
    code, err = run(["simulate", "--dim", "6", "--teacher-width", "8000", "--time", "1",
                     "--seeds", "50"], capsys)
    assert code == 2
    assert "estimated" in err and "beyond the limit of 600 s" in err
    assert "raise it with --max-seconds" in err
