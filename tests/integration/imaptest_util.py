"""Helpers for the IMAP server tests (test_imap_protocol.py,
test_imap_clients.py): a raw IMAP connection that sends bytes and reads
until a tagged reply, and one adapter over the two servers the tests run
against -- conflux (`served`) and a throwaway Dovecot -- so that every
expectation the RFCs fix is checked against a mature server too.

    t = target                       # an ImapTarget
    c = t.imap("alice")              # imaplib, logged in
    r = t.raw()                      # Raw, greeting read
    typ, untagged, tagged = r.cmd("SELECT INBOX")
    t.deliver("alice", data)         # over LMTP
    t.assert_alive()                 # a new connection still gets a greeting

Every socket has a timeout; nothing here waits without bound."""
import imaplib
import re
import smtplib
import socket
import ssl
import time

LOOPBACK = "127.0.0.1"
TIMEOUT = 10.0

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Closed(Exception):
    """The server closed the connection."""


class Raw:
    """One IMAP connection spoken byte by byte.

    read_response() returns one whole server response: a line with any
    literals it announces folded in (the literal bytes kept as they are),
    including the final CRLF."""

    def __init__(self, host, port, tls=None, timeout=TIMEOUT,
                 server_hostname=None, greeting=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        if tls is not None:
            self.sock = tls.wrap_socket(
                self.sock, server_hostname=server_hostname or host)
        self.buf = b""
        self.tagno = 0
        self.greeting = self.read_response() if greeting else None

    # -- bytes ---------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no answer in time")
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(self.buf)
        self.buf += chunk

    def read_line(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_bytes(self, n, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, timeout=None):
        """One response: a line plus any literals it announces."""
        out = self.read_line(timeout)
        while True:
            m = _LITERAL.search(out)
            if not m:
                return out
            out += self.read_bytes(int(m.group(1)), timeout)
            out += self.read_line(timeout)

    def closed(self, timeout=3.0):
        """True when the server closes the connection within timeout
        (whatever it sends before is read and dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.buf = b""
                self._fill(deadline)
        except Closed:
            return True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- commands ------------------------------------------------------
    def tag(self):
        self.tagno += 1
        return f"t{self.tagno}"

    def until_tagged(self, tag, timeout=None):
        """(untagged responses, tagged response) up to `tag`'s reply."""
        tag = tag.encode() if isinstance(tag, str) else tag
        untagged = []
        while True:
            resp = self.read_response(timeout)
            if resp.startswith(tag + b" "):
                return untagged, resp
            untagged.append(resp)

    def cmd(self, text, tag=None, timeout=None):
        """Send `TAG text CRLF`; returns (status, untagged, tagged) with
        status "OK", "NO" or "BAD" (bytes in text are sent as they are)."""
        tag = tag or self.tag()
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        untagged, tagged = self.until_tagged(tag, timeout)
        return status_of(tagged), untagged, tagged

    def login(self, user, password):
        typ, _, tagged = self.cmd(f"LOGIN {user} {quote(password)}")
        assert typ == "OK", tagged
        return self

    def continuation(self, timeout=None):
        """Read until a `+` continuation; returns it (untagged responses
        on the way are dropped)."""
        while True:
            resp = self.read_response(timeout)
            if resp.startswith(b"+"):
                return resp
            if not resp.startswith(b"*"):
                raise AssertionError(f"expected '+', got {resp!r}")


def status_of(tagged):
    """"OK", "NO" or "BAD" of a tagged response line."""
    parts = tagged.split(b" ", 2)
    return parts[1].decode(errors="replace").upper() if len(parts) > 1 \
        else ""


def code_of(resp):
    """The response code of a status response (`OK [CODE ...] text`) as a
    str without brackets, or None."""
    m = re.match(rb"^\S+ (?:OK|NO|BAD|BYE|PREAUTH) \[([^\]]*)\]", resp,
                 re.I)
    return m.group(1).decode(errors="replace") if m else None


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find(untagged, pattern):
    """The first untagged response matching the regex (bytes), or None."""
    rx = re.compile(pattern, re.I | re.S)
    for r in untagged:
        m = rx.search(r)
        if m:
            return m
    return None


def find_all(untagged, pattern):
    rx = re.compile(pattern, re.I | re.S)
    return [m for m in (rx.search(r) for r in untagged) if m]


def imaplib_code(conn, code):
    """The arguments of the last response code `code` imaplib kept."""
    typ, data = conn.response(code)
    return data[-1] if data and data[-1] is not None else None


class ImapTarget:
    """A server under test, as the tests need it. Subclasses fill in the
    ports, the passwords and how to deliver and to read the log."""
    name = "?"
    host = LOOPBACK
    imap_port = imaps_port = pop3_port = pop3s_port = lmtp_port = None
    ca_file = None
    names = {}      # logical user ("alice") -> login name for this test

    def u(self, user):
        """The login name behind a logical user name: a test may get a
        fresh user so it starts with empty mailboxes on a shared daemon."""
        return self.names.get(user, user)

    def password(self, user):
        raise NotImplementedError

    def client_context(self):
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        ctx.check_hostname = True
        return ctx

    def imap(self, user="alice", tls=None, login=True):
        if tls == "implicit":
            c = imaplib.IMAP4_SSL(self.host, self.imaps_port,
                                  ssl_context=self.client_context(),
                                  timeout=TIMEOUT)
        else:
            c = imaplib.IMAP4(self.host, self.imap_port, timeout=TIMEOUT)
            if tls == "starttls":
                c.starttls(self.client_context())
        if login:
            c.login(self.u(user), self.password(user))
        return c

    def raw(self, tls=None, login=None, port=None, timeout=TIMEOUT):
        """A Raw connection (tls: None, "implicit"); logged in as `login`
        when given."""
        if tls == "implicit":
            r = Raw(self.host, port or self.imaps_port,
                    tls=self.client_context(), timeout=timeout)
        else:
            r = Raw(self.host, port or self.imap_port, timeout=timeout)
        if login:
            r.login(self.u(login), self.password(login))
        return r

    def lmtp_deliver(self, user, data, sender="sender@example.org"):
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=TIMEOUT) as s:
            refused = s.sendmail(sender, [f"{self.u(user)}@localhost"],
                                 data)
        assert not refused, refused

    def deliver(self, user, data):
        self.lmtp_deliver(user, data)

    def append(self, user, folder, data, flags=None):
        c = self.imap(user)
        try:
            typ, res = c.append(folder, flags, None, data)
            assert typ == "OK", res
        finally:
            c.logout()

    def log(self):
        return ""

    def assert_alive(self, why=""):
        """The daemon still greets a new connection and logs a user in."""
        try:
            r = self.raw(login="bob", timeout=5)
            typ, _, tagged = r.cmd("NOOP")
            r.cmd("LOGOUT")
            r.close()
        except Exception as e:       # noqa: BLE001 -- turned into a failure
            raise AssertionError(
                f"{self.name} no longer serves after {why}: {e!r}\n"
                f"{self.log()[-3000:]}") from e
        assert typ == "OK", tagged


class DovecotTarget(ImapTarget):
    name = "dovecot"

    def __init__(self, dov):
        self.dov = dov
        for p in ("imap_port", "imaps_port", "pop3_port", "pop3s_port",
                  "lmtp_port"):
            setattr(self, p, getattr(dov, p))
        self.ca_file = dov.ca.ca_cert

    def password(self, user):
        return self.dov.password(user)

    def log(self):
        try:
            return self.dov.log.read_text(errors="replace")
        except OSError:
            return ""


class ConfluxTarget(ImapTarget):
    name = "conflux"

    def __init__(self, served, names=None):
        self.served = served
        self.names = dict(names or {})
        self.cfx = served.cfx
        for p in ("imap_port", "imaps_port", "pop3_port", "pop3s_port",
                  "lmtp_port"):
            setattr(self, p, getattr(served, p))
        self.ca_file = served.ca_file

    def password(self, user):
        return "secret-pw"

    def log(self):
        try:
            return self.served.log()
        except Exception:            # noqa: BLE001
            return ""


def raw_append(r, folder, data, flags=None, date=None, literal_plus=False):
    """APPEND over a Raw connection with a synchronizing literal (or a
    LITERAL+ one); returns (status, untagged, tagged). A refusal of the
    literal (tagged reply instead of '+') is returned as it is."""
    tag = r.tag()
    head = f"{tag} APPEND {folder}"
    if flags is not None:
        head += f" ({flags})"
    if date is not None:
        head += f' "{date}"'
    if literal_plus:
        r.send(head.encode() + b" {%d+}\r\n" % len(data) + data + b"\r\n")
        untagged, tagged = r.until_tagged(tag)
        return status_of(tagged), untagged, tagged
    r.send(head.encode() + b" {%d}\r\n" % len(data))
    untagged = []
    while True:
        resp = r.read_response()
        if resp.startswith(b"+"):
            break
        if resp.startswith(tag.encode() + b" "):
            return status_of(resp), untagged, resp
        untagged.append(resp)
    r.send(data + b"\r\n")
    more, tagged = r.until_tagged(tag)
    return status_of(tagged), untagged + more, tagged


def appenduid(tagged):
    """(uidvalidity, uid) of a tagged `OK [APPENDUID v u]`."""
    m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", tagged)
    assert m, tagged
    return int(m.group(1)), int(m.group(2))


def capabilities(r):
    typ, untagged, tagged = r.cmd("CAPABILITY")
    assert typ == "OK", tagged
    m = find(untagged, rb"^\* CAPABILITY (.*)\r\n")
    assert m, untagged
    return set(m.group(1).decode().upper().split())


def fetch_map(untagged):
    """{seq: raw FETCH response} of the untagged FETCH responses."""
    out = {}
    for resp in untagged:
        m = re.match(rb"^\* (\d+) FETCH ", resp)
        if m:
            out.setdefault(int(m.group(1)), b"")
            out[int(m.group(1))] += resp
    return out


def flags_in(resp):
    m = re.search(rb"FLAGS \(([^)]*)\)", resp)
    return set(m.group(1).decode().split()) if m else None


def multipart_message(i=0):
    """A MIME message with a text part, an HTML alternative and an
    attachment: ENVELOPE/BODYSTRUCTURE/BODY[section] have something to do."""
    return (
        b"Return-Path: <sender@example.org>\r\n"
        b"From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\r\n"
        b"To: Alice <alice@example.org>, bob@example.org\r\n"
        b"Cc: \"Carol, C.\" <carol@example.org>\r\n"
        b"Subject: =?UTF-8?B?R3LDvMOfZQ==?= number " + str(i).encode() +
        b"\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
        b"Message-ID: <mp" + str(i).encode() + b"@example.org>\r\n"
        b"In-Reply-To: <parent@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
        b"\r\n"
        b"This is a multi-part message in MIME format.\r\n"
        b"--outer\r\n"
        b"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
        b"\r\n"
        b"--inner\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n"
        b"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln.\r\n"
        b"Second line.\r\n"
        b"--inner\r\n"
        b"Content-Type: text/html; charset=us-ascii\r\n"
        b"\r\n"
        b"<p>Hello</p>\r\n"
        b"--inner--\r\n"
        b"\r\n"
        b"--outer\r\n"
        b"Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
        b"Content-Disposition: attachment; filename=\"data.bin\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-ID: <part3@example.org>\r\n"
        b"Content-Description: some bytes\r\n"
        b"\r\n"
        b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n"
        b"--outer--\r\n")


def rfc822_message(i=0):
    """A message with an attached message/rfc822 part."""
    inner = (b"From: Inner <inner@example.org>\r\n"
             b"Subject: inner " + str(i).encode() + b"\r\n"
             b"Date: Tue, 03 Mar 2026 11:00:00 +0000\r\n"
             b"\r\n"
             b"Inner body line.\r\n")
    return (b"From: Outer <outer@example.org>\r\n"
            b"To: alice@example.org\r\n"
            b"Subject: forwarded " + str(i).encode() + b"\r\n"
            b"Date: Tue, 03 Mar 2026 12:00:00 +0000\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b1\r\n"
            b"\r\n"
            b"--b1\r\n"
            b"Content-Type: text/plain\r\n"
            b"\r\n"
            b"See attached.\r\n"
            b"--b1\r\n"
            b"Content-Type: message/rfc822\r\n"
            b"\r\n" + inner +
            b"--b1--\r\n")


def canonical(resp):
    """A response with every string in one form (quoted and literal
    strings are the same value in IMAP): each becomes <len:bytes>."""
    out, i, n = [], 0, len(resp)
    while i < n:
        c = resp[i:i + 1]
        if c == b'"':
            j, val = i + 1, bytearray()
            while j < n and resp[j:j + 1] != b'"':
                if resp[j:j + 1] == b"\\":
                    j += 1
                val += resp[j:j + 1]
                j += 1
            out.append(b"<%d:" % len(val) + bytes(val) + b">")
            i = j + 1
            continue
        m = re.match(rb"\{(\d+)\+?\}\r\n", resp[i:i + 30])
        if c == b"{" and m:
            start = i + m.end()
            val = resp[start:start + int(m.group(1))]
            out.append(b"<%d:" % len(val) + val + b">")
            i = start + len(val)
            continue
        out.append(c)
        i += 1
    return b"".join(out)
