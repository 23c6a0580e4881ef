"""Shared fixtures: the conflux binary under test and throwaway data dirs.

Every command runs the real binary (CONFLUX_BIN, set by scripts/check.sh;
default build/src/cli/conflux). When the tests run as root, conflux
switches to the unprivileged `conflux` user, so every directory it uses must
be traversable by that user: the base directory is made 0711, as the notes
on real peers advise."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CONFLUX_BIN", str(ROOT / "build" / "src" / "cli" / "conflux"))
IS_ROOT = os.geteuid() == 0


class Conflux:
    """One initialised data directory and a way to run commands on it."""

    def __init__(self, data):
        self.data = Path(data)
        self.conf = self.data / "conflux.conf"

    def env(self, extra=None):
        env = dict(os.environ)
        env.pop("CONFLUX_CONFIG", None)
        env.update(extra or {})
        return env

    def run(self, *args, input=None, check=True, env=None, timeout=120):
        cmd = [BIN, "-c", str(self.conf), *map(str, args)]
        if isinstance(input, str):
            input = input.encode()
        proc = subprocess.run(cmd, input=input, capture_output=True,
                              env=self.env(env), timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {proc.returncode}: "
                f"{proc.stderr.decode(errors='replace')}")
        return proc

    def add_user(self, name, password="secret-pw"):
        return self.run("user", "add", name, input=password + "\n")

    def deliver(self, user, message, *args, check=False, env=None):
        return self.run("deliver", user, *args, input=message, check=check,
                        env=env)

    def messages(self, user, folder="INBOX"):
        """[(uid, size, flags, message_id, path)] from `store list`."""
        out = self.run("store", "list", user, folder).stdout.decode()
        rows = []
        for line in out.splitlines():
            uid, size, flags, msgid, path = line.split("\t")
            rows.append((int(uid), int(size), flags, msgid, path))
        return rows

    def check(self, repair=False, user=None):
        args = ["store", "check"] + (["--repair"] if repair else [])
        args += [user] if user else []
        return self.run(*args, check=False)

    def maildir(self, user):
        return self.data / "mail" / user


def skip_peer_control_under_asan():
    """Runs against Dovecot alone check a test's expectations, not conflux
    code: they run once, on the normal build (check.sh labels the runs)."""
    if os.environ.get("CONFLUX_BUILD_LABEL") == "asan":
        pytest.skip("Dovecot control: runs on the normal build only")


def make_base_dir():
    base = tempfile.mkdtemp(prefix="conflux-test-", dir="/tmp")
    os.chmod(base, 0o711)
    return base


@pytest.fixture
def base_dir():
    base = make_base_dir()
    yield Path(base)
    shutil.rmtree(base, ignore_errors=True)


def set_config(conf, section, key, value):
    """Sets key = value in [section] of an INI file written by init."""
    lines = Path(conf).read_text().splitlines()
    out, current, done = [], None, False
    for line in lines:
        m = re.match(r"\s*\[(\w+)\]", line)
        if m:
            if current == section and not done:
                out.append(f"{key} = {value}")
                done = True
            current = m.group(1)
        elif current == section and re.match(rf"\s*{key}\s*=", line):
            if not done:
                out.append(f"{key} = {value}")
                done = True
            continue
        out.append(line)
    if not done:
        if current != section:
            out.append(f"[{section}]")
        out.append(f"{key} = {value}")
    Path(conf).write_text("\n".join(out) + "\n")


LISTENERS = (("imap", "listen"), ("imap", "tls_listen"), ("pop3", "listen"),
             ("pop3", "tls_listen"), ("lmtp", "listen"))


def init_data(base, name="data"):
    """`conflux init`, with every listener on a free port (127.0.0.1:0):
    a test's daemon never takes the documented ports 1143... from another
    test or from a conflux running on the machine."""
    data = Path(base) / name
    proc = subprocess.run([BIN, "init", "--data", str(data)],
                          capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    for section, key in LISTENERS:
        set_config(data / "conflux.conf", section, key, "127.0.0.1:0")
    return Conflux(data)


@pytest.fixture
def cfx(base_dir):
    """An initialised data dir with users alice and bob."""
    c = init_data(base_dir)
    c.add_user("alice")
    c.add_user("bob")
    return c


def make_message(subject="hello", body="Hello there.\r\n", msgid=None,
                 size=0, eol="\r\n", extra_headers=()):
    """A small RFC 5322 message, padded to about `size` bytes."""
    lines = ["From: Sender <sender@example.org>",
             "To: alice@example.org",
             f"Subject: {subject}",
             "Date: Sun, 29 Nov 2026 07:00:00 +0000"]
    if msgid:
        lines.append(f"Message-ID: <{msgid}>")
    lines += list(extra_headers)
    text = eol.join(lines) + eol + eol + body.replace("\r\n", eol)
    data = text.encode()
    if len(data) < size:
        filler = (("x" * 76) + eol).encode()
        data += filler * ((size - len(data)) // len(filler) + 1)
    return data


# The `served` fixture (a running daemon with every listener) lives in
# served.py; imported here so every test module can use it.
from served import served  # noqa: E402,F401
