"""The LMTP server (RFC 2033 with PIPELINING, SIZE, 8BITMIME,
ENHANCEDSTATUSCODES, STARTTLS) against a running `conflux serve`, driven
by smtplib.LMTP and by raw sockets; messages are read back over POP3."""
import os
import poplib
import smtplib
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import IS_ROOT, init_data, make_message
from served import PASSWORD, Served


class Raw:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.sock.makefile("rb")
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else
                          data.encode() + b"\r\n")

    def reply(self):
        """One (possibly multi-line) reply: (code, [texts])."""
        texts = []
        while True:
            ln = self.f.readline().decode(errors="replace")
            if not ln:
                return (None, texts)
            texts.append(ln[4:].rstrip("\r\n"))
            if ln[3:4] != "-":
                return (int(ln[:3]), texts)

    def cmd(self, text):
        self.send(text)
        return self.reply()

    def close(self):
        self.f.close()
        self.sock.close()


def retr_all(served, user):
    p = poplib.POP3("127.0.0.1", served.pop3_port, timeout=20)
    p.user(user)
    p.pass_(PASSWORD)
    out = []
    for i in range(1, p.stat()[0] + 1):
        # RETR's raw bytes: poplib undoes the dot-stuffing for us.
        out.append(b"\r\n".join(p.retr(i)[1]) + b"\r\n")
    p.quit()
    return out


def body_of(msg):
    """The message after our three trace headers."""
    lines = msg.split(b"\r\n")
    assert lines[0].startswith(b"Return-Path: <")
    assert lines[1].startswith(b"Delivered-To: ")
    assert lines[2].startswith(b"Received: from ")
    i = 3
    while lines[i].startswith(b"\t"):
        i += 1
    return b"\r\n".join(lines[i:])


def test_lhlo_and_simple_commands(served):
    r = Raw(served.lmtp_port)
    assert r.greeting[0] == 220
    assert r.cmd("MAIL FROM:<a@b>")[0] == 503           # LHLO first
    assert r.cmd("HELO x")[0] == 500                    # not LMTP
    code, caps = r.cmd("LHLO client.example")
    assert code == 250
    for c in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS"):
        assert c in caps, caps
    assert any(c.startswith("SIZE ") for c in caps)
    assert r.cmd("NOOP") == (250, ["2.0.0 OK"])
    assert r.cmd("VRFY alice")[0] == 252
    assert r.cmd("RSET")[0] == 250
    assert r.cmd("RCPT TO:<alice>")[0] == 503           # no MAIL
    assert r.cmd("DATA")[0] == 503
    assert r.cmd("MAIL FROM:<a@b> FOO=BAR")[0] == 555
    assert r.cmd("MAIL FROM:a@b")[0] == 501
    assert r.cmd("MAIL FROM:<a@b>")[0] == 250
    assert r.cmd("MAIL FROM:<a@b>")[0] == 503           # nested
    assert r.cmd("DATA")[0] == 503                      # no recipient
    assert r.cmd("BOGUS")[0] == 500
    assert r.cmd("NOOP " + "x" * 5000)[0] == 500        # over-long
    assert r.cmd("NOOP")[0] == 250
    assert r.cmd("QUIT")[0] == 221
    assert r.reply()[0] is None


def test_multiple_recipients_one_unknown(served):
    msg = make_message(subject="multi", msgid="multi@x")
    lmtp = smtplib.LMTP("127.0.0.1", served.lmtp_port)
    refused = lmtp.sendmail("sender@example.org",
                            ["alice@example.org", "nobody@example.org",
                             "BOB@Example.ORG"], msg)
    assert set(refused) == {"nobody@example.org"}
    assert refused["nobody@example.org"][0] == 550
    assert b"5.1.1" in refused["nobody@example.org"][1]
    # smtplib reads one reply after DATA: the second recipient's is here.
    code, text = lmtp.getreply()
    assert code == 250 and b"<BOB@Example.ORG>" in text
    lmtp.quit()
    for user, addr in (("alice", b"alice@example.org"),
                       ("bob", b"BOB@Example.ORG")):
        [got] = retr_all(served, user)
        assert got.startswith(b"Return-Path: <sender@example.org>\r\n"
                              b"Delivered-To: " + addr + b"\r\n")
        assert body_of(got) == msg


def test_per_recipient_replies_raw_pipelined(served):
    r = Raw(served.lmtp_port)
    r.send(b"LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<alice>\r\n"
           b"RCPT TO:<ghost>\r\nRCPT TO:<bob@here>\r\nDATA\r\n")
    assert r.reply()[0] == 250
    assert r.reply()[0] == 250
    assert r.reply()[0] == 250
    assert r.reply()[0] == 550
    assert r.reply()[0] == 250
    assert r.reply()[0] == 354
    r.send(b"Subject: x\r\n\r\nhi\r\n.\r\nNOOP\r\n")
    a, b = r.reply(), r.reply()
    assert a[0] == 250 and "<alice>" in a[1][0] and "2.0.0" in a[1][0]
    assert b[0] == 250 and "<bob@here>" in b[1][0]
    assert r.reply()[0] == 250                         # the NOOP
    [got] = retr_all(served, "alice")
    assert got.startswith(b"Return-Path: <>\r\n")


def test_size_limits(base_dir):
    cfx = init_data(base_dir)
    cfx.add_user("alice", PASSWORD)
    s = Served(cfx, base_dir, [("store", "max_message_size", "20k")])
    s.start()
    try:
        r = Raw(s.lmtp_port)
        caps = r.cmd("LHLO x")[1]
        assert "SIZE 20480" in caps
        assert r.cmd("MAIL FROM:<a@b> SIZE=30000")[0] == 552
        assert r.cmd("MAIL FROM:<a@b> SIZE=1000")[0] == 250
        assert r.cmd("RCPT TO:<alice>")[0] == 250
        assert r.cmd("DATA")[0] == 354
        r.send(make_message(size=40000) + b".\r\n")
        code, text = r.reply()
        assert code == 552 and "<alice>" in text[0], text
        # The session goes on; a small one is delivered.
        assert r.cmd("MAIL FROM:<a@b>")[0] == 250
        assert r.cmd("RCPT TO:<alice>")[0] == 250
        assert r.cmd("DATA")[0] == 354
        r.send(make_message(msgid="small@x") + b".\r\n")
        assert r.reply()[0] == 250
        assert [m[3] for m in cfx.messages("alice")] == ["small@x"]
        r.close()
    finally:
        assert s.stop() == 0


def test_8bit_and_dot_stuffing_round_trip(served):
    body = ("Grüße aus Köln — ½ € 日本語\r\n"
            ".a line with a leading dot\r\n"
            "..two\r\n"
            ".\r\n"
            "...\r\n"
            "tail line without special chars\r\n").encode()
    msg = (b"From: a@b\r\nSubject: =?utf-8?q?8bit?=\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body)
    lmtp = smtplib.LMTP("127.0.0.1", served.lmtp_port)
    assert lmtp.sendmail("a@b", ["alice"], msg,
                         mail_options=["BODY=8BITMIME"]) == {}
    lmtp.quit()
    [got] = retr_all(served, "alice")
    assert body_of(got) == msg
    # And byte for byte on the wire: RETR stuffs exactly what LMTP got.
    p = socket.create_connection(("127.0.0.1", served.pop3_port))
    f = p.makefile("rb")
    f.readline()
    p.sendall(f"USER alice\r\nPASS {PASSWORD}\r\nRETR 1\r\n".encode())
    f.readline(), f.readline(), f.readline()
    wire = b""
    while not wire.endswith(b"\r\n.\r\n"):
        wire += f.readline()
    stuffed = msg.replace(b"\r\n.", b"\r\n..")
    assert wire.endswith(stuffed + b".\r\n")


def test_starttls(served):
    lmtp = smtplib.LMTP("localhost", served.lmtp_port)
    lmtp.ehlo_resp = None
    code, _ = lmtp.docmd("LHLO", "x")
    assert code == 250
    lmtp.esmtp_features = {"starttls": ""}
    ctx = ssl.create_default_context(cafile=served.ca_file)
    code, _ = lmtp.starttls(context=ctx)
    assert code == 220
    code, caps = lmtp.docmd("LHLO", "x")
    assert code == 250 and b"STARTTLS" not in caps
    assert lmtp.sendmail("a@b", ["alice"], make_message(msgid="t@x")) == {}
    lmtp.quit()
    assert [m[3] for m in served.cfx.messages("alice")] == ["t@x"]


def test_garbage_then_still_serving(served):
    for junk in (b"\x00\xff" * 5000 + b"\r\n", b"A" * 200000,
                 b"LHLO x\r\nMAIL FROM:<a>\r\nRCPT TO:<alice>\r\nDATA\r\n"
                 b"half a message",
                 b"\r\n" * 500, b"DATA\r\n.\r\n" * 50):
        s = socket.create_connection(("127.0.0.1", served.lmtp_port))
        s.recv(100)
        try:
            s.sendall(junk)
        except OSError:
            pass
        s.close()
    lmtp = smtplib.LMTP("127.0.0.1", served.lmtp_port)
    assert lmtp.sendmail("a@b", ["alice"], make_message(msgid="g@x")) == {}
    lmtp.quit()
    assert [m[3] for m in served.cfx.messages("alice")] == ["g@x"]
    assert served.alive()


def test_too_many_errors_disconnect(served):
    r = Raw(served.lmtp_port)
    codes = [r.cmd("BOGUS")[0] for _ in range(9)]
    assert codes == [500] * 9
    r.send("BOGUS")
    assert r.reply()[0] == 500
    assert r.reply()[0] == 421
    assert r.reply()[0] is None


def test_concurrent_deliveries_all_durable(served):
    errors = []

    def client(n):
        try:
            lmtp = smtplib.LMTP("127.0.0.1", served.lmtp_port)
            for i in range(20):
                rcpt = ["alice", "bob"] if i % 2 else ["alice"]
                assert lmtp.sendmail("a@b", rcpt, make_message(
                    msgid=f"c{n}-{i}@x")) == {}
                # smtplib reads one reply after DATA; LMTP sends one per
                # recipient (RFC 2033 4.2).
                for _ in rcpt[1:]:
                    assert lmtp.getreply()[0] == 250
            lmtp.quit()
        except Exception as e:          # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    alice = [m[3] for m in served.cfx.messages("alice")]
    assert sorted(alice) == sorted(f"c{n}-{i}@x" for n in range(8)
                                   for i in range(20))
    assert len(served.cfx.messages("bob")) == 80
    assert served.cfx.check().returncode == 0


@pytest.fixture
def small_fs(base_dir):
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = base_dir / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755",
                    "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_is_4xx(small_fs):
    cfx = init_data(small_fs)
    cfx.add_user("alice", PASSWORD)
    s = Served(cfx, small_fs).start()
    try:
        lmtp = smtplib.LMTP("127.0.0.1", s.lmtp_port)
        assert lmtp.sendmail("a@b", ["alice"], make_message(msgid="ok@x")) \
            == {}
        filler = small_fs / "filler"
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        os.truncate(filler, os.path.getsize(filler) - 256 * 1024)
        with pytest.raises(smtplib.SMTPDataError) as e:
            lmtp.sendmail("a@b", ["alice"],
                          make_message(msgid="full@x", size=1_000_000))
        assert e.value.smtp_code in (451, 452), e.value
        assert b"4.3." in e.value.smtp_error
        os.unlink(filler)
        # The session and the daemon go on.
        assert lmtp.sendmail("a@b", ["alice"], make_message(msgid="after@x")) \
            == {}
        lmtp.quit()
        assert sorted(m[3] for m in cfx.messages("alice")) == \
            ["after@x", "ok@x"]
        assert cfx.check().returncode == 0
    finally:
        assert s.stop() == 0


def test_shutdown_says_421(base_dir):
    cfx = init_data(base_dir)
    cfx.add_user("alice", PASSWORD)
    s = Served(cfx, base_dir).start()
    r = Raw(s.lmtp_port)
    assert r.cmd("LHLO x")[0] == 250
    got = []

    def read():
        got.append(r.reply()[0])
        r.close()
    t = threading.Thread(target=read)
    t.start()
    assert s.stop() == 0
    t.join()
    assert got == [421]


def test_overlong_body_line_fails_the_message_only(served):
    r = Raw(served.lmtp_port)
    r.send(b"LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n")
    assert [r.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
    r.send(b"Subject: long\r\n\r\n" + b"y" * 400_000 + b"\r\nafter\r\n.\r\n")
    code, text = r.reply()
    assert code == 552 and "<alice>" in text[0], text
    # RSET and a fresh transaction, QUIT pipelined after the final dot.
    assert r.cmd("RSET")[0] == 250
    r.send(b"MAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\n")
    assert [r.reply()[0] for _ in range(3)] == [250, 250, 354]
    r.send(make_message(msgid="fine@x") + b".\r\nQUIT\r\n")
    assert r.reply()[0] == 250
    assert r.reply()[0] == 221
    r.close()
    assert [m[3] for m in served.cfx.messages("alice")] == ["fine@x"]
