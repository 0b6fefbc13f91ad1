"""Free TCP ports on 127.0.0.1."""

import random
import socket

LOOPBACK = "127.0.0.1"
_LOWEST = 20000          # below: well-known and registered services
_handed_out: set[int] = set()


def _outgoing_range() -> tuple[int, int]:
    """The ports the kernel gives outgoing connections (ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on `host` a moment ago.

    There is an unavoidable window between this call and the moment the server binds
    it; servers that can report the port they bound (port 0) should do that instead.
    """
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """`count` distinct free ports, never one this process handed out before.

    They are taken below the kernel's range for outgoing connections: a port from that
    range (what binding port 0 gives) can be taken by any client socket opened before the
    server binds it (Prosody's, the bridge's), which made a test fail with "address in
    use". All sockets are held open until every port is chosen."""
    lo, _ = _outgoing_range()
    if lo - _LOWEST < 1000:  # an unusual range: let the kernel choose
        return _kernel_ports(count, host)
    rng = random.SystemRandom()
    socks, ports = [], []
    try:
        for _ in range(count * 200):
            if len(ports) == count:
                break
            port = rng.randrange(_LOWEST, lo)
            if port in _handed_out or port in ports:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((host, port))
            except OSError:
                s.close()
                continue
            socks.append(s)
            ports.append(port)
    finally:
        for s in socks:
            s.close()
    if len(ports) < count:
        raise OSError(f"no {count} free TCP ports on {host} between {_LOWEST} and {lo - 1}")
    _handed_out.update(ports)
    return ports


def _kernel_ports(count: int, host: str) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
