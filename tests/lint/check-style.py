#!/usr/bin/env python3
"""The tree's size rules and formatting, checked: no C file over 800 lines, no function over 60
lines (body, between the braces at column 0 our .clang-format puts them at), and
`clang-format --dry-run -Werror` clean. Prints every violation; exits 1 if there is any.

Usage: check-style.py [--no-format] [PATH...]   (default: the whole checkout)"""
import argparse
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE_DIRS = ["common", "sensor", "collector", "viewer", "tests", "proto"]
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 60


def c_files(paths):
    for path in paths:
        if os.path.isfile(path):
            if path.endswith((".c", ".h")):
                yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d not in ("corpus", "__pycache__") and
                       not d.startswith(("build", "."))]
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(root, f)


def long_functions(lines):
    """(name, first line, body lines) of every function whose body is over the limit."""
    start = None
    for i, line in enumerate(lines):
        if line == "{":
            start = i
        elif line.startswith("}") and start is not None:
            body = i - start - 1
            if body > MAX_FUNCTION_LINES:
                j = start - 1
                while j > 0 and "(" not in lines[j]:
                    j -= 1
                m = re.search(r"(\w+)\s*\(", lines[j])
                yield (m.group(1) if m else "?"), start + 1, body
            start = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-format", action="store_true", help="skip the clang-format check")
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    paths = a.paths or [os.path.join(TOP, d) for d in SOURCE_DIRS]
    files = list(c_files(paths))
    problems = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        rel = os.path.relpath(path, TOP)
        if len(lines) - 1 > MAX_FILE_LINES:
            print("%s: %d lines (limit %d)" % (rel, len(lines) - 1, MAX_FILE_LINES))
            problems += 1
        for name, line, body in long_functions(lines):
            print("%s:%d: %s() is %d lines (limit %d)" % (rel, line, name, body,
                                                          MAX_FUNCTION_LINES))
            problems += 1
    if not a.no_format:
        clang_format = shutil.which("clang-format")
        if not clang_format:
            print("clang-format not found", file=sys.stderr)
            return 1
        r = subprocess.run([clang_format, "--dry-run", "-Werror", "--style=file"] + files,
                           cwd=TOP, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            bad = sorted(set(re.findall(r"^(\S+?):\d+:\d+: error", r.stderr, re.M)))
            for path in bad:
                print("%s: not clang-format clean (clang-format -i %s)" %
                      (os.path.relpath(path, TOP), os.path.relpath(path, TOP)))
            problems += max(1, len(bad))
    print("check-style: %d files, %d problems" % (len(files), problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
