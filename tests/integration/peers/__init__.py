"""Real and fake mail peers for conflux's integration tests.

    peers.tlsca      throwaway CA + server / wrong-name / self-signed certs
    peers.dovecot    a throwaway Dovecot (IMAP, IMAPS, POP3, POP3S, LMTP)
    peers.faultproxy a TCP proxy that counts, drops, delays or refuses
    peers.badserver  scripted misbehaving IMAP/POP3 servers
    peers.corpus     a deterministic generator of realistic messages
    peers.fixtures   pytest fixtures over all of these (import into conftest)

Everything listens on 127.0.0.1 only, every wait is bounded and every
object has a close()/stop() that ends its processes and threads."""
import os
import random
import socket
import tempfile
import time

LOOPBACK = "127.0.0.1"


# check.sh runs the normal and the ASan suites at the same time: each takes
# its ports from its own range (CONFLUX_PORT_RANGE "first-last", below the
# kernel's ephemeral ports), and never hands out one port twice, so two
# servers can never race for a port between its choice and its bind.
_given = set()


def _port_range():
    spec = os.environ.get("CONFLUX_PORT_RANGE", "")
    try:
        first, last = (int(x) for x in spec.split("-"))
        return first, last
    except ValueError:
        return None


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    rng = _port_range()
    for _ in range(1000):
        if rng is None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((LOOPBACK, 0))
                port = s.getsockname()[1]
        else:
            port = random.randint(*rng)
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((LOOPBACK, port))
            except OSError:
                continue
        if port not in _given:
            _given.add(port)
            return port
    raise RuntimeError("no free port")


def make_base_dir(prefix="conflux-peer-"):
    """A fresh directory under /tmp, mode 0711 (unprivileged daemons such as
    Dovecot's auth and mail processes must traverse it)."""
    base = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(base, 0o711)
    return base


def wait_port(port, host=LOOPBACK, timeout=5.0, proc=None):
    """Wait until host:port accepts a connection; False on timeout or when
    `proc` (a Popen) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.01)
    return False
