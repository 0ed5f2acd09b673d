"""Helpers shared by the multi-process Python tests (pipeline, control, viewer)."""
import socket


def free_ports(n):
    """n distinct TCP ports that were free on 127.0.0.1 a moment ago (all bound at once, so
    they cannot repeat)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports
