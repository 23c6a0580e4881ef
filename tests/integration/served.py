"""A running `conflux serve` with IMAP, IMAPS, POP3, POP3S and LMTP on free
127.0.0.1 ports, over a data dir with users alice and bob (password
"secret-pw").

    def test_x(served):
        imaplib.IMAP4("127.0.0.1", served.imap_port)

The daemon's stderr goes to a file (served.log()). Ports are picked free
just before start; the daemon logs each listener it bound, and start-up
waits for those lines. served.ca_file is the server's own self-signed
certificate (valid for localhost and 127.0.0.1), for clients that verify."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, init_data, set_config  # noqa: F401
from peers import free_port  # noqa: F401

PASSWORD = "secret-pw"
SECTIONS = ("imap", "pop3", "lmtp")


class Served:
    def __init__(self, cfx, base, extra_config=()):
        self.cfx = cfx
        self.base = Path(base)
        self.ca_file = str(cfx.data / "tls" / "cert.pem")
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        self.lmtp_port = free_port()
        conf = cfx.conf
        for key, port in (("imap", self.imap_port), ("pop3", self.pop3_port),
                          ("lmtp", self.lmtp_port)):
            set_config(conf, key, "listen", f"127.0.0.1:{port}")
        set_config(conf, "imap", "tls_listen", f"127.0.0.1:{self.imaps_port}")
        set_config(conf, "pop3", "tls_listen", f"127.0.0.1:{self.pop3s_port}")
        for section, key, value in extra_config:
            set_config(conf, section, key, value)
        self.log_path = self.base / "serve.log"
        self.proc = None

    def start(self, timeout=20):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "-c", str(self.cfx.conf), "serve"],
                                     stdout=self._log, stderr=self._log,
                                     env=self.cfx.env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready (pid" in self.log():
                return self
            if self.proc.poll() is not None:
                raise AssertionError("conflux serve exited "
                                     f"{self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"conflux serve did not start:\n{self.log()}")

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10):
        """Waits until the log matches the regex; returns the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the log:\n{self.log()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        rc, self.proc = self.proc.returncode, None
        return rc

    def restart(self):
        self.stop()
        return self.start()


def start_served(base, users=("alice", "bob"), extra_config=()):
    cfx = init_data(base)
    for user in users:
        cfx.add_user(user, PASSWORD)
    return Served(cfx, base, extra_config).start()


@pytest.fixture
def served(base_dir):
    s = start_served(base_dir)
    yield s
    rc = s.stop()
    # The daemon must survive everything a test threw at it, and stop
    # cleanly on SIGTERM.
    assert rc == 0, f"conflux serve exited {rc}:\n{s.log()}"
