#!/usr/bin/env bash
# gen-pcap-selftest.sh NVG-GEN-PCAP: the generator is deterministic (same arguments, same
# bytes; another seed, other bytes) for every link type, and its files hold exactly the
# packets asked for (checked with tcpdump when it is installed).
set -euo pipefail
gen=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvg-gen-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=5000
for link in ether sll sll2 raw null; do
    for res in "" --nano; do
        "$gen" -o "$tmp/a.pcap" -n $n --seed 42 --link $link $res
        "$gen" -o "$tmp/b.pcap" -n $n --seed 42 --link $link $res
        "$gen" -o "$tmp/c.pcap" -n $n --seed 43 --link $link $res
        cmp "$tmp/a.pcap" "$tmp/b.pcap" || { echo "FAIL: $link $res: same seed, different bytes"; exit 1; }
        if cmp -s "$tmp/a.pcap" "$tmp/c.pcap"; then
            echo "FAIL: $link $res: another seed, same bytes"
            exit 1
        fi
        if command -v tcpdump >/dev/null; then
            got=$(tcpdump -nn -r "$tmp/a.pcap" 2>/dev/null | wc -l)
            [ "$got" -eq $n ] || { echo "FAIL: $link $res: tcpdump reads $got of $n packets"; exit 1; }
        fi
        echo "ok: $link ${res:-(micro)}: $(stat -c %s "$tmp/a.pcap") bytes"
    done
done
