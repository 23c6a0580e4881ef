"""The POP3 server (RFC 1939, 2449, 5034, 2595) against a running
`conflux serve`, driven by Python's poplib and by raw sockets where the
exact bytes matter."""
import base64
import hashlib
import poplib
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import make_message
from served import PASSWORD, start_served


class Raw:
    """A line-level POP3 client that shows every byte."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else
                          data.encode() + b"\r\n")

    def line(self):
        return self.f.readline().decode(errors="replace").rstrip("\r\n")

    def cmd(self, text):
        self.send(text)
        return self.line()

    def multi(self):
        lines = []
        while True:
            ln = self.f.readline()
            if ln in (b".\r\n", b""):
                return lines
            lines.append(ln)

    def login(self, user="alice"):
        assert self.cmd(f"USER {user}").startswith("+OK")
        assert self.cmd(f"PASS {PASSWORD}").startswith("+OK")

    def close(self):
        self.f.close()
        self.sock.close()


def pop(served, user="alice"):
    p = poplib.POP3("127.0.0.1", served.pop3_port, timeout=10)
    p.user(user)
    p.pass_(PASSWORD)
    return p


def deliver(served, user, data):
    proc = served.cfx.deliver(user, data)
    assert proc.returncode == 0, proc.stderr


def test_greeting_capa_and_login(served):
    r = Raw(served.pop3_port)
    assert re.match(r"\+OK .*<\d+\.\d+@[^>]+>$", r.greeting), r.greeting
    assert r.cmd("CAPA").startswith("+OK")
    capa = [ln.decode().strip() for ln in r.multi()]
    for c in ("TOP", "UIDL", "USER", "SASL PLAIN", "RESP-CODES",
              "AUTH-RESP-CODE", "PIPELINING", "STLS"):
        assert c in capa, capa
    assert any(c.startswith("IMPLEMENTATION") for c in capa)
    r.login()
    assert r.cmd("CAPA").startswith("+OK")
    capa = [ln.decode().strip() for ln in r.multi()]
    assert "USER" not in capa and "STLS" not in capa
    assert r.cmd("QUIT").startswith("+OK")
    log = served.wait_log(r"pop3: logout user=alice")
    assert log
    assert re.search(r"pop3: login user=alice method=USER", served.log())


def test_transaction_commands(served):
    for i in range(3):
        deliver(served, "alice", make_message(subject=f"m{i}",
                                              msgid=f"m{i}@x"))
    p = pop(served)
    count, size = p.stat()
    assert count == 3
    resp, listing, _ = p.list()
    sizes = [int(ln.split()[1]) for ln in listing]
    assert sum(sizes) == size
    assert p.list(2).split()[1:] == [b"2", str(sizes[1]).encode()]
    resp, lines, octets = p.retr(1)
    assert b"Subject: m0" in lines
    assert octets >= sizes[0]
    resp, lines, _ = p.top(2, 0)
    assert lines[-1] == b"" and b"Subject: m1" in lines
    assert b"Hello there." not in lines
    resp, lines, _ = p.top(2, 1)
    assert lines[-1] == b"Hello there."
    assert p.noop().startswith(b"+OK")
    assert p.dele(1).startswith(b"+OK")
    assert p.stat()[0] == 2
    with pytest.raises(poplib.error_proto, match="deleted"):
        p.retr(1)
    with pytest.raises(poplib.error_proto):
        p.dele(1)
    assert p.rset().startswith(b"+OK")
    assert p.stat()[0] == 3
    assert p.dele(3).startswith(b"+OK")
    assert p.quit().startswith(b"+OK")
    assert [m[3] for m in served.cfx.messages("alice")] == ["m0@x", "m1@x"]


def test_errors_keep_the_session(served):
    deliver(served, "alice", make_message())
    r = Raw(served.pop3_port)
    assert r.cmd("STAT").startswith("-ERR")         # wrong state
    assert r.cmd("RETR 1").startswith("-ERR")
    assert r.cmd("PASS x").startswith("-ERR")        # no USER yet
    assert r.cmd("XYZZY").startswith("-ERR")         # unknown
    assert r.cmd("USER").startswith("-ERR")          # bad args
    assert r.cmd("X" * 5000).startswith("-ERR")      # over-long line
    r.login()
    assert r.cmd("USER alice").startswith("-ERR")    # wrong state now
    assert r.cmd("RETR 0").startswith("-ERR")
    assert r.cmd("RETR x").startswith("-ERR")
    assert r.cmd("RETR 99").startswith("-ERR")
    assert r.cmd("TOP 1").startswith("-ERR")
    assert r.cmd("LIST 1 2").startswith("-ERR")
    assert r.cmd("QUIT now").startswith("-ERR")
    # A 255-octet line plus some slack is still a command.
    assert r.cmd("NOOP" + " " * 300).startswith("+OK")
    assert r.cmd("STAT").startswith("+OK 1 ")
    assert r.cmd("QUIT").startswith("+OK")


def test_too_many_errors_disconnect(served):
    r = Raw(served.pop3_port)
    replies = [r.cmd("BOGUS") for _ in range(10)]
    assert all(x.startswith("-ERR") for x in replies)
    assert r.line().startswith("-ERR Too many")
    assert r.line() == ""                      # closed
    assert served.alive()


def test_wrong_password_and_auth_codes(served):
    r = Raw(served.pop3_port)
    assert r.cmd("USER alice").startswith("+OK")
    assert r.cmd("PASS wrong").startswith("-ERR [AUTH]")
    assert r.cmd("STAT").startswith("-ERR")
    r.login()
    assert r.cmd("QUIT").startswith("+OK")


def test_auth_plain(served):
    token = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
    r = Raw(served.pop3_port)
    assert r.cmd("AUTH").startswith("+OK")
    assert [ln.strip() for ln in r.multi()] == [b"PLAIN"]
    assert r.cmd("AUTH CRAM-MD5").startswith("-ERR")
    assert r.cmd("AUTH PLAIN !!!").startswith("-ERR [AUTH]")
    assert r.cmd("AUTH PLAIN").startswith("+")
    assert r.cmd("*").startswith("-ERR")
    assert r.cmd("AUTH PLAIN").startswith("+")
    assert r.cmd(token).startswith("+OK")
    assert r.cmd("STAT").startswith("+OK")
    r.close()
    r = Raw(served.pop3_port)
    assert r.cmd(f"AUTH PLAIN {token}").startswith("+OK")
    other = base64.b64encode(b"bob\0alice\0" + PASSWORD.encode()).decode()
    r2 = Raw(served.pop3_port)
    assert r2.cmd(f"AUTH PLAIN {other}").startswith("-ERR [AUTH]")


def test_apop(served):
    served.cfx.run("user", "passwd", "alice", "--apop",
                   input=b"apop-secret\n")
    r = Raw(served.pop3_port)
    ts = re.search(r"<[^>]+>", r.greeting).group(0)
    digest = hashlib.md5((ts + "apop-secret").encode()).hexdigest()
    assert r.cmd(f"APOP alice {digest}").startswith("+OK")
    assert r.cmd("QUIT").startswith("+OK")
    r = Raw(served.pop3_port)
    assert r.cmd(f"APOP alice {digest}").startswith("-ERR [AUTH]")  # old ts
    # bob has no APOP secret: refused, whatever the digest.
    ts = re.search(r"<[^>]+>", r.greeting).group(0)
    digest = hashlib.md5((ts + PASSWORD).encode()).hexdigest()
    r = Raw(served.pop3_port)
    ts = re.search(r"<[^>]+>", r.greeting).group(0)
    digest = hashlib.md5((ts + PASSWORD).encode()).hexdigest()
    assert r.cmd(f"APOP bob {digest}").startswith("-ERR [AUTH]")
    p = poplib.POP3("127.0.0.1", served.pop3_port, timeout=10)
    assert p.apop("alice", "apop-secret").startswith(b"+OK")
    p.quit()


def close_tls(tls):
    """A TLS close with close_notify both ways, as mail clients do: the
    server's graceful close then ends at once."""
    try:
        tls.unwrap().close()
    except (OSError, ValueError):
        tls.close()


def tls_settle():
    """Nothing to wait for any more: conns still closing when the daemon
    stops are released (net/conn's conn_drop_closing)."""


def tls_context(served):
    ctx = ssl.create_default_context(cafile=served.ca_file)
    return ctx


def test_stls_then_login(served):
    deliver(served, "alice", make_message(msgid="tls@x"))
    p = poplib.POP3("localhost", served.pop3_port, timeout=10)
    assert "STLS" in p.capa()
    p.stls(context=tls_context(served))
    assert "STLS" not in p.capa()
    p.user("alice")
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()
    assert re.search(r"pop3: login user=alice method=USER tls=yes",
                     served.log())
    tls_settle()


def test_stls_discards_pipelined_plaintext(served):
    r = Raw(served.pop3_port)
    r.send(b"STLS\r\nUSER alice\r\n")
    assert r.line().startswith("+OK")
    tls = tls_context(served).wrap_socket(r.sock, server_hostname="localhost")
    f = tls.makefile("rb")
    tls.sendall(b"PASS " + PASSWORD.encode() + b"\r\n")
    assert f.readline().startswith(b"-ERR")      # the USER was dropped
    tls.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"+OK")
    f.close()
    close_tls(tls)
    tls_settle()


def test_pop3s(served):
    deliver(served, "alice", make_message(msgid="s@x"))
    p = poplib.POP3_SSL("localhost", served.pop3s_port, timeout=10,
                        context=tls_context(served))
    assert "STLS" not in p.capa()
    p.user("alice")
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    resp, lines, _ = p.retr(1)
    assert b"Message-ID: <s@x>" in lines
    p.quit()
    tls_settle()


def test_uidl_stable_and_dele_only_at_quit(served):
    for i in range(3):
        deliver(served, "alice", make_message(msgid=f"u{i}@x"))
    p = pop(served)
    first = p.uidl()[1]
    assert len(set(first)) == 3
    p.dele(1)
    p.dele(2)
    # Cut the connection without QUIT: nothing is deleted.
    p.file.close()
    p.sock.close()
    served.wait_log(r"logout user=alice .*disconnected")
    assert len(served.cfx.messages("alice")) == 3
    p = pop(served)
    assert p.uidl()[1] == first
    p.dele(2)
    p.quit()
    p = pop(served)
    uidls = p.uidl()[1]
    assert [u.split()[1] for u in uidls] == \
        [first[0].split()[1], first[2].split()[1]]
    assert p.uidl(2).split()[2] == first[2].split()[1]
    p.quit()


def test_in_use(served):
    p = pop(served)
    q = poplib.POP3("127.0.0.1", served.pop3_port, timeout=10)
    q.user("alice")
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        q.pass_(PASSWORD)
    # Another user is not affected.
    b = pop(served, "bob")
    b.quit()
    p.quit()
    q.user("alice")
    assert q.pass_(PASSWORD).startswith(b"+OK")
    q.quit()


def test_message_expunged_meanwhile(served):
    deliver(served, "alice", make_message(msgid="a@x"))
    deliver(served, "alice", make_message(msgid="b@x"))
    p = pop(served)
    uid = served.cfx.messages("alice")[0][0]
    served.cfx.run("store", "expunge", "alice", "INBOX", str(uid))
    with pytest.raises(poplib.error_proto):
        p.retr(1)
    assert b"Message-ID: <b@x>" in p.retr(2)[1]
    p.quit()


def test_retr_bare_lf_and_dots(served):
    body = b"line one\n.starts with a dot\n..two dots\n.\nlast no eol"
    data = b"Subject: dots\nMessage-ID: <dots@x>\n\n" + body
    deliver(served, "alice", data)
    r = Raw(served.pop3_port)
    r.login()
    assert r.cmd("RETR 1").startswith("+OK")
    raw = b"".join(r.multi())
    assert raw == (b"Subject: dots\r\nMessage-ID: <dots@x>\r\n\r\n"
                   b"line one\r\n..starts with a dot\r\n...two dots\r\n"
                   b"..\r\nlast no eol\r\n")
    size = len(data) + data.count(b"\n")
    assert r.cmd("LIST 1") == f"+OK 1 {size}"
    r.close()


def test_retr_large_message_streams(served):
    data = make_message(msgid="big@x", size=8_000_000)
    deliver(served, "alice", data)
    p = pop(served)
    resp, lines, octets = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == data
    p.quit()


def test_pipelining(served):
    deliver(served, "alice", make_message(msgid="p@x"))
    r = Raw(served.pop3_port)
    r.send(f"USER alice\r\nPASS {PASSWORD}\r\nSTAT\r\nRETR 1\r\n"
           "UIDL\r\nNOOP\r\nQUIT\r\n".encode())
    assert r.line().startswith("+OK")
    assert r.line().startswith("+OK")
    assert r.line().startswith("+OK 1 ")
    assert r.line().startswith("+OK")
    assert b"Message-ID: <p@x>\r\n" in r.multi()
    assert r.line().startswith("+OK")
    assert len(r.multi()) == 1
    assert r.line() == "+OK"
    assert r.line().startswith("+OK")


def test_garbage_does_not_hurt_the_daemon(served):
    for junk in (b"\x00\xff\xfe garbage\r\n" * 50, b"A" * 100000,
                 b"\r\n" * 1000, b"RETR 1\nRETR\r\r\n"):
        s = socket.create_connection(("127.0.0.1", served.pop3_port))
        s.recv(100)
        try:
            s.sendall(junk)
        except OSError:
            pass
        s.close()
    p = pop(served)
    assert p.stat()[0] == 0
    p.quit()


def non_loopback_ip():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if ip.startswith("127.") else ip


@pytest.mark.parametrize("mode", ["loopback", "always"])
def test_plaintext_policy_from_another_address(base_dir, mode):
    ip = non_loopback_ip()
    if ip is None:
        pytest.skip("no non-loopback address")
    port = socket.socket()
    port.bind((ip, 0))
    pnum = port.getsockname()[1]
    port.close()
    s = start_served(base_dir, extra_config=[
        ("pop3", "listen", f"{ip}:{pnum}"),
        ("server", "plaintext_auth", mode)])
    try:
        r = Raw(pnum, host=ip)
        assert r.cmd("CAPA").startswith("+OK")
        capa = [ln.decode().strip() for ln in r.multi()]
        if mode == "loopback":
            assert "USER" not in capa and "SASL PLAIN" not in capa
            assert "STLS" in capa
            assert r.cmd("USER alice") == ("-ERR [AUTH] Plaintext "
                "authentication disallowed on non-secure connections")
            assert r.cmd("AUTH PLAIN AGFsaWNlAHg=").startswith("-ERR [AUTH]")
            # After STLS it is allowed.
            r.send("STLS")
            assert r.line().startswith("+OK")
            ctx = ssl.create_default_context(cafile=s.ca_file)
            ctx.check_hostname = False
            tls = ctx.wrap_socket(r.sock)
            f = tls.makefile("rb")
            tls.sendall(f"USER alice\r\nPASS {PASSWORD}\r\n".encode())
            assert f.readline().startswith(b"+OK")
            assert f.readline().startswith(b"+OK")
            f.close()
            close_tls(tls)
            tls_settle()
        else:
            assert "USER" in capa
            r.login()
        r.close()
    finally:
        assert s.stop() == 0


def test_idle_timeout(base_dir):
    s = start_served(base_dir, extra_config=[("pop3", "idle_timeout",
                                              "10s")])
    try:
        r = Raw(s.pop3_port)
        time.sleep(10.5)
        assert "inactivity" in r.line()
        assert r.line() == ""
        r.close()
    finally:
        assert s.stop() == 0


def test_shutdown_says_goodbye(base_dir):
    s = start_served(base_dir)
    r = Raw(s.pop3_port)
    r.login()
    got = []

    def read():
        got.append(r.line())
        r.close()
    t = threading.Thread(target=read)
    t.start()
    assert s.stop() == 0
    t.join()
    assert got[0].startswith("-ERR [SYS/TEMP]"), s.log()
