"""Capture files of TCP and UDP conversations for the flow tests (issue 12), written directly
as pcap: no scapy, no root. The TCP conversations are deliberately chaotic: random
retransmissions (timer, fast, spurious), reordering, duplicate ACKs, zero windows and probes,
segments that fill the advertised window, keep-alives, SYN retransmissions, missing
handshakes, port reuse, and gaps of every size around Wireshark's 3 ms / RTT / 20 ms
thresholds. The flow oracle needs agreement with tshark, not realism."""
import random
import struct

ETH_SRC = b"\x02\x00\x00\x00\x00\x01"
ETH_DST = b"\x02\x00\x00\x00\x00\x02"
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def ip_frame(src, dst, proto, l4):
    if len(src) == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return ETH_DST + ETH_SRC + b"\x08\x00" + ip + l4
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(l4), proto, 64, src, dst)
    return ETH_DST + ETH_SRC + b"\x86\xdd" + ip + l4


def tcp_frame(src, dst, sp, dp, seq, ack, flags, win, payload=b"", opts=b""):
    while len(opts) % 4:
        opts += b"\x01"
    hl = 20 + len(opts)
    t = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hl // 4) << 4,
                    flags, win & 0xFFFF, 0, 0) + opts + payload
    return ip_frame(src, dst, 6, t)


def udp_frame(src, dst, sp, dp, payload):
    return ip_frame(src, dst, 17, struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload)


def write_pcap(path, pkts):
    """pkts: (time in ns, frame bytes), written in time order (stable)."""
    pkts = sorted(pkts, key=lambda p: p[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))  # ns resolution
        for ts, data in pkts:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(data), len(data)))
            f.write(data)
    return len(pkts)


GAPS_NS = [50_000, 500_000, 2_000_000, 2_900_000, 3_100_000, 10_000_000, 19_000_000,
           21_000_000, 40_000_000, 300_000_000]


class Tcp:
    """One conversation, client c and server s; emit() appends (ts, frame)."""

    def __init__(self, rng, out, t0, c, s, cport, sport):
        self.rng, self.out, self.t = rng, out, t0
        self.ep = {0: (c, cport), 1: (s, sport)}
        self.nxt = [rng.getrandbits(32), rng.getrandbits(32)]
        self.acked = [0, 0]  # what each side acknowledges of the other
        self.win = [rng.choice([0, 512, 8192, 65535]) or 1024, rng.choice([1024, 29200, 65535])]
        self.ws = [rng.choice([None, 0, 3, 7]), rng.choice([None, 2, 7])]
        self.sent = [[], []]  # (seq, payload, flags) for retransmissions
        self.pending = None   # a frame held back for reordering

    def gap(self):
        self.t += self.rng.choice(GAPS_NS) + self.rng.randrange(1000)

    def emit(self, d, seq, flags, payload=b"", win=None, opts=b"", ack=None):
        (a, ap), (b, bp) = self.ep[d], self.ep[1 - d]
        if ack is None:
            ack = self.acked[d]
        frame = tcp_frame(a, b, ap, bp, seq, ack, flags, self.win[d] if win is None else win,
                          payload, opts)
        self.gap()
        if self.pending is not None:
            self.out.append((self.t, frame))
            self.gap()
            self.out.append((self.t, self.pending))
            self.pending = None
        elif self.rng.random() < 0.04:
            self.pending = frame
        else:
            self.out.append((self.t, frame))

    def flush(self):
        if self.pending is not None:
            self.gap()
            self.out.append((self.t, self.pending))
            self.pending = None

    def wsopt(self, d):
        return b"" if self.ws[d] is None else bytes([3, 3, self.ws[d]])

    def handshake(self, full=True):
        r = self.rng
        if full:
            self.emit(0, self.nxt[0], SYN, opts=self.wsopt(0) + b"\x04\x02")
            if r.random() < 0.15:
                self.t += 1_000_000_000
                self.emit(0, self.nxt[0], SYN, opts=self.wsopt(0))
        self.nxt[0] += 1
        self.acked[1] = self.nxt[0]
        if full:
            self.emit(1, self.nxt[1], SYN | ACK, opts=self.wsopt(1) if self.ws[0] is not None else b"")
        self.nxt[1] += 1
        self.acked[0] = self.nxt[1]
        if full or r.random() < 0.5:
            self.emit(0, self.nxt[0], ACK)

    def data(self, d, n):
        seq = self.nxt[d]
        payload = bytes(n)
        self.sent[d].append((seq, payload))
        self.nxt[d] += n
        self.emit(d, seq, ACK | PSH, payload)

    def step(self):
        r = self.rng
        d = 1 if r.random() < 0.75 else 0
        x = r.random()
        if x < 0.40:
            self.data(d, r.choice([1460, 1460, 1000, 1, 2, 100]))
        elif x < 0.55:
            self.acked[1 - d] = self.nxt[d] if r.random() < 0.7 else self.acked[1 - d]
            self.emit(1 - d, self.nxt[1 - d], ACK)
        elif x < 0.65:  # the same ACK again: duplicate ACKs
            for _ in range(r.choice([1, 2, 3, 4])):
                self.emit(1 - d, self.nxt[1 - d], ACK)
        elif x < 0.75 and self.sent[d]:  # retransmit something old (or the last one)
            seq, payload = r.choice(self.sent[d][-6:])
            self.emit(d, seq, ACK | PSH, payload)
        elif x < 0.80:  # zero window, a probe, window opens
            self.emit(1 - d, self.nxt[1 - d], ACK, win=0)
            self.emit(1 - d, self.nxt[1 - d], ACK, win=0)
            if r.random() < 0.5:
                self.emit(d, self.nxt[d], ACK, bytes(1))
            self.emit(1 - d, self.nxt[1 - d], ACK)
        elif x < 0.86:  # fill the window exactly
            shift = self.ws[1 - d] if (self.ws[0] is not None and self.ws[1] is not None) else 0
            edge = self.acked[1 - d] + (self.win[1 - d] << (shift or 0)) - self.nxt[d]
            if 0 < edge <= 4000:
                self.data(d, edge)
            else:
                self.data(d, 700)
        elif x < 0.90:  # keep-alive
            self.emit(d, self.nxt[d] - 1, ACK, bytes(r.choice([0, 1])))
        elif x < 0.95:
            self.win[1 - d] = r.choice([512, 1024, 4096, 65535])
            self.emit(1 - d, self.nxt[1 - d], ACK)
        else:  # a new ACK value with data from the other side
            self.acked[d] = self.nxt[1 - d]
            self.data(d, 300)

    def close(self):
        r = self.rng
        if r.random() < 0.2:
            self.emit(r.choice([0, 1]), self.nxt[0], RST | ACK)
        else:
            self.acked[1] = self.nxt[0] + 1
            self.emit(0, self.nxt[0], FIN | ACK)
            self.nxt[0] += 1
            self.acked[0] = self.nxt[1] + 1
            self.emit(1, self.nxt[1], FIN | ACK)
            self.nxt[1] += 1
            self.emit(0, self.nxt[0], ACK)
        self.flush()


def chaotic(path, seed, conversations=40, steps=120, v6=False):
    rng = random.Random(seed)
    out = []
    t0 = 1_700_000_000 * 10**9
    for i in range(conversations):
        if v6 and i % 3 == 0:
            c = bytes([0x20, 1, 0xD, 0xB8] + [0] * 11 + [i % 250 + 1])
            s = bytes([0x20, 1, 0xD, 0xB8] + [0] * 11 + [254])
        else:
            c, s = bytes([10, 1, i // 250, i % 250 + 1]), bytes([10, 2, 0, 1])
        cport = 20000 + i
        start = t0 + rng.randrange(0, 5 * 10**9)
        conv = Tcp(rng, out, start, c, s, cport, 80)
        conv.handshake(full=rng.random() > 0.1)
        for _ in range(rng.randrange(steps // 4, steps)):
            conv.step()
        conv.close()
        if rng.random() < 0.15:  # port reuse: a new connection on the same ports
            again = Tcp(rng, out, conv.t + 2 * 10**9, c, s, cport, 80)
            again.handshake()
            for _ in range(10):
                again.step()
            again.close()
        if rng.random() < 0.3:
            ut = start
            for k in range(rng.randrange(1, 6)):
                ut += rng.randrange(1, 10**9)
                out.append((ut, udp_frame(c, s, 5000 + i, 53, bytes(rng.randrange(1, 200)))))
                out.append((ut + 1000, udp_frame(s, c, 53, 5000 + i, bytes(rng.randrange(1, 400)))))
    return write_pcap(path, out)


def syn_flood(path, seed, syns=20000):
    """A random-source SYN flood with one real conversation in the middle of it."""
    rng = random.Random(seed)
    out = []
    t = 1_700_000_000 * 10**9
    real_at = syns // 2
    for i in range(syns):
        t += 20_000
        src = bytes([rng.randrange(1, 224), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
        out.append((t, tcp_frame(src, bytes([10, 9, 9, 9]), rng.randrange(1024, 65535), 80,
                                 rng.getrandbits(32), 0, SYN, 1024)))
        if i == real_at:
            conv = Tcp(rng, out, t, bytes([10, 0, 0, 1]), bytes([10, 9, 9, 9]), 33333, 80)
            conv.rng = random.Random(1)  # the real one is a clean transfer
            conv.handshake()
    # the real conversation goes on (and ends) through the second half of the flood
    conv.t = t - (syns - real_at) * 20_000 + 5_000_000
    for _ in range(50):
        conv.data(1, 1000)
        conv.acked[0] = conv.nxt[1]
        conv.emit(0, conv.nxt[0], ACK)
    conv.acked[1] = conv.nxt[0] + 1
    conv.emit(0, conv.nxt[0], FIN | ACK)
    conv.nxt[0] += 1
    conv.acked[0] = conv.nxt[1] + 1
    conv.emit(1, conv.nxt[1], FIN | ACK)
    conv.nxt[1] += 1
    conv.emit(0, conv.nxt[0], ACK)
    conv.flush()
    # the flood goes on past the closed conversation's linger: it must end as fin, not stopped
    for i in range(2000):
        t = conv.t + 6 * 10**9 + i * 20_000
        src = bytes([rng.randrange(1, 224), rng.randrange(256), rng.randrange(256), 7])
        out.append((t, tcp_frame(src, bytes([10, 9, 9, 9]), rng.randrange(1024, 65535), 80,
                                 rng.getrandbits(32), 0, SYN, 1024)))
    return write_pcap(path, out)
