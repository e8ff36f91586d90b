#!/usr/bin/env python3
"""Run a jq program with libjq 1.7.1 (PyPI `jq==1.8.0`) and print what `jq -c -r` prints.

Usage: reference.py PROGRAM < INPUT

Each output is printed on its own line: a string raw, anything else as jq's own compact JSON
(`tojson`, which is jq's dumper, so key order, big numbers and -0 are jq's, not Python's).
A runtime error prints the outputs before it, then `error` on a line of its own, and exits 5
(jq's code). A compile error exits 3. Exits 4 when the jq module is missing or is not 1.7.x.
"""
import sys

try:
    import jq
except ImportError:
    print("the Python jq module is missing (pip install jq==1.8.0)", file=sys.stderr)
    sys.exit(4)


def main():
    program, text = sys.argv[1], sys.stdin.read()
    # jq.py 1.8.0 bundles libjq 1.7.1; `abs` and `ltrimstr(1)` → null tell it from 1.8.
    probe = jq.compile("[ltrimstr(1)]").input_text("null").first()
    if probe != [None]:
        print("the Python jq module is not libjq 1.7.x", file=sys.stderr)
        sys.exit(4)
    wrapped = "(%s) | if type == \"string\" then . else tojson end" % program
    try:
        compiled = jq.compile(wrapped)
    except ValueError as e:
        print("compile error: %s" % e, file=sys.stderr)
        sys.exit(3)
    out = sys.stdout
    try:
        for value in compiled.input_text(text):
            out.write(value + "\n")
    except ValueError as e:
        out.write("error\n")
        print(e, file=sys.stderr)
        sys.exit(5)


main()
