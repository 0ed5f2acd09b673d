#!/usr/bin/env python3
"""pcapng files whose interfaces have several link types (issue 12, item 5), which libpcap
1.10 refuses and sensor/pcapng-reader.c reads.

    test_pcapng_multilink.py --bin-dir DIR... --dump PCAPNG-DUMP TEST

TEST is one of:
  multilink   `netvigil-sensor -r F --csv` on files from gen_pcapng.py (Ethernet, Linux SLL and
              raw IP interfaces interleaved, a big-endian second section, nanosecond and 2^-20
              if_tsresol, a negative if_tsoffset, Simple and obsolete Packet Blocks, skipped
              blocks; and a file describing its second link type only after 150 packets, which
              libpcap reads up to there): every row agrees with tshark on time, proto, src,
              dst, ports, TCP flags, ttl and length, and the row count is tshark's exactly.
  agree       Our reader and libpcap (pcapng-dump, --libpcap) give the same frames (link type,
              lengths, ns time, clamped mark, bytes) on every pcapng file libpcap reads: the
              shared corpus's, a generated one-link file, test_time_edges.py's edges.
  malformed   Truncated blocks, bad, zero, tiny and huge lengths, a wrong trailing length,
              an interface id out of range, a captured length past the block, bad options:
              the rows before the bad block, then an error naming the file, the block's byte
              offset and the reason, and the exit status of a cut-short classic pcap.
  filter      A capture filter on such a file is refused with a clear error (exit status 2).
"""
import importlib.machinery
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import gen_pcapng as g  # noqa: E402
import nvgtest  # noqa: E402


def oracle():
    """tests/sensor/oracle (no .py) as a module: its tshark and CSV field readers."""
    loader = importlib.machinery.SourceFileLoader("oracle", os.path.join(HERE, "oracle"))
    spec = importlib.util.spec_from_loader("oracle", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def sensor(path, *extra):
    env = dict(os.environ, TZ="UTC", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    r = subprocess.run([nvgtest.prog("netvigil-sensor"), "-r", path, "--csv", "-", "-n", "t"] +
                       list(extra), capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode >= 0, "sensor killed by signal %d: %s" % (-r.returncode, r.stderr)
    assert not nvgtest.sanitizer_report(r.stderr), r.stderr
    lines = r.stdout.splitlines()
    return r.returncode, lines[1:] if lines else [], r.stderr


def want_proto(protos):
    for name, proto in (("tcp", "TCP"), ("udp", "UDP"), ("icmpv6", "ICMPv6"), ("icmp", "ICMP")):
        if name in protos:
            return proto
    return "?"


def compare_with_tshark(o, path):
    rc, _, err = sensor(path)
    assert rc == 0, "sensor exit %d: %s" % (rc, err)
    _, srows, _ = o.run_sensor(nvgtest.prog("netvigil-sensor"), path)
    trows, terr = o.tshark_rows(shutil.which("tshark"), path)
    assert terr is None, "tshark rejects %s: %s" % (path, terr)
    # tshark lists a custom block as a frame of bare data without a time: not a packet.
    trows = [r for r in trows if r["frame.protocols"] != "data" or r["frame.time_epoch"]]
    assert len(srows) == len(trows), "rows: sensor %d, tshark %d" % (len(srows), len(trows))
    fields = o.FIELDS + ("proto",)
    untimed = 0
    for s, t in zip(srows, trows):
        ours, want = o.sensor_fields(s), o.tshark_expect(t)
        ours["proto"], want["proto"] = s["proto"], want_proto(t["frame.protocols"].split(":"))
        if not t["frame.time_epoch"]:
            # A Simple Packet Block has no time: tshark shows none, the sensor the epoch.
            want["time"] = "0.000000"
            untimed += 1
        bad = [(f, ours[f], want[f]) for f in fields if ours[f] != want[f]]
        assert not bad, "frame %s: %r (sensor, tshark)" % (t["frame.number"], bad)
    links = {r["frame.protocols"].split(":")[0] for r in trows}
    print("%s: %d rows agree with tshark on %s (%d without a time: Simple Packet Blocks); "
          "link layers %s" % (os.path.basename(path), len(srows), ", ".join(fields), untimed,
                              ", ".join(sorted(links))))
    return len(srows), links


def test_multilink(a, work):
    if not shutil.which("tshark"):
        raise nvgtest.Skip("tshark not found")
    o = oracle()
    for name, kw in (("multilink.pcapng", {}), ("late.pcapng", {"late": True})):
        path = work.path(name)
        with open(path, "wb") as fp:
            fp.write(g.multilink(3000, 7, **kw))
        n, links = compare_with_tshark(o, path)
        assert n == 3000 and links == {"eth", "sll", "raw"}, (n, links)
    _, _, err = sensor(work.path("late.pcapng"))
    assert "read on with netvigil's pcapng reader" in err, err


def dump(a, path, libpcap):
    r = subprocess.run([a.dump] + (["--libpcap"] if libpcap else []) + [path],
                       capture_output=True, text=True, timeout=60)
    return r.stdout


def test_agree(a, work):
    import test_time_edges
    files = [os.path.join(a.corpus, f) for f in sorted(os.listdir(a.corpus))
             if f.endswith(".pcapng")] if os.path.isdir(a.corpus) else []
    one = work.path("one-link.pcapng")
    with open(one, "wb") as fp:
        fp.write(g.multilink(3000, 9, one_link=True))
    edges = work.path("edges.pcapng")
    test_time_edges.pcapng(edges)
    for path in files + [one, edges]:
        ours, theirs = dump(a, path, False), dump(a, path, True)
        assert ours == theirs, "%s: our reader and libpcap differ:\n%s\n---\n%s" % (
            path, ours[-2000:], theirs[-2000:])
        print("%s: %d frames, then %s, alike" % (os.path.basename(path),
                                                 ours.count("\n") - 1, ours.split()[-1]))
    assert len(files) >= 1 or not os.path.isdir(a.corpus), files


# ---- malformed files -------------------------------------------------------------------

E = "<"
FIRST = 5  # packets before the bad block


def base_blocks():
    """A section of three link types and 10 packets, as a list of blocks."""
    import random
    rng = random.Random(5)
    links = [g.LT_ETHER, g.LT_SLL, g.LT_RAW]
    blocks = [g.shb(E), g.idb(E, links[0]), g.idb(E, links[1], tsresol=9),
              g.idb(E, links[2])]
    for i in range(10):
        blocks.append(g.epb(E, i % 3, (1700000000 + i) * 10**6, g.frame(rng, links[i % 3])))
    return blocks


def set32(b, at, v):
    return b[:at] + struct.pack(E + "I", v) + b[at + 4:]


def cases(blocks):
    """(name, bytes of the bad block and what follows, reason regex[, offset of the bad block
    in them])."""
    k = 4 + FIRST  # index of the first packet not read
    bad, rest = blocks[k], b"".join(blocks[k + 1:])
    n = len(bad)
    opt = struct.pack(E + "HH", 2, 200) + b"if"  # an option longer than its block
    return [
        ("cut in a block header", bad[:5], r"truncated block header: 5 of 8 bytes"),
        ("cut in a block", bad[:n // 2], r"truncated block: %d of %d bytes" % (n // 2, n)),
        ("length not a multiple of 4", set32(bad, 4, n + 2) + rest, r"not a multiple of 4"),
        ("length below 12", set32(bad, 4, 8) + rest, r"is below the minimum 12"),
        ("zero length", set32(bad, 4, 0) + rest, r"length 0 is below the minimum 12"),
        ("huge length", set32(bad, 4, 0xFFFFFFF0) + rest, r"over the limit of 16777216"),
        ("1 MiB block cut short", set32(bad, 4, 1 << 20) + rest, r"truncated block"),
        ("wrong trailing length", bad[:-4] + struct.pack(E + "I", n + 4) + rest,
         r"trailing block length %d differs from the leading %d" % (n + 4, n)),
        ("interface id out of range", set32(bad, 8, 7) + rest,
         r"packet on interface 7 but the section describes 3"),
        ("captured length past the block", set32(bad, 20, 5000) + rest,
         r"captured length 5000 is more than the block's"),
        ("packet block too short", g.block(E, g.EPB, b"\0" * 8) + rest, r"too short"),
        ("simple packet before any interface", g.shb(E) + g.spb(E, b"x" * 20),
         r"packet on interface 0 but the section describes 0", len(g.shb(E))),
        ("option past its block", g.block(E, g.IDB, struct.pack(E + "HHI", 1, 0, 0) + opt),
         r"option 2 of length 200 runs past the end of the block"),
        ("if_tsresol too fine", g.idb(E, 1, tsresol=25), r"if_tsresol 10\^-25"),
        ("bad byte-order magic", g.block(E, g.SHB, struct.pack(E + "IHHq", 0x11223344, 1, 0, -1)),
         r"bad byte-order magic"),
        ("section version 2", g.block(E, g.SHB, struct.pack(E + "IHHq", 0x1A2B3C4D, 2, 0, -1)),
         r"section version 2.0 is not supported"),
    ]


def cut_pcap_status(work):
    """The exit status of the sensor on a classic pcap cut inside a record (the reference)."""
    path = work.path("cut.pcap")
    pkt = g.frame(__import__("random").Random(1), g.LT_ETHER)
    nvgtest.write_pcap(path, [(1700000000 * 10**6 + i, pkt) for i in range(3)])
    with open(path, "rb") as fp:
        data = fp.read()
    with open(path, "wb") as fp:
        fp.write(data[:-10])
    rc, rows, err = sensor(path)
    assert rc != 0 and len(rows) == 2, (rc, rows, err)
    return rc


def test_malformed(a, work):
    want_rc = cut_pcap_status(work)
    blocks = base_blocks()
    full = work.path("full.pcapng")
    with open(full, "wb") as fp:
        fp.write(b"".join(blocks))
    rc, rows, err = sensor(full)
    assert rc == 0 and len(rows) == 10, (rc, rows, err)
    head = b"".join(blocks[:4 + FIRST])
    for i, (name, tail, reason, *delta) in enumerate(cases(blocks)):
        at = len(head) + (delta[0] if delta else 0)
        path = work.path("bad-%d.pcapng" % i)
        with open(path, "wb") as fp:
            fp.write(head + tail)
        got_rc, got, err = sensor(path)
        where = r"%s: byte %d: " % (re.escape(path), at)
        assert got_rc == want_rc, "%s: exit %d, want %d: %s" % (name, got_rc, want_rc, err)
        assert got == rows[:FIRST], "%s: rows\n%s\nwant\n%s" % (name, got, rows[:FIRST])
        assert re.search(where + ".*" + reason, err), "%s: error %r, want /%s%s/" % (name, err, where,
                                                                            reason)
        line = next(l for l in err.splitlines() if "byte %d:" % at in l)
        print("%-36s %d rows, exit %d: %s" % (name, len(got), got_rc, line.split(": ", 1)[1]))


def test_filter(a, work):
    path = work.path("multilink.pcapng")
    with open(path, "wb") as fp:
        fp.write(g.multilink(100, 3))
    rc, rows, err = sensor(path, "-f", "tcp")
    assert rc == 2 and not rows, (rc, rows, err)
    assert "filter refused" in err and "several link types" in err, err
    print("-f tcp: exit 2, %s" % err.strip().splitlines()[-1])


def add_args(ap):
    ap.add_argument("--dump", required=True, help="the pcapng-dump test tool")
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "..", "shared", "pcaps"))


def run(a, work):
    a.fn(a, work)


if __name__ == "__main__":
    sys.exit(nvgtest.main(run, "nvg-pcapng-", ["netvigil-sensor"], tests=globals(),
                          add_args=add_args))
