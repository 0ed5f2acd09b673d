#!/usr/bin/env python3
"""No false alarms on real captures (issue 11): every capture of the shared corpus through
`netvigil-sensor -r F --alerts -`, the collector's engine with its default rules. A capture that
raises an alert must be in EXPECTED with the reason; any other alert fails the test, and so does
an expected one that no longer fires (the table stays true).

Usage: test_quiet_corpus.py --bin-dir DIR... --pcaps DIR; exit 77 when the corpus is absent."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nvgtest  # noqa: E402
from nvgtest import prog  # noqa: E402

# capture -> (detector, why it is a true positive for the engine's rules)
EXPECTED = {
    # Fuzzed ARP (tcpdump's out-of-bounds corpus): the sender hardware addresses are mutated,
    # so 192.168.1.104 and others are claimed by hundreds of MACs: spoofing by the rule's
    # letter, and one alert per address and quiet period, never one per packet.
    "arp-oobr.pcap": ("arpspoof", "mutated ARP sender MACs"),
}


def run(args, work):
    if not os.path.isdir(args.pcaps):
        raise nvgtest.Skip("no capture corpus at %s" % args.pcaps)
    files = sorted(f for f in os.listdir(args.pcaps) if f.endswith((".pcap", ".pcapng")))
    if not files:
        raise nvgtest.Skip("no captures in %s" % args.pcaps)
    unexpected, fired = [], set()
    for f in files:
        r = subprocess.run([prog("netvigil-sensor"), "-r", os.path.join(args.pcaps, f),
                            "--alerts", "-", "-n", "corpus"], capture_output=True, text=True,
                           timeout=60)
        starts = [line for line in r.stdout.splitlines() if " start " in line]
        for line in starts:
            det = line.split()[3]
            if EXPECTED.get(f, (None,))[0] == det:
                fired.add(f)
            else:
                unexpected.append("%s: %s" % (f, line))
    print("ok   %d captures read with detection on; %d alert(s) expected and raised" % (
        len(files), len(fired)), flush=True)
    assert not unexpected, "false alarms:\n" + "\n".join(unexpected)
    missing = set(EXPECTED) - fired - {f for f in EXPECTED if f not in files}
    assert not missing, "expected alerts no longer raised: %s" % sorted(missing)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-quiet-", ("netvigil-sensor",),
                          add_args=lambda ap: ap.add_argument("--pcaps", required=True)))
