#!/usr/bin/env python3
"""SIGHUP rereads the collector's --config file (issue 13): a real collector started with a
config file; the file is changed and the collector sent SIGHUP; the log must say what was
applied and what needs a restart, and the effect must show: a smaller rotate-size makes the
packet log rotate, a new alerts-config path brings a policy rule that fires. A bad file on
SIGHUP logs FILE:LINE and changes nothing: rotation and rules stay as they were."""
import glob
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402

PROGRAMS = ["netvigil-collector", "netvigil-ctl", "nvg-fake-sensor"]


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)  # as an editor saving the file


def hup_and_wait(col, pattern, start):
    """SIGHUP, then wait for a log line holding pattern after offset start; the new log."""
    col.proc.send_signal(signal.SIGHUP)
    nvgtest.wait_for(lambda: pattern in col.log_text()[start:], 10,
                     "the collector to log %r after SIGHUP" % pattern)
    return col.log_text()[start:]


def packet_files(col):
    return nvgtest.log_files(col.out, "packets")


def alert_rules(col):
    rules = []
    for path in nvgtest.log_files(col.out, "alerts"):
        with open(path) as f:
            for line in f.read().splitlines()[1:]:
                rules.append(line)
    return rules


def send(col, name, n):
    col.run_fake("--name", name, "--records", n, "--batch", 100, "--start-time",
                 int(time.time()), "--eos")


def run(args, work):
    conf = work.path("collector.conf")
    rules_a = work.path("alerts-a.conf")
    rules_b = work.path("alerts-b.conf")
    write(rules_a, "[alerts]\nquiet = 2s\n")
    write(rules_b, "[alerts]\nquiet = 2s\n[policy]\nntp-seen = dport 123 severity low\n")
    write(conf, "# netvigil collector.conf\n[collector]\nrotate-size = 256M\n"
                "alerts-config = %s\ntalkers-interval = 10s\n" % rules_a)
    col = nvgtest.Collector(work, extra=("--config", conf, "--rotate-interval", "1h")).start()

    # Before: one packet file for 2000 rows, no policy alert.
    send(col, "before", 2000)
    nvgtest.wait_for(lambda: len(nvgtest.read_packets(col.out, empty_ok=True)) == 2000, 10,
                     "2000 rows")
    assert len(packet_files(col)) == 1, packet_files(col)
    assert not [r for r in alert_rules(col) if "ntp-seen" in r]

    # The change: rotation, the rules' path, a key that needs a restart, and one the command
    # line holds (sensor-port: Collector passes it).
    write(conf, "[collector]\nrotate-size = 20K\nalerts-config = %s\ntalkers-interval = 5s\n"
                "sensor-port = 1\nrotate-interval = 1s\nretain-size = 1G\nmin-free = 1%%\n" % rules_b)
    mark = len(col.log_text())
    log = hup_and_wait(col, "change(s) applied", mark)
    for want in ["SIGHUP: rotate-size = 20480 bytes (was 268435456), applied to the logs: "
                 "packets, rates, flows, alerts, audit",
                 "SIGHUP: alerts-config = %s (was %s), applied" % (rules_b, rules_a),
                 "SIGHUP: alert rules reloaded from %s" % rules_b,
                 "SIGHUP: talkers-interval: needs a restart, not applied",
                 "SIGHUP: sensor-port: set on the command line, the file's value is not used",
                 "SIGHUP: rotate-interval: set on the command line, the file's value is not used",
                 "SIGHUP: retain-size = 1073741824 bytes (was 0), applied",
                 "SIGHUP: min-free = 1%, applied",
                 "SIGHUP: reread %s: 4 change(s) applied, 1 need a restart" % conf]:
        assert want in log, "no %r in the log:\n%s" % (want, log)
    assert "bind:" not in log and "rotate-interval =" not in log, log  # not applied, not said

    # The effect: 2000 rows of ~80 bytes now take several files of about 20 KiB; the policy
    # rule of the new rules file fires on the NTP records.
    files_before = len(packet_files(col))
    time.sleep(0.5)  # the detection thread takes new rules at its next tick (100 ms)
    send(col, "after", 2000)
    nvgtest.wait_for(lambda: len(nvgtest.read_packets(col.out, empty_ok=True)) == 4000, 10,
                     "4000 rows")
    nvgtest.wait_for(lambda: len(packet_files(col)) >= files_before + 4, 10,
                     "the packet log to rotate at 20K")
    sizes = [os.path.getsize(p) for p in packet_files(col)[files_before:-1]]
    assert all(15000 < s < 40000 for s in sizes), sizes
    nvgtest.wait_for(lambda: [r for r in alert_rules(col) if "ntp-seen" in r], 15,
                     "the new policy rule to raise an alert")
    files_mid = len(packet_files(col))

    # A bad file: the error names file, line and key; nothing changes (rotation stays at 20K,
    # not 1K; the rules in force stay those of rules_b).
    write(conf, "[collector]\nrotate-size = 1K\nalerts-config = %s\n\nrotate-sise = 3\n"
                % rules_a)
    mark = len(col.log_text())
    log = hup_and_wait(col, "the configuration in force stays", mark)
    want = "%s:5: unknown key 'rotate-sise'; the configuration in force stays" % conf
    assert want in log, "no %r in:\n%s" % (want, log)
    assert "rotate-size = " not in log and "alerts-config = " not in log, log
    assert "alert rules reloaded from %s" % rules_b in log, log  # reread from the path in force
    send(col, "bad", 2000)
    nvgtest.wait_for(lambda: len(nvgtest.read_packets(col.out, empty_ok=True)) == 6000, 10,
                     "6000 rows")
    new = len(packet_files(col)) - files_mid
    assert 3 <= new <= 10, "%d new files: rotation is not at 20K any more" % new

    # A bad value is refused the same way, and the collector is still fine at the end.
    write(conf, "[collector]\nrotate-size = lots\n")
    mark = len(col.log_text())
    log = hup_and_wait(col, "the configuration in force stays", mark)
    assert "%s:2: key 'rotate-size': invalid value 'lots'" % conf in log, log
    assert col.status()["sensors"], "status after the reloads"
    col.stop()
    text = col.log_text()
    assert not nvgtest.sanitizer_report(text), nvgtest.sanitizer_report(text)
    print("config reload: rotation 256M -> 20K (%d files for 2000 rows), rules path switched "
          "(policy alert), bad key and bad value kept everything" % (files_mid - files_before))


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-config-", PROGRAMS))
