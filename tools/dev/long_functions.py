#!/usr/bin/env python3
"""Lists C/C++ functions longer than a limit (default 80 lines), for the
code-size rule in docs/architecture.md. A function is a top-level or
in-class brace block opened by a line that looks like a definition
(`...) {`, `...) const {`, `... override {`); lambdas inside it count
towards it. Usage: long_functions.py [--max N] DIR..."""
import argparse
import os
import re
import sys

DEFINITION = re.compile(r"\)\s*(const\s*)?(noexcept\s*)?(override\s*)?(final\s*)?(->\s*[\w:<>&*\s]+)?\{\s*(//.*)?$")
SKIP = re.compile(r"^\s*(if|for|while|switch|catch|else|do)\b|\[[^\]]*\]\s*\(")


def functions(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    depth, start, name, start_depth = 0, None, None, 0
    for number, line in enumerate(lines, 1):
        code = re.sub(r'"(\\.|[^"\\])*"', '""', line.split("//")[0] if '"' not in line else line)
        if start is None and DEFINITION.search(line) and not SKIP.search(line):
            start, name, start_depth = number, line.strip(), depth
        depth += code.count("{") - code.count("}")
        if start is not None and depth <= start_depth:
            yield name, start, number - start + 1
            start = None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=80)
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    found = 0
    for top in args.dirs:
        for root, _, files in os.walk(top):
            for file in sorted(files):
                if not file.endswith((".cpp", ".hpp", ".c", ".h")):
                    continue
                path = os.path.join(root, file)
                for name, line, length in functions(path):
                    if length > args.max:
                        found += 1
                        print(f"{path}:{line}: {length} lines: {name[:100]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
