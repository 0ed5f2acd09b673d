"""Helpers shared by the multi-process Python tests (pipeline, control, viewer)."""
import random
import socket

# Below Linux's ephemeral range (32768-60999 by default), so that a port a test hands to its
# collector is never also picked by the kernel as the source port of some client connection
# in between (which would make a collector restarted on the same ports fail to bind), and
# above the fixed port ranges the e2e (18100-18649) and control (19000-19899) tests use.
PORT_LOW, PORT_HIGH = 21000, 32000


def free_ports(n):
    """n distinct TCP ports that were free on 127.0.0.1 a moment ago (all held at once while
    choosing, so they cannot repeat)."""
    rng = random.SystemRandom()
    socks, ports = [], []
    try:
        while len(ports) < n:
            port = rng.randrange(PORT_LOW, PORT_HIGH)
            if port in ports:
                continue
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            socks.append(s)
            ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports
