"""Write docs/formulas.md, the formula reference, from the symbolic registry.

The reference is generated from the same expressions the code uses (the registry of
``w2s_theory._src.symbolic``), so it cannot drift from them: ``--check`` exits with
status 1 when the committed file differs from a fresh generation (the test suite runs
it), and without options the file is rewritten.

Run: ``python derivations/make_formula_docs.py [--check] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from w2s_theory._src.symbolic.document import markdown_reference

DEFAULT = Path(__file__).resolve().parent.parent / "docs" / "formulas.md"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the file instead of writing it")
    parser.add_argument("--out", type=Path, default=DEFAULT, help="the Markdown file")
    args = parser.parse_args(argv)
    text = markdown_reference()
    if args.check:
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if old == text:
            print(f"{args.out}: up to date ({len(text.splitlines())} lines)")
            return 0
        diff = difflib.unified_diff(old.splitlines(), text.splitlines(), str(args.out),
                                    "generated", lineterm="", n=1)
        print("\n".join(list(diff)[:40]))
        print(f"{args.out} differs from the registry: run "
              f"'python derivations/make_formula_docs.py' and commit the result")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
