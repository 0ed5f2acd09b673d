#!/usr/bin/env python3
"""Writes pcapng files whose interfaces have several link types (the files libpcap 1.10 refuses
and sensor/pcapng-reader.c reads), for test_pcapng_multilink.py and the fuzz seeds.

    gen_pcapng.py OUT [--count N] [--seed S] [--one-link] [--late]
    gen_pcapng.py --fuzz-seeds tests/fuzz/corpus/fuzz-pcapng

The file has two sections:
  1. little-endian: IDB 0 Ethernet (microseconds), IDB 1 Linux SLL (113, if_tsresol 10^-9),
     IDB 2 raw IP (101, if_tsresol 10^-9, if_tsoffset); Enhanced Packet Blocks interleaved
     over the three, with a name resolution, an interface statistics and a custom block
     between them (to be skipped);
  2. big-endian: IDB 0 raw IP (if_tsresol 2^-20), IDB 1 Ethernet (nanoseconds, snap length
     128); Enhanced, Simple (no time stamp) and obsolete Packet Blocks interleaved.
Packets are IPv4 and IPv6 with TCP, UDP and ICMP, random addresses and ports (seeded).
"""

import argparse
import random
import struct

SHB, IDB, PB, SPB, NRB, ISB, EPB, CUSTOM = 0x0A0D0D0A, 1, 2, 3, 4, 5, 6, 0xBAD
LT_ETHER, LT_RAW, LT_SLL = 1, 101, 113


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(e, btype, body):
    """One block in byte order e ('<' or '>'): type, total length, body (padded), length."""
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def option(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + pad4(value)


def end_of_options(e):
    return struct.pack(e + "HH", 0, 0)


def shb(e):
    return block(e, SHB, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) +
                 option(e, 4, b"gen_pcapng.py") + end_of_options(e))


def idb(e, linktype, snaplen=0, tsresol=None, tsoffset=None):
    opts = b""
    if tsresol is not None:
        opts += option(e, 9, bytes([tsresol]))
    if tsoffset is not None:
        opts += option(e, 14, struct.pack(e + "q", tsoffset))
    if opts:
        opts += end_of_options(e)
    return block(e, IDB, struct.pack(e + "HHI", linktype, 0, snaplen) + opts)


def epb(e, iface, ts, data, wirelen=None, caplen=None):
    caplen = len(data) if caplen is None else caplen
    wirelen = len(data) if wirelen is None else wirelen
    return block(e, EPB, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, caplen,
                                     wirelen) + pad4(data))


def pb(e, iface, ts, data):
    """The obsolete Packet Block: 16-bit interface id and drops count."""
    return block(e, PB, struct.pack(e + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF,
                                    len(data), len(data)) + pad4(data))


def spb(e, data, wirelen=None):
    return block(e, SPB, struct.pack(e + "I", len(data) if wirelen is None else wirelen) +
                 pad4(data))


def skipped_blocks(e):
    nrb = block(e, NRB, struct.pack(e + "HH", 1, 8) + bytes([10, 0, 0, 1]) + b"h1\0\0" +
                struct.pack(e + "HH", 0, 0))
    isb = block(e, ISB, struct.pack(e + "III", 0, 0, 0) + end_of_options(e))
    custom = block(e, CUSTOM, struct.pack(e + "I", 32473) + b"whatever")
    return nrb + isb + custom


# ---- packets --------------------------------------------------------------------------

def csum(b):
    b = pad4(b) if len(b) % 2 else b
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def transport(rng, proto):
    if proto == 6:
        flags = rng.choice([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14])
        return struct.pack("!HHIIBBHHH", rng.randrange(1, 65536), rng.randrange(1, 65536),
                           rng.getrandbits(32), rng.getrandbits(32), 5 << 4, flags, 65535, 0,
                           0) + b"x" * rng.randrange(0, 40)
    if proto == 17:
        payload = b"u" * rng.randrange(0, 40)
        return struct.pack("!HHHH", rng.randrange(1, 65536), rng.randrange(1, 65536),
                           8 + len(payload), 0) + payload
    return struct.pack("!BBHHH", 8, 0, 0, 1, rng.randrange(65536)) + b"ping"  # echo request


def ip_packet(rng):
    """(ethertype, bytes) of a random IPv4 or IPv6 packet."""
    proto = rng.choice([6, 17, 1])
    if rng.random() < 0.7:
        l4 = transport(rng, proto)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), rng.randrange(65536), 0,
                          rng.randrange(1, 256), proto, 0, rng.getrandbits(32).to_bytes(4, "big"),
                          rng.getrandbits(32).to_bytes(4, "big"))
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return 0x0800, hdr + l4
    proto = 58 if proto == 1 else proto
    l4 = transport(rng, proto) if proto != 58 else struct.pack("!BBHHH", 128, 0, 0, 1, 1)
    src = b"\x20\x01\x0d\xb8" + rng.getrandbits(96).to_bytes(12, "big")
    dst = b"\x20\x01\x0d\xb8" + rng.getrandbits(96).to_bytes(12, "big")
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, rng.randrange(1, 256), src, dst)
    return 0x86DD, hdr + l4


def frame(rng, linktype):
    etype, pkt = ip_packet(rng)
    if linktype == LT_ETHER:
        return rng.randbytes(6) + rng.randbytes(6) + struct.pack("!H", etype) + pkt
    if linktype == LT_SLL:
        # packet type, ARPHRD_ETHER, address length, address (8), protocol
        return struct.pack("!HHH8sH", rng.choice([0, 4]), 1, 6, rng.randbytes(6) + b"\0\0",
                           etype) + pkt
    return pkt  # raw IP


def multilink(count, seed, one_link=False, late=False):
    """one_link: every interface Ethernet, one snap length and both sections little-endian
    (libpcap 1.10 refuses a change of any of them), a file libpcap reads too, to compare the
    readers.
    late: section 1 starts with its Ethernet interface alone and describes the other two only
    after a tenth of its packets (libpcap reads up to there, then refuses)."""
    rng = random.Random(seed)
    links = [LT_ETHER] * 3 if one_link else [LT_ETHER, LT_SLL, LT_RAW]
    idbs = [idb("<", links[0]), idb("<", links[1], tsresol=9),
            idb("<", links[2], tsresol=9, tsoffset=-3600)]
    out = [shb("<")] + (idbs[:1] if late else idbs)
    t_us = 1700000000 * 10**6
    first = count // 2
    for i in range(first):
        if late and i == first // 10:
            out += idbs[1:]
        iface = rng.randrange(3) if not late or i >= first // 10 else 0
        t_us += rng.randrange(1, 5000)
        ts = t_us if iface == 0 else t_us * 1000 + rng.randrange(1000)
        if iface == 2:
            ts += 3600 * 10**9  # if_tsoffset takes the hour back
        out.append(epb("<", iface, ts, frame(rng, links[iface])))
        if i == first // 2:
            out.append(skipped_blocks("<"))
    links = [LT_ETHER] * 2 if one_link else [LT_RAW, LT_ETHER]
    e = "<" if one_link else ">"
    out += [shb(e), idb(e, links[0], tsresol=0x80 | 20), idb(e, links[1], 0 if one_link else 128, tsresol=9)]
    for i in range(count - first):
        iface = rng.randrange(2)
        t_us += rng.randrange(1, 5000)
        if iface == 0:
            ts = (t_us // 10**6 << 20) + (t_us % 10**6 << 20) // 10**6
        else:
            ts = t_us * 1000 + rng.randrange(1000)
        data = frame(rng, links[iface])
        if iface == 1 and len(data) > 128:
            out.append(epb(e, iface, ts, data[:128], wirelen=len(data)))
        elif i % 3 == 0:
            out.append(pb(e, iface, ts, data))
        elif i % 7 == 1 and iface == 0:
            out.append(spb(e, data))  # the first interface's, and without a time
        else:
            out.append(epb(e, iface, ts, data))
    return b"".join(out)


def fuzz_seeds(d):
    """Small files for tests/fuzz/corpus/fuzz-pcapng: the three kinds above, a Simple Packet
    Block file, and a few broken ones (cut short, bad trailing length, unknown interface)."""
    import os
    rng = random.Random(4)
    small = multilink(12, 2)
    seeds = {
        "multilink": small,
        "late": multilink(12, 3, late=True),
        "one-link": multilink(8, 4, one_link=True),
        "spb": shb(">") + idb(">", LT_ETHER, 64) + spb(">", frame(rng, LT_ETHER)[:64], 90) +
        idb(">", LT_SLL, tsresol=0x80 | 30) + epb(">", 1, 2**40, frame(rng, LT_SLL)),
        "cut": small[:len(small) * 2 // 3],
        "bad-trailer": small[:-4] + b"\x10\0\0\0",
        "bad-iface": shb("<") + idb("<", LT_RAW) + epb("<", 3, 1, frame(rng, LT_RAW)),
    }
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as fp:
            fp.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fuzz-seeds", metavar="DIR", help="write the fuzz seeds to DIR instead")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one-link", action="store_true", help="every interface Ethernet")
    ap.add_argument("--late", action="store_true",
                    help="the second link type described only after some packets")
    a = ap.parse_args()
    if a.fuzz_seeds:
        fuzz_seeds(a.fuzz_seeds)
        return
    if not a.out:
        ap.error("OUT is needed")
    with open(a.out, "wb") as fp:
        fp.write(multilink(a.count, a.seed, a.one_link, a.late))


if __name__ == "__main__":
    main()
