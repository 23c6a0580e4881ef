"""Scripted misbehaving IMAP and POP3 servers on 127.0.0.1.

    with BadServer("pop3_duplicate_uidl") as srv:   # a named scenario
        ... point the client at ("127.0.0.1", srv.port) ...
        srv.commands            # every command received, in order, e.g.
                                # ["CAPA", "USER alice", "PASS x", "UIDL", ...]
        srv.count("DELE")       # how many commands started with DELE
        srv.sessions            # the same, one list per connection

    BadServer(proto="imap", rules=[(r"LOGIN", "{tag} NO go away\\r\\n")])

A server answers from a rule table: (pattern, response[, times]).
`pattern` is a regular expression matched (case-insensitive) at the start
of the command line (for IMAP: after the tag). The first rule that matches
and is not used up answers. `response` is one of
  - str/bytes: sent as is, "{tag}" replaced by the command's tag;
  - a list of such parts and actions: CLOSE (close the connection),
    COMMIT (POP3: apply the DELEs of this session), Sleep(seconds);
  - a callable(session, match, tag) returning any of the above.
`times` (default: unlimited) bounds how often a rule fires, counted across
connections, so a fault can hit the first connection and a retry can then
succeed. A scenario's rules come before the protocol's base rules, which
serve a small mailbox correctly (IMAP: CAPABILITY LOGIN AUTHENTICATE PLAIN
SELECT EXAMINE STATUS LIST LSUB FETCH/UID FETCH SEARCH STORE EXPUNGE NOOP
LOGOUT ...; POP3: CAPA USER PASS APOP STAT LIST UIDL TOP RETR DELE RSET
NOOP QUIT). The mailbox is a list of dicts {uid, uidl, body, flags,
claimed_size}; claimed_size makes RFC822.SIZE / LIST lie.

Adding a scenario is one entry in SCENARIOS. Every connection ends after
`idle_timeout` seconds without input and `max_lifetime` seconds overall;
close() ends them all and joins every thread."""
import re
import socket
import threading
import time

from . import LOOPBACK

POLL = 0.2
CLOSE = "<close>"
COMMIT = "<commit>"


class Sleep:
    def __init__(self, seconds):
        self.seconds = seconds


def make_body(i, size=None, msgid=True):
    """A small test message number i (CRLF), padded to `size` bytes."""
    head = (f"From: Sender {i} <sender{i}@example.org>\r\n"
            f"To: alice@example.org\r\n"
            f"Subject: bad-server message {i}\r\n"
            f"Date: Sun, 29 Nov 2026 07:0{i % 10}:00 +0000\r\n")
    if msgid:
        head += f"Message-ID: <bad-{i}@example.org>\r\n"
    data = (head + "\r\n" + f"Body of message {i}.\r\n").encode()
    if size is not None:
        if len(data) > size:
            raise ValueError(f"message {i} needs at least {len(data)} bytes")
        pad = size - len(data)
        filler = b""
        while pad > 0:
            n = min(pad, 78)
            line = (b"y" * (n - 2) + b"\r\n") if n >= 2 else b"y" * n
            filler += line
            pad -= len(line)
        data += filler
        assert len(data) == size
    return data


def tiny_body(i, size):
    """A minimal message (no Message-ID) of exactly `size` >= 40 bytes."""
    data = f"Subject: tiny {i}\r\n\r\n".encode()
    pad = size - len(data) - 2
    if pad < 0:
        raise ValueError("too small")
    return data + b"z" * pad + b"\r\n"


def default_mailbox(n=3):
    return [{"uid": i, "uidl": f"uidl-{i:04d}", "body": make_body(i),
             "flags": []} for i in range(1, n + 1)]


def _b(x):
    return x.encode("latin-1") if isinstance(x, str) else x


# -- IMAP base behaviour ---------------------------------------------------

def _seqset(text, maxval):
    """Numbers in an IMAP sequence set ("1:*", "2,4:6"), * = maxval."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        lo = maxval if lo == "*" else int(lo)
        hi = lo if not hi else (maxval if hi == "*" else int(hi))
        lo, hi = min(lo, hi), max(lo, hi)
        out.extend(range(lo, min(hi, maxval) + 1) if maxval else [])
    return out


def _header_fields(body, names, negate=False):
    head = re.split(rb"\r?\n\r?\n", body, maxsplit=1)[0]
    lines = re.split(rb"\r?\n(?![ \t])", head)
    keep = []
    for line in lines:
        name = line.split(b":", 1)[0].strip().upper()
        if (name in names) != negate:
            keep.append(line + b"\r\n")
    return b"".join(keep) + b"\r\n"


def fetch_item_data(msg, item):
    """Bytes for one body section item (BODY[], BODY[HEADER], ...)."""
    body = msg["body"]
    m = re.match(r"(?:BODY(?:\.PEEK)?\[(.*?)\]|(RFC822(?:\.HEADER|\.TEXT)?))",
                 item, re.I)
    section = (m.group(1) or "").upper()
    if m.group(2):
        section = {"RFC822": "", "RFC822.HEADER": "HEADER",
                   "RFC822.TEXT": "TEXT"}[m.group(2).upper()]
    parts = re.split(rb"(\r?\n\r?\n)", body, maxsplit=1)
    if section == "":
        return body
    if section == "HEADER":
        return parts[0] + (parts[1] if len(parts) > 1 else b"\r\n\r\n")
    if section == "TEXT":
        return parts[2] if len(parts) > 2 else b""
    fm = re.match(r"HEADER\.FIELDS(\.NOT)? \((.*)\)", section)
    if fm:
        names = {n.encode() for n in fm.group(2).split()}
        return _header_fields(body, names, negate=bool(fm.group(1)))
    return body


_ITEM = re.compile(r"BODY(?:\.PEEK)?\[[^\]]*\](?:<\d+(?:\.\d+)?>)?|"
                   r"[A-Z0-9.]+", re.I)


def fetch_responses(sess, args, by_uid):
    """One "* n FETCH (...)" response (bytes) per message of a FETCH."""
    m = re.match(r"(\S+) \(?(.*?)\)?$", args)
    sset, items = m.group(1), m.group(2)
    items = _ITEM.findall(items)
    if [i.upper() for i in items] == ["ALL"]:
        items = ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]
    box = sess.view
    if by_uid:
        maxuid = box[-1]["uid"] if box else 0
        wanted = set(_seqset(sset, maxuid))
        targets = [(n + 1, msg) for n, msg in enumerate(box)
                   if msg["uid"] in wanted]
    else:
        targets = [(n, box[n - 1]) for n in _seqset(sset, len(box))]
    if by_uid and "UID" not in [i.upper() for i in items]:
        items = ["UID"] + items
    out = []
    for seq, msg in targets:
        fields = []
        for item in items:
            up = item.upper()
            if up == "UID":
                fields.append(b"UID %d" % msg["uid"])
            elif up == "FLAGS":
                fields.append(b"FLAGS (" + " ".join(msg["flags"]).encode()
                              + b")")
            elif up == "RFC822.SIZE":
                size = msg.get("claimed_size") or len(msg["body"])
                fields.append(b"RFC822.SIZE %d" % size)
            elif up == "INTERNALDATE":
                fields.append(b'INTERNALDATE "29-Nov-2026 07:00:00 +0000"')
            elif up.startswith(("BODY[", "BODY.PEEK[", "RFC822")):
                data = fetch_item_data(msg, item)
                label = re.sub(r"(?i)\.PEEK", "", item).upper()
                label = re.sub(r"<.*>$", "", label)
                pm = re.search(r"<(\d+)(?:\.(\d+))?>$", item)
                if pm:
                    start = int(pm.group(1))
                    data = data[start:start + int(pm.group(2))] \
                        if pm.group(2) else data[start:]
                    label += f"<{start}>"
                fields.append(label.encode() + b" {%d}\r\n" % len(data)
                              + data)
            elif up == "MODSEQ":
                fields.append(b"MODSEQ (1)")
        out.append(b"* %d FETCH (" % seq + b" ".join(fields) + b")\r\n")
    return out


def imap_fetch(sess, m, tag):
    by_uid = bool(m.group(1))
    return fetch_responses(sess, m.group(2), by_uid) + \
        [f"{tag} OK Fetch completed.\r\n"]


def imap_fetch_with_expunge(at=2):
    """A FETCH that reports `* at EXPUNGE` after its first message and
    removes that message from the mailbox for good."""
    def respond(sess, m, tag):
        by_uid = bool(m.group(1))
        parts = fetch_responses(sess, m.group(2), by_uid)
        if len(sess.view) >= at:
            gone = sess.view.pop(at - 1)
            sess.server.remove(gone)
            # renumber the responses after the expunged one
            fixed = []
            for p in parts:
                n = int(p.split(b" ", 2)[1])
                if n == at:
                    continue
                if n > at:
                    p = b"* %d" % (n - 1) + p[len(b"* %d" % n):]
                fixed.append(p)
            parts = fixed[:1] + [f"* {at} EXPUNGE\r\n".encode()] + fixed[1:]
        return parts + [f"{tag} OK Fetch completed.\r\n"]
    return respond


def imap_select(sess, m, tag):
    sess.view = list(sess.server.mailbox)
    box = sess.view
    nxt = (box[-1]["uid"] + 1) if box else 1
    rw = "READ-ONLY" if m.group(1).upper() == "EXAMINE" else "READ-WRITE"
    return [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
        "\\Draft \\*)] Flags permitted.\r\n",
        f"* {len(box)} EXISTS\r\n", "* 0 RECENT\r\n",
        f"* OK [UIDVALIDITY {sess.server.uidvalidity}] UIDs valid\r\n",
        f"* OK [UIDNEXT {nxt}] Predicted next UID\r\n",
        f"{tag} OK [{rw}] Select completed.\r\n"]


def imap_status(sess, m, tag):
    box = sess.server.mailbox
    nxt = (box[-1]["uid"] + 1) if box else 1
    return [f"* STATUS {m.group(1)} (MESSAGES {len(box)} UIDNEXT {nxt} "
            f"UIDVALIDITY {sess.server.uidvalidity} UNSEEN 0)\r\n",
            f"{tag} OK Status completed.\r\n"]


def imap_search(sess, m, tag):
    if m.group(1):
        ids = [str(x["uid"]) for x in sess.view]
    else:
        ids = [str(n + 1) for n in range(len(sess.view))]
    return [("* SEARCH " + " ".join(ids)).rstrip() + "\r\n",
            f"{tag} OK Search completed.\r\n"]


def imap_authenticate(sess, m, tag):
    if not m.group(1):          # no SASL-IR: ask for the response
        sess.send(b"+ \r\n")
        line = sess.readline()
        if line is None:
            return [CLOSE]
        sess.record("<sasl> " + line.decode("latin-1"))
    return f"{tag} OK Logged in.\r\n"


IMAP_CAPS = ("IMAP4rev1 LITERAL+ SASL-IR UIDPLUS ID ENABLE IDLE "
             "AUTH=PLAIN AUTH=LOGIN")

IMAP_BASE = [
    (r"CAPABILITY\b", f"* CAPABILITY {IMAP_CAPS}\r\n"
                      "{tag} OK Capability completed.\r\n"),
    (r"LOGIN\b", "{tag} OK Logged in.\r\n"),
    (r"AUTHENTICATE PLAIN( \S+)?", imap_authenticate),
    (r"(SELECT|EXAMINE)\b", imap_select),
    (r"STATUS (\S+|\"[^\"]*\")", imap_status),
    (r"(?:LIST|LSUB) ", "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
                        "{tag} OK List completed.\r\n"),
    (r"(UID )?FETCH (.*)", imap_fetch),
    (r"(UID )?SEARCH\b", imap_search),
    (r"(UID )?STORE\b", "{tag} OK Store completed.\r\n"),
    (r"(UID )?EXPUNGE\b", "{tag} OK Expunge completed.\r\n"),
    (r"(NOOP|CHECK|CLOSE|UNSELECT|ENABLE|ID)\b", "{tag} OK Done.\r\n"),
    (r"LOGOUT\b", ["* BYE Logging out\r\n", "{tag} OK Logout completed.\r\n",
                   CLOSE]),
    (r"", "{tag} BAD Command not scripted.\r\n"),
]


# -- POP3 base behaviour ---------------------------------------------------

def _pop3_msg(sess, m):
    try:
        n = int(m.group(1))
    except (TypeError, ValueError, IndexError):
        return None
    if 1 <= n <= len(sess.view) and n not in sess.deleted:
        return n, sess.view[n - 1]
    return None


def _pop3_size(msg):
    return msg.get("claimed_size") or len(msg["body"])


def _dotstuff(body):
    lines = re.split(rb"\r?\n", body)
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + ln if ln.startswith(b".") else ln) + b"\r\n"
                    for ln in lines)


def pop3_login(sess, m, tag):
    sess.view = list(sess.server.mailbox)
    return "+OK Logged in.\r\n"


def pop3_stat(sess, m, tag):
    live = [x for n, x in enumerate(sess.view, 1) if n not in sess.deleted]
    return f"+OK {len(live)} {sum(_pop3_size(x) for x in live)}\r\n"


def _pop3_listing(key):
    def respond(sess, m, tag):
        if m.group(1):
            found = _pop3_msg(sess, m)
            if not found:
                return "-ERR No such message\r\n"
            return f"+OK {found[0]} {key(found[1])}\r\n"
        lines = [f"{n} {key(x)}\r\n" for n, x in enumerate(sess.view, 1)
                 if n not in sess.deleted]
        return ["+OK\r\n"] + lines + [".\r\n"]
    return respond


def pop3_retr(sess, m, tag):
    found = _pop3_msg(sess, m)
    if not found:
        return "-ERR No such message\r\n"
    return [f"+OK {_pop3_size(found[1])} octets\r\n".encode() +
            _dotstuff(found[1]["body"]) + b".\r\n"]


def pop3_retr_cut(fraction=0.5):
    """RETR that sends `fraction` of the message and closes."""
    def respond(sess, m, tag):
        found = _pop3_msg(sess, m)
        if not found:
            return "-ERR No such message\r\n"
        data = _dotstuff(found[1]["body"])
        return [b"+OK message follows\r\n" + data[:int(len(data) * fraction)],
                CLOSE]
    return respond


def pop3_top(sess, m, tag):
    found = _pop3_msg(sess, m)
    if not found:
        return "-ERR No such message\r\n"
    body = found[1]["body"]
    parts = re.split(rb"(\r?\n\r?\n)", body, maxsplit=1)
    text = b"".join(parts[:2])
    if len(parts) > 2 and int(m.group(2)) > 0:
        text += b"\r\n".join(re.split(rb"\r?\n", parts[2])[:int(m.group(2))])
    return [b"+OK\r\n" + _dotstuff(text) + b".\r\n"]


def pop3_dele(sess, m, tag):
    found = _pop3_msg(sess, m)
    if not found:
        return "-ERR No such message\r\n"
    sess.deleted.add(found[0])
    return "+OK Marked to be deleted.\r\n"


def pop3_rset(sess, m, tag):
    sess.deleted.clear()
    return "+OK\r\n"


POP3_BASE = [
    (r"CAPA\b", "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\n.\r\n"),
    (r"USER\b", "+OK\r\n"),
    (r"(PASS|APOP)\b", pop3_login),
    (r"STAT\b", pop3_stat),
    (r"LIST(?: (\d+))?\s*$", _pop3_listing(_pop3_size)),
    (r"UIDL(?: (\d+))?\s*$", _pop3_listing(lambda x: x["uidl"])),
    (r"RETR (\d+)", pop3_retr),
    (r"TOP (\d+) (\d+)", pop3_top),
    (r"DELE (\d+)", pop3_dele),
    (r"RSET\b", pop3_rset),
    (r"NOOP\b", "+OK\r\n"),
    (r"QUIT\b", [COMMIT, "+OK Logging out.\r\n", CLOSE]),
    (r"", "-ERR Command not scripted.\r\n"),
]

GARBAGE = b"\x16\x03\x01\x00\xa5 \xff\xfe garbage \x00\x07 not a greeting\r\n"


def _mailbox_with(changes):
    """The default mailbox with per-message overrides {index: {...}}."""
    box = default_mailbox()
    for i, upd in changes.items():
        box[i].update(upd)
    return box


# -- the scenarios -----------------------------------------------------------
# name: {"proto", "doc", optional "greeting", "rules", "mailbox"}
SCENARIOS = {
    "imap_short_literal": {
        "proto": "imap",
        "doc": "BODY[] announces a 200-byte literal, sends 100, closes",
        "rules": [(r"(UID )?FETCH .*BODY(\.PEEK)?\[\]",
                   ["* 1 FETCH (UID 1 BODY[] {200}\r\n" + "x" * 98 + "\r\n",
                    CLOSE])],
    },
    "imap_size_lies_small": {
        "proto": "imap",
        "doc": "message 1 is 150 bytes but RFC822.SIZE says 100",
        "rules": [],
        "mailbox": _mailbox_with({0: {"body": tiny_body(1, 150),
                                      "claimed_size": 100}}),
    },
    "imap_size_lies_large": {
        "proto": "imap",
        "doc": "message 1 is 100 bytes but RFC822.SIZE says 150",
        "rules": [],
        "mailbox": _mailbox_with({0: {"body": tiny_body(1, 100),
                                      "claimed_size": 150}}),
    },
    "imap_expunge_mid_fetch": {
        "proto": "imap",
        "doc": "the first UID FETCH reports '* 2 EXPUNGE' after message 1; "
               "message 2 is gone afterwards",
        "rules": [(r"(UID )?FETCH (.*)", imap_fetch_with_expunge(2), 1)],
    },
    "imap_bye_mid_session": {
        "proto": "imap",
        "doc": "the first FETCH after login gets '* BYE' and the connection "
               "closes; later connections work",
        "rules": [(r"(UID )?FETCH\b",
                   ["* BYE Server shutting down.\r\n", CLOSE], 1)],
    },
    "imap_garbage_greeting": {
        "proto": "imap",
        "doc": "binary garbage instead of '* OK'; closes on any input",
        "greeting": GARBAGE,
        "rules": [(r"", [CLOSE])],
    },
    "imap_garbage_login": {
        "proto": "imap",
        "doc": "LOGIN / AUTHENTICATE is answered with an untagged garbage "
               "line, then nothing",
        "rules": [(r"(LOGIN|AUTHENTICATE)\b",
                   "\x01\x02 NOT-A-RESPONSE \xff\xfe {9999\r\n")],
    },
    "pop3_duplicate_uidl": {
        "proto": "pop3",
        "doc": "UIDL lists 'uidl-dup' for messages 1 and 3 (different "
               "content)",
        "rules": [],
        "mailbox": _mailbox_with({0: {"uidl": "uidl-dup"},
                                  2: {"uidl": "uidl-dup"}}),
    },
    "pop3_dele_then_drop": {
        "proto": "pop3",
        "doc": "DELE gets +OK; QUIT commits the deletions but the "
               "connection drops before the reply (first time only)",
        "rules": [(r"QUIT\b", [COMMIT, CLOSE], 1)],
    },
    "pop3_dele_then_drop_uncommitted": {
        "proto": "pop3",
        "doc": "DELE gets +OK; the connection drops at QUIT without "
               "committing (the messages stay; first time only)",
        "rules": [(r"QUIT\b", [CLOSE], 1)],
    },
    "pop3_garbage_greeting": {
        "proto": "pop3",
        "doc": "binary garbage instead of '+OK'; closes on any input",
        "greeting": GARBAGE,
        "rules": [(r"", [CLOSE])],
    },
    "pop3_no_uidl": {
        "proto": "pop3",
        "doc": "no UIDL support: CAPA lacks it, UIDL gets -ERR",
        "rules": [(r"CAPA\b", "+OK\r\nTOP\r\nUSER\r\n.\r\n"),
                  (r"UIDL\b", "-ERR Unknown command: UIDL\r\n")],
    },
    "pop3_retr_cut": {
        "proto": "pop3",
        "doc": "RETR 2 sends half the message and closes (first time only)",
        "rules": [(r"RETR 2\s*$", pop3_retr_cut(0.5), 1)],
    },
}

GREETINGS = {"imap": b"* OK [CAPABILITY " + IMAP_CAPS.encode() +
                     b"] badserver ready.\r\n",
             "pop3": b"+OK badserver ready <1896.697170952@badserver>\r\n"}


class _Session:
    def __init__(self, server, sock, idx):
        self.server = server
        self.sock = sock
        self.idx = idx
        self.buf = b""
        self.view = list(server.mailbox)
        self.deleted = set()
        self.commands = []
        self.closed = False
        self.started = time.monotonic()

    def record(self, cmd):
        self.commands.append(cmd)
        with self.server._lock:
            self.server.commands.append(cmd)

    def send(self, data):
        self.sock.sendall(_b(data))

    def readline(self):
        """One line without its end, or None on EOF / stop / timeout."""
        last = time.monotonic()
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                return line.rstrip(b"\r")
            if len(self.buf) > 1 << 20:
                return None
            if self.server._stop.is_set():
                return None
            now = time.monotonic()
            if now - last > self.server.idle_timeout or \
                    now - self.started > self.server.max_lifetime:
                return None
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return None
            if not data:
                return None
            self.buf += data
            last = now

    def readexact(self, n):
        while len(self.buf) < n:
            if self.server._stop.is_set():
                return None
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                if time.monotonic() - self.started > self.server.max_lifetime:
                    return None
                continue
            except OSError:
                return None
            if not data:
                return None
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_command(self):
        """(tag, command text) or None; IMAP literals are read and shown
        as {N} in the command text (their bytes go to server.literals)."""
        line = self.readline()
        if line is None:
            return None
        text = line.decode("latin-1")
        if self.server.proto == "imap":
            # client literals: "... {n}" or "... {n+}" at the line end
            for _ in range(100):
                lm = re.search(r"\{(\d+)(\+?)\}$", text)
                if not lm:
                    break
                if not lm.group(2):
                    self.send(b"+ OK\r\n")
                data = self.readexact(int(lm.group(1)))
                if data is None:
                    return None
                self.server.literals.append(data)
                more = self.readline()
                if more is None:
                    return None
                text += more.decode("latin-1")
            tag, _, cmd = text.partition(" ")
            return tag, cmd
        return "", text

    def run(self):
        srv = self.server
        self.send(srv.greeting)
        while not self.closed:
            got = self.read_command()
            if got is None:
                return
            tag, cmd = got
            self.record(cmd)
            reply = srv.answer(self, tag, cmd)
            if not self.perform(reply, tag):
                return

    def perform(self, reply, tag):
        parts = reply if isinstance(reply, list) else [reply]
        for part in parts:
            if part is CLOSE or part == CLOSE:
                return False
            if part is COMMIT or part == COMMIT:
                gone = [self.view[n - 1] for n in sorted(self.deleted)]
                for msg in gone:
                    self.server.remove(msg)
                self.server.committed.extend(m["uid"] for m in gone)
                continue
            if isinstance(part, Sleep):
                self.server._stop.wait(part.seconds)
                continue
            data = _b(part).replace(b"{tag}", tag.encode("latin-1"))
            try:
                self.send(data)
            except OSError:
                return False
        return True


class BadServer:
    """A scripted server: BadServer(scenario) or BadServer(proto=...,
    rules=[...], mailbox=[...], greeting=b"..."). Extra rules given with a
    scenario come before the scenario's own."""

    def __init__(self, scenario=None, proto=None, rules=(), mailbox=None,
                 greeting=None, idle_timeout=30.0, max_lifetime=120.0,
                 uidvalidity=1, ssl_context=None):
        spec = dict(SCENARIOS[scenario]) if scenario else {}
        self.name = scenario or "custom"
        self.proto = proto or spec.get("proto") or "imap"
        base = IMAP_BASE if self.proto == "imap" else POP3_BASE
        self.rules = [list(r) + [None] * (3 - len(r))
                      for r in [*rules, *spec.get("rules", []), *base]]
        self._patterns = [re.compile(r[0], re.I) for r in self.rules]
        self._used = [0] * len(self.rules)
        mb = mailbox if mailbox is not None else spec.get("mailbox")
        self.mailbox = [dict(m) for m in (mb or default_mailbox())]
        self.greeting = _b(greeting or spec.get("greeting") or
                           GREETINGS[self.proto])
        self.uidvalidity = uidvalidity
        self.idle_timeout = idle_timeout
        self.max_lifetime = max_lifetime
        self.ssl_context = ssl_context
        self.commands = []
        self.sessions = []
        self.literals = []
        self.committed = []         # POP3: uids deleted by a COMMIT
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(16)
        self._sock.settimeout(POLL)
        self.port = self._sock.getsockname()[1]
        self.address = (LOOPBACK, self.port)
        self._acceptor = threading.Thread(target=self._accept_loop,
                                          daemon=True,
                                          name=f"badserver-{self.name}")
        self._acceptor.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def remove(self, msg):
        with self._lock:
            self.mailbox = [m for m in self.mailbox if m is not msg and
                            m["uid"] != msg["uid"]]

    def answer(self, sess, tag, cmd):
        with self._lock:
            for i, pat in enumerate(self._patterns):
                times = self.rules[i][2]
                if times is not None and self._used[i] >= times:
                    continue
                m = pat.match(cmd)
                if m:
                    self._used[i] += 1
                    resp = self.rules[i][1]
                    break
            else:
                return []
        if callable(resp):
            resp = resp(sess, m, tag)
        return resp

    def count(self, prefix):
        """How many received commands start with `prefix` (any case)."""
        p = prefix.upper()
        return sum(1 for c in list(self.commands) if c.upper().startswith(p))

    def received(self, pattern):
        """Received commands matching the regular expression."""
        r = re.compile(pattern, re.I)
        return [c for c in list(self.commands) if r.match(c)]

    def close(self, timeout=5.0):
        self._stop.set()
        self._acceptor.join(timeout)
        for t in list(self._threads):
            t.join(timeout)
        try:
            self._sock.close()
        except OSError:
            pass

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                sock, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            sess = _Session(self, sock, len(self.sessions))
            self.sessions.append(sess.commands)
            t = threading.Thread(target=self._serve, args=(sess,),
                                 daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
            t.start()
        self._sock.close()

    def _serve(self, sess):
        try:
            sess.sock.settimeout(POLL)
            if self.ssl_context is not None:
                sess.sock.settimeout(10)
                sess.sock = self.ssl_context.wrap_socket(sess.sock,
                                                         server_side=True)
                sess.sock.settimeout(POLL)
            sess.run()
        except (OSError, ValueError):
            pass
        finally:
            try:
                sess.sock.close()
            except OSError:
                pass
