"""Real POP3 clients against conflux's POP3 server: fetchmail downloads a
mailbox (each message handed to an MDA that writes a file), curl fetches
single messages over pop3:// and pop3s://; the bytes must match what was
delivered (line ends as CRLF, which POP3 always sends)."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import make_message
from served import PASSWORD


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def messages():
    return [make_message(subject="plain", msgid="f1@x"),
            make_message(subject="dots", msgid="f2@x",
                         body=".leading dot\r\n..two\r\n.\r\nend\r\n"),
            make_message(subject="big", msgid="f3@x", size=300_000),
            "Subject: bare lf\nMessage-ID: <f4@x>\n\nline\n.dot\n"
            .encode()]


@pytest.mark.skipif(shutil.which("fetchmail") is None,
                    reason="fetchmail not installed")
@pytest.mark.parametrize("tls", ["none", "stls", "pop3s"])
def test_fetchmail_downloads_everything(served, base_dir, tls):
    msgs = messages()
    for m in msgs:
        assert served.cfx.deliver("alice", m).returncode == 0
    out = base_dir / "fetched"
    out.mkdir()
    rc = base_dir / "fetchmailrc"
    port = served.pop3s_port if tls == "pop3s" else served.pop3_port
    opts = {"none": "sslproto ''",
            "stls": f"sslproto tls1.2+ sslcertck sslcertfile "
                    f"{served.ca_file}",
            "pop3s": f"ssl sslcertck sslcertfile {served.ca_file}"}[tls]
    # The MDA writes each message into its own numbered file.
    mda = f"/bin/sh -c 'cat > {out}/$$.eml'"
    rc.write_text(
        f"poll localhost protocol pop3 port {port} uidl\n"
        f"  user alice password {PASSWORD} is root here\n"
        f"  {opts} fetchall keep\n"
        f"  mda \"{mda}\"\n")
    rc.chmod(0o600)
    home = base_dir / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), FETCHMAILHOME=str(home))
    proc = subprocess.run(
        ["fetchmail", "-N", "-f", str(rc), "--pidfile",
         str(base_dir / "fm.pid"), "--idfile", str(base_dir / "fm.ids"),
         "-v"], capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    got = sorted(p.read_bytes() for p in out.iterdir())
    assert len(got) == len(msgs), proc.stdout.decode()
    # fetchmail puts its own Received: lines on top and writes LF line
    # ends; below them every message must be there byte for byte.
    for w in (m.replace(b"\r\n", b"\n") for m in msgs):
        matches = [g for g in got if g.endswith(w)]
        assert len(matches) == 1, w[:60]
        head = matches[0][:len(matches[0]) - len(w)]
        assert head == b"" or head.startswith(b"Received: "), head
    # keep: nothing deleted on the server
    assert len(served.cfx.messages("alice")) == len(msgs)


@pytest.mark.skipif(shutil.which("curl") is None,
                    reason="curl not installed")
@pytest.mark.parametrize("scheme", ["pop3", "pop3s"])
def test_curl_fetches_byte_for_byte(served, base_dir, scheme):
    msgs = messages()
    for m in msgs:
        assert served.cfx.deliver("alice", m).returncode == 0
    port = served.pop3s_port if scheme == "pop3s" else served.pop3_port
    for i, m in enumerate(msgs, 1):
        out = base_dir / f"curl-{i}.eml"
        proc = subprocess.run(
            ["curl", "-sS", "--fail", "--cacert", served.ca_file,
             "--user", f"alice:{PASSWORD}", "-o", str(out),
             f"{scheme}://localhost:{port}/{i}"],
            capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr.decode()
        want = crlf(m)
        if not want.endswith(b"\r\n"):
            want += b"\r\n"
        assert out.read_bytes() == want
    # A listing too.
    proc = subprocess.run(
        ["curl", "-sS", "--fail", "--cacert", served.ca_file, "--user",
         f"alice:{PASSWORD}", f"{scheme}://localhost:{port}/"],
        capture_output=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.decode().split("\r\n")[:4] == [
        f"{i} {served.cfx.messages('alice')[i - 1][1]}" for i in (1, 2, 3, 4)]
