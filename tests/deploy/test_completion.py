#!/usr/bin/env python3
"""The bash completions of deploy/completion (issue 13), each sourced in a bash without the
bash-completion package and asked as readline would ask: `netvigil-collector --ret` offers
--retain-size; `--` offers exactly the options the program's --help lists (long and short),
so a new option without its completion fails here; netvigil-ctl offers exactly the commands of
its --help, and none once a command is given; option values (--compress, --sort, -i, a
directory after --out=) complete. A program not built (the viewer without GTK) is skipped."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-sensor", "netvigil-ctl"]
OPTIONAL = ["netvigil-viewer"]

# Sources one completion file and calls its function on the words given, as bash does on TAB:
# COMP_WORDS split at COMP_WORDBREAKS ("=" a word of its own), the last word the one completed.
DRIVER = r'''
source "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
spec=$(complete -p "$1") || exit 3
fn=${spec#*-F }
fn=${fn%% *}
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(comp_dir, *words):
    prog = words[0]
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "driver",
                        os.path.join(comp_dir, prog)] + list(words),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "completing %r: exit %d\n%s" % (words, r.returncode, r.stderr)
    return set(filter(None, r.stdout.split("\n")))


def help_text(exe):
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, GDK_BACKEND="none"))
    assert r.returncode == 0, "%s --help: exit %d" % (exe, r.returncode)
    return r.stdout


def help_options(text):
    longs = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))
    shorts = set(re.findall(r"(?<![\w-])(-[a-zA-Z])\b", text))
    return longs | shorts


def ctl_commands(text):
    section = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^  ([a-z][a-z-]*)", section, re.M))


def check_options(comp_dir, prog, exe, report):
    want = help_options(help_text(exe))
    got = complete(comp_dir, prog, "--") | complete(comp_dir, prog, "-")
    missing, extra = sorted(want - got), sorted(got - want)
    assert not missing and not extra, (
        "%s completion: options of --help not offered %s, offered but not in --help %s" % (
            prog, missing, extra))
    report.append("%s: the %d options of --help offered" % (prog, len(want)))


def run(args, work):
    comp_dir = args.completion_dir
    report = []
    got = complete(comp_dir, "netvigil-collector", "--ret")
    assert {"--retain-size", "--retain-time"} <= got, "netvigil-collector --ret offers %s" % got
    assert all(o.startswith("--ret") for o in got), got
    report.append("netvigil-collector --ret: %s" % " ".join(sorted(got)))

    for prog in PROGRAMS:
        check_options(comp_dir, prog, nvgtest.prog(prog), report)
    viewer = nvgtest.find_programs(args.bin_dir, OPTIONAL)
    if not viewer:
        check_options(comp_dir, "netvigil-viewer", nvgtest.prog("netvigil-viewer"), report)
    else:
        report.append("netvigil-viewer not built: its options not checked")

    want = ctl_commands(help_text(nvgtest.prog("netvigil-ctl")))
    assert len(want) >= 10, "netvigil-ctl --help lists commands %s" % want
    got = complete(comp_dir, "netvigil-ctl", "")
    assert got == want, "netvigil-ctl commands: --help %s, offered %s" % (sorted(want), sorted(got))
    got = complete(comp_dir, "netvigil-ctl", "--collector", "h1", "st")
    assert got == {"start", "status", "stop"}, "after an option and its value: %s" % got
    got = complete(comp_dir, "netvigil-ctl", "status", "")
    assert not got, "after a command, commands again: %s" % got
    report.append("netvigil-ctl: the %d commands of --help offered" % len(want))

    values = [(("netvigil-collector", "--compress", ""), {"none", "zstd", "gzip"}),
              (("netvigil-ctl", "--sort", "r"), {"rate", "retrans", "rtt"}),
              (("netvigil-sensor", "--seccomp", "k"), {"kill"}),
              (("netvigil-sensor", "-i", "l"), {"lo"}),
              (("netvigil-collector", "--out", "=", work.dir[:-2]), {work.dir})]
    for words, want in values:
        got = complete(comp_dir, *words)
        assert want <= got, "completing %s offers %s, want %s among them" % (
            " ".join(words), got, want)
    assert not complete(comp_dir, "netvigil-collector", "--rotate-size", ""), (
        "a free value (--rotate-size) offers words")
    report.append("values of --compress, --sort, --seccomp, -i, --out= complete")
    print("\n".join(report))


def add_args(ap):
    ap.add_argument("--completion-dir", required=True, help="deploy/completion")


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-compl-", PROGRAMS, add_args=add_args))
