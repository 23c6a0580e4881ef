#!/usr/bin/python3
"""A model-based IMAP stress tester (in the spirit of Dovecot's imaptest).

    /usr/bin/python3 tests/stress/imapstress.py --host 127.0.0.1 --port 143 \\
        --user alice --password secret [--clients 10] [--seconds 20] [--seed N]
    --users alice:pw1,bob:pw2   several users (clients are spread over them)
    --mailboxes 3               shared mailboxes per user (stress1..N)
    --keep-mailboxes            do not DELETE+CREATE them at the start

Many concurrent clients (asyncio, raw IMAP) log in to the same accounts and
work on a few shared mailboxes with a random mix of SELECT, FETCH (FLAGS,
UID, BODY[]), STORE (+/-FLAGS), STORE \\Deleted + EXPUNGE, APPEND, COPY,
MOVE, NOOP and IDLE. Every client keeps its own model of its selected
mailbox as RFC 3501 describes it and checks every response against it; all
clients share registries of what was appended. A "state error" is a
response that contradicts the model:

  - EXISTS lower than the model's count (only EXPUNGE may shrink it);
    EXPUNGE or FETCH of a sequence number beyond the count; EXPUNGE during
    a non-UID FETCH/STORE/SEARCH; untagged mailbox data while nothing is
    selected;
  - UIDs not strictly ascending with sequence numbers, a UID that changed
    for a sequence number, a UID seen again after its EXPUNGE, a message
    from before SELECT with UID >= that SELECT's UIDNEXT or a new one below
    it; UIDNEXT lower than a UID (or UIDNEXT) known before the SELECT
    began; UIDVALIDITY changing (mailboxes are never deleted during a run);
  - APPENDUID/COPYUID: wrong UIDVALIDITY, UIDs at or below ones known
    before the command, a UID that later FETCHes as other content;
    COPYUID source UIDs that are not the UIDs of the messages copied; a
    MOVEd message still present after MOVE;
  - messages another session expunged: a server may leave them out of a
    FETCH (RFC 2180 4.1), answer BODY[] NIL with OK [EXPUNGEISSUED] (RFC
    5530, Dovecot) or NO, and a COPY/MOVE of only such messages is OK
    without COPYUID; any message treated so must then be reported
    expunged by the NOOP the client sends next;
  - content: every appended message has a unique X-Stress-Token header; a
    BODY[] must equal, byte for byte, what was appended under that token,
    and a UID's content never changes (with fresh mailboxes every message
    must carry a known token);
  - flags: each client owns two keywords ($sNa, $sNb) only it ever
    changes: every FETCH FLAGS must show them exactly as that client last
    set them (learnt from the first sight, carried across COPY/MOVE); a
    keyword seen on a message must have been stored on (a copy of) it by
    someone; \\Deleted is never removed by anyone, so once seen it stays;
    after a client's own EXPUNGE no message it saw with \\Deleted remains.

Protocol errors: BAD, NO where no NO is allowed (LOGIN, SELECT, APPEND,
NOOP, IDLE), unparseable responses, unexpected BYE or disconnects,
commands taking longer than --timeout. The exit status is 0 only when there
were no state and no protocol errors; the summary lists commands by type.

A long run: --clients 100 --seconds 600 (see tests/stress/README.md)."""
import argparse
import asyncio
import bisect
import collections
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aimap                                    # noqa: E402
from aimap import Literal, ProtocolError, parse_code, parse_fetch  # noqa

SYSTEM_FLAGS = {b"\\SEEN", b"\\ANSWERED", b"\\FLAGGED", b"\\DELETED",
                b"\\DRAFT", b"\\RECENT"}
KW_PREFIX = b"$s"
TOKEN_RE = re.compile(rb"^X-Stress-Token: (\S+)\r?$", re.M | re.I)
DELETED = b"\\Deleted"
NO_OK = {"FETCH", "UID FETCH", "STORE", "UID STORE", "COPY", "MOVE",
         "EXPUNGE", "UID EXPUNGE"}


def upper_flags(flags):
    return {f.upper() for f in flags}


def expunge_issued(rep):
    return rep.code is not None and \
        rep.code.upper().startswith(b"EXPUNGEISSUED")


class Msg:
    __slots__ = ("uid", "flags", "new")

    def __init__(self, new):
        self.uid = None
        self.flags = None       # set of flags as sent (case kept) or None
        self.new = new          # arrived after SELECT (EXISTS)


class Model:
    """The selected mailbox as one client knows it."""

    def __init__(self, user, mbox):
        self.user = user
        self.mbox = mbox
        self.msgs = []
        self.uidvalidity = None
        self.uidnext = None
        self.selecting = True
        self.expunged = set()

    def key(self, uid):
        return (self.user, self.mbox, self.uidvalidity, uid)

    def uids(self):
        return [m.uid for m in self.msgs]


class Floors:
    """Per mailbox: the lowest UIDNEXT any command that starts now must
    see, from values committed (completed) earlier."""

    def __init__(self):
        self.t = collections.defaultdict(list)
        self.v = collections.defaultdict(list)

    def commit(self, key, value):
        ts, vs = self.t[key], self.v[key]
        prev = vs[-1] if vs else 0
        ts.append(time.monotonic())
        vs.append(max(prev, value))

    def floor(self, key, since):
        ts = self.t[key]
        i = bisect.bisect_left(ts, since)
        return self.v[key][i - 1] if i else 0


class Shared:
    def __init__(self, args):
        self.args = args
        self.fresh = not args.keep_mailboxes
        self.content = {}               # token -> bytes
        self.uid_token = {}             # (user, mbox, uidv, uid) -> token
        self.allowed = collections.defaultdict(set)  # token -> keywords
        self.uidvalidity = {}           # (user, mbox) -> int
        self.floors = Floors()
        self.state_errors = 0
        self.protocol_errors = 0
        self.counts = collections.Counter()
        self.nos = collections.Counter()
        self.printed = 0
        self.seq = 0

    def token(self, who):
        self.seq += 1
        return f"{who}.{self.seq}.{random.getrandbits(32):08x}"

    def report(self, kind, client, msg, context=()):
        if kind == "state":
            self.state_errors += 1
        else:
            self.protocol_errors += 1
        if self.printed < self.args.max_errors:
            self.printed += 1
            head = f"{kind.upper()} ERROR client {client.id} ({client.user})"
            if client.cmd is not None:
                head += f" during {client.cmd.text[:120]}"
            lines = [head + ": " + msg]
            for line in list(context)[-8:]:
                lines.append("    " + line[:300])
            print("\n".join(lines), flush=True)
        elif self.printed == self.args.max_errors:
            self.printed += 1
            print("(more errors not shown)", flush=True)


class Cmd:
    def __init__(self, name, text):
        self.name = name
        self.text = text
        self.start = time.monotonic()
        self.lines = collections.deque(maxlen=12)
        self.store_targets = None       # uids whose own keywords change
        self.fetched = {}               # seq -> parsed items, this command
        self.expunged_seqs = []
        self.copyuid = None


def make_message(rnd, token, user):
    n = rnd.choice((1, 2, 5, 20, 60, 200))
    lines = [" ".join(rnd.choice(("lorem", "ipsum", "dolor", "sit", "amet",
                                  "consectetur", "adipiscing", "elit",
                                  "sed", "do", "eiusmod", "tempor"))
                      for _ in range(rnd.randint(3, 14)))
             for _ in range(n)]
    head = (f"From: Stress <stress@example.org>\r\n"
            f"To: {user}@example.org\r\n"
            f"Subject: stress {token}\r\n"
            f"Date: Sun, 29 Nov 2026 07:00:00 +0000\r\n"
            f"Message-ID: <{token}@imapstress>\r\n"
            f"X-Stress-Token: {token}\r\n\r\n")
    body = "\r\n".join(lines)
    if rnd.random() < 0.8:
        body += "\r\n"                  # some end without a line end
    return (head + body).encode()


class StressClient:
    def __init__(self, cid, user, password, shared, seed):
        self.id = cid
        self.user = user
        self.password = password
        self.sh = shared
        self.args = shared.args
        self.rnd = random.Random(seed)
        self.conn = None
        self.model = None
        self.cmd = None
        self.kws = [KW_PREFIX + b"%da" % cid, KW_PREFIX + b"%db" % cid]
        self.kws_upper = {k.upper() for k in self.kws}
        # own keyword knowledge: (user, mbox, uidv, uid) -> {KW: bool}
        self.own = collections.defaultdict(dict)
        self.errors = 0
        self.pending_gone = []

    # -- reporting -------------------------------------------------------
    def state_error(self, msg):
        self.sh.report("state", self, msg,
                       self.cmd.lines if self.cmd else ())

    def protocol_error(self, msg):
        self.errors += 1
        self.sh.report("protocol", self, msg,
                       self.cmd.lines if self.cmd else ())

    # -- untagged responses -------------------------------------------------
    def on_untagged(self, u):
        cmd = self.cmd
        if cmd is not None:
            cmd.lines.append(repr(u))
        kind = u.kind
        m = self.model
        if kind == b"BYE":
            if cmd is None or cmd.name != "LOGOUT":
                self.protocol_error(f"unexpected BYE: {u!r}")
            return
        if kind in (b"EXISTS", b"EXPUNGE", b"FETCH", b"RECENT") and m is None:
            if cmd is not None and cmd.name in ("SELECT", "LOGIN"):
                return          # SELECT's own answers; checked there
            self.state_error(f"{kind.decode()} while no mailbox is selected")
            return
        if kind == b"EXISTS":
            n = u.num
            if n < len(m.msgs):
                if m.selecting:
                    del m.msgs[n:]
                else:
                    self.state_error(f"EXISTS {n} below the {len(m.msgs)} "
                                     "messages known (only EXPUNGE shrinks)")
                    del m.msgs[n:]
            while len(m.msgs) < n:
                m.msgs.append(Msg(not m.selecting))
        elif kind == b"EXPUNGE":
            self.on_expunge(u.num)
        elif kind == b"FETCH":
            try:
                items = parse_fetch(u.rest)
            except (ProtocolError, ValueError, IndexError) as e:
                self.protocol_error(f"unparseable FETCH: {e}: {u!r}")
                return
            self.on_fetch(u.num, items)
        elif kind == b"RECENT":
            if m and not m.selecting and u.num > len(m.msgs):
                self.state_error(f"RECENT {u.num} above EXISTS "
                                 f"{len(m.msgs)}")
        elif kind == b"OK" and u.code:
            name, vals = parse_code(u.code)
            if cmd is not None and cmd.name == "SELECT" and m is not None:
                if name == b"UIDVALIDITY":
                    m.uidvalidity = int(vals[0])
                elif name == b"UIDNEXT":
                    m.uidnext = int(vals[0])
            if name == b"COPYUID" and cmd is not None:
                cmd.copyuid = vals
        elif kind in (b"NO", b"BAD"):
            if kind == b"BAD":
                self.protocol_error(f"untagged BAD: {u!r}")

    def on_expunge(self, n):
        m = self.model
        cmd = self.cmd
        if cmd is not None and cmd.name in ("FETCH", "STORE", "SEARCH"):
            self.state_error(f"EXPUNGE {n} during a non-UID {cmd.name} "
                             "(RFC 3501 7.4.1 forbids it)")
        if n < 1 or n > len(m.msgs):
            self.state_error(f"EXPUNGE {n} but only {len(m.msgs)} messages")
            return
        msg = m.msgs.pop(n - 1)
        if msg.uid is not None:
            m.expunged.add(msg.uid)
        if cmd is not None:
            cmd.expunged_seqs.append(n)
            # the fetched map is by sequence number: shift it
            if cmd.fetched:
                cmd.fetched = {(s - 1 if s > n else s): v
                               for s, v in cmd.fetched.items() if s != n}

    def on_fetch(self, n, items):
        m = self.model
        cmd = self.cmd
        if n < 1 or n > len(m.msgs):
            self.state_error(f"FETCH for message {n} but only "
                             f"{len(m.msgs)} exist")
            return
        msg = m.msgs[n - 1]
        uid = items.get(b"UID")
        if uid is not None:
            uid = int(uid)
            self.learn_uid(n, msg, uid)
        uid = msg.uid
        if cmd is not None:
            prev = cmd.fetched.get(n)
            if prev is not None:
                prev.update(items)
            else:
                cmd.fetched[n] = dict(items)
        flags = items.get(b"FLAGS")
        if flags is not None:
            self.on_flags(n, msg, flags)
        body = items.get(b"BODY[]")
        if body is None and b"RFC822" in items:
            body = items[b"RFC822"]
        if body is not None or b"BODY[]" in items:
            self.check_body(n, msg, body)

    def learn_uid(self, n, msg, uid):
        m = self.model
        if msg.uid is not None:
            if msg.uid != uid:
                self.state_error(f"message {n} had UID {msg.uid}, now "
                                 f"FETCH says UID {uid}")
            return
        if uid in m.expunged:
            self.state_error(f"UID {uid} (message {n}) was expunged before")
        for j in range(n - 2, -1, -1):
            u = m.msgs[j].uid
            if u is not None:
                if u >= uid:
                    self.state_error(f"UID {uid} of message {n} is not above "
                                     f"UID {u} of message {j + 1}")
                break
        for j in range(n, len(m.msgs)):
            u = m.msgs[j].uid
            if u is not None:
                if u <= uid:
                    self.state_error(f"UID {uid} of message {n} is not below "
                                     f"UID {u} of message {j + 1}")
                break
        if m.uidnext is not None:
            if msg.new and uid < m.uidnext:
                self.state_error(f"message {n} arrived after SELECT but has "
                                 f"UID {uid} < that SELECT's UIDNEXT "
                                 f"{m.uidnext}")
            if not msg.new and uid >= m.uidnext:
                self.state_error(f"message {n} existed at SELECT but has "
                                 f"UID {uid} >= UIDNEXT {m.uidnext}")
        msg.uid = uid

    def on_flags(self, n, msg, flags):
        m = self.model
        cmd = self.cmd
        up = upper_flags(flags)
        if msg.flags is not None and DELETED.upper() in upper_flags(
                msg.flags) and DELETED.upper() not in up:
            self.state_error(f"message {n} (UID {msg.uid}) lost \\Deleted, "
                             f"which nobody removes: FLAGS {flags}")
        msg.flags = set(flags)
        if msg.uid is None:
            return
        key = m.key(msg.uid)
        tok = self.sh.uid_token.get(key)
        if tok is not None:
            allowed = self.sh.allowed.get(tok, ())
            for f in up:
                if f.startswith(KW_PREFIX.upper()) and f not in allowed:
                    self.state_error(
                        f"message {n} (UID {msg.uid}) has keyword "
                        f"{f.decode()} that nobody stored on it: {flags}")
        if cmd is not None and cmd.store_targets is not None and \
                msg.uid in cmd.store_targets:
            return                      # checked when the STORE ends
        self.check_own(n, msg.uid, up, key)

    def check_own(self, n, uid, up, key):
        know = self.own[key]
        for kw in self.kws_upper:
            have = kw in up
            if kw in know and know[kw] != have:
                self.state_error(
                    f"message {n} (UID {uid}): my keyword {kw.decode()} "
                    f"should be {'set' if know[kw] else 'clear'} (only I "
                    f"change it), FETCH says otherwise")
            know[kw] = have

    def check_body(self, n, msg, body):
        m = self.model
        cmd = self.cmd
        if body is None:
            if cmd is not None:
                cmd.nil_body = True
            self.gone(msg, f"answered BODY[] NIL")
            return
        mt = TOKEN_RE.search(body.split(b"\r\n\r\n", 1)[0])
        tok = mt.group(1).decode() if mt else None
        if tok is None or tok not in self.sh.content:
            if self.sh.fresh:
                self.state_error(f"message {n} (UID {msg.uid}): BODY[] has "
                                 f"no known X-Stress-Token ({tok}); "
                                 f"{len(body)} bytes: {body[:120]!r}")
        else:
            want = self.sh.content[tok]
            if body != want:
                i = next((i for i in range(min(len(body), len(want)))
                          if body[i] != want[i]), min(len(body), len(want)))
                self.state_error(
                    f"message {n} (UID {msg.uid}) token {tok}: BODY[] "
                    f"differs from what was appended ({len(body)} vs "
                    f"{len(want)} bytes, first difference at {i}: "
                    f"{body[max(0, i - 20):i + 20]!r} vs "
                    f"{want[max(0, i - 20):i + 20]!r})")
        if msg.uid is not None and tok is not None:
            self.register_uid(m.mbox, m.uidvalidity, msg.uid, tok,
                              f"FETCH of message {n}")

    def register_uid(self, mbox, uidv, uid, tok, what):
        key = (self.user, mbox, uidv, uid)
        old = self.sh.uid_token.get(key)
        if old is None:
            self.sh.uid_token[key] = tok
        elif old != tok:
            self.state_error(f"{what}: UID {uid} in {mbox} is token {tok}, "
                             f"but was token {old} before (UID reused or "
                             f"content changed)")

    # -- commands ----------------------------------------------------------
    async def run_cmd(self, name, *args, label=None, idle=None,
                      targets=None):
        text = " ".join([name] + [a if isinstance(a, str) else
                                  (f"{{{len(a)}}}" if isinstance(a, Literal)
                                   else a.decode()) for a in args])
        self.cmd = cmd = Cmd(name, text)
        cmd.nil_body = False
        if targets is not None:
            cmd.store_targets = set(targets)
        self.sh.counts[label or name] += 1
        try:
            if idle is not None:
                rep = await self.conn.idle(idle)
            else:
                rep = await self.conn.command(name, *args,
                                              timeout=self.args.timeout)
        except ProtocolError as e:
            self.protocol_error(f"{text[:100]}: {e}")
            raise
        cmd.lines.append(repr(rep))
        if rep.status == "BAD":
            self.protocol_error(f"BAD: {rep!r}")
        elif rep.status == "NO":
            self.sh.nos[label or name] += 1
            if name not in NO_OK:
                self.protocol_error(f"NO: {rep!r}")
        return rep

    def gone(self, msg, why):
        """msg was treated as expunged by another session: the next NOOP
        must report its EXPUNGE."""
        self.pending_gone.append((msg, why, self.cmd.text if self.cmd
                                  else ""))

    async def do_poll(self):
        m = self.model
        pending, self.pending_gone = self.pending_gone, []
        await self.run_cmd("NOOP", label="NOOP (expunge poll)")
        if self.model is m:
            present = {id(x): i + 1 for i, x in enumerate(m.msgs)}
            for msg, why, text in pending:
                if id(msg) in present:
                    self.state_error(
                        f"message {present[id(msg)]} (UID {msg.uid}) was "
                        f"{why} ({text[:60]}), as if expunged, but NOOP "
                        f"reported no EXPUNGE for it")
        self.end_cmd()

    def end_cmd(self):
        self.cmd = None

    def own_kw_change(self, targets, op, kws):
        """Before a STORE of my keywords: the new knowledge."""
        m = self.model
        for uid in targets:
            know = self.own[m.key(uid)]
            for kw in kws:
                if op == "+":
                    know[kw.upper()] = True
                elif op == "-":
                    know[kw.upper()] = False

    async def do_select(self, mbox=None):
        mbox = mbox or self.rnd.choice(self.args.mailbox_names)
        start = time.monotonic()
        self.model = Model(self.user, mbox)
        self.pending_gone = []
        rep = await self.run_cmd("SELECT", mbox)
        m = self.model
        if rep.status != "OK":
            self.model = None
            self.end_cmd()
            return
        m.selecting = False
        if m.uidvalidity is None or m.uidnext is None:
            self.state_error(f"SELECT {mbox}: no UIDVALIDITY/UIDNEXT")
            self.model = None
            self.end_cmd()
            return
        gk = (self.user, mbox)
        old = self.sh.uidvalidity.setdefault(gk, m.uidvalidity)
        if old != m.uidvalidity:
            self.state_error(f"UIDVALIDITY of {mbox} changed from {old} to "
                             f"{m.uidvalidity}")
        floor = self.sh.floors.floor(gk, start)
        if m.uidnext < floor:
            self.state_error(f"SELECT {mbox}: UIDNEXT {m.uidnext} below "
                             f"{floor}, known before this SELECT began")
        self.sh.floors.commit(gk, m.uidnext)
        self.end_cmd()
        await self.do_fetch_all()

    async def do_fetch_all(self, items="(UID FLAGS)"):
        m = self.model
        if not m.msgs:
            return await self.do_noop()
        n0 = len(m.msgs)
        rep = await self.run_cmd("FETCH", "1:*", items,
                                 label="FETCH 1:* (UID FLAGS)")
        if rep.status == "OK" and self.model is m:
            seen = set(self.cmd.fetched)
            missing = [s for s in range(1, min(n0, len(m.msgs)) + 1)
                       if s not in seen]
            for s in missing:
                self.gone(m.msgs[s - 1], "left out of FETCH 1:*")
        self.end_cmd()

    def pick_seqs(self, maxn=5, known=False):
        m = self.model
        cands = range(1, len(m.msgs) + 1)
        if known:
            cands = [i for i in cands if m.msgs[i - 1].uid is not None and
                     m.key(m.msgs[i - 1].uid) in self.sh.uid_token]
        cands = list(cands)
        if not cands:
            return []
        k = min(len(cands), self.rnd.randint(1, maxn))
        if self.rnd.random() < 0.5:
            i = self.rnd.randrange(len(cands) - k + 1)
            return cands[i:i + k]
        return sorted(self.rnd.sample(cands, k))

    async def do_fetch_body(self):
        m = self.model
        seqs = self.pick_seqs(3)
        if not seqs:
            return await self.do_noop()
        peek = self.rnd.random() < 0.7
        use_uid = self.rnd.random() < 0.4 and all(
            m.msgs[s - 1].uid is not None for s in seqs)
        item = "BODY.PEEK[]" if peek else "BODY[]"
        if use_uid:
            uids = [m.msgs[s - 1].uid for s in seqs]
            rep = await self.run_cmd("UID FETCH", aimap.seqset(uids),
                                     f"(UID FLAGS {item})",
                                     label="UID FETCH BODY[]")
        else:
            rep = await self.run_cmd("FETCH", aimap.seqset(seqs),
                                     f"(UID FLAGS {item})",
                                     label="FETCH BODY[]")
        cmd = self.cmd
        # Messages another session expunged may be left out of an answer
        # (RFC 2180 4.1): OK without them, OK [EXPUNGEISSUED] (RFC 5530)
        # with BODY[] NIL (Dovecot), or NO. Either way they must be
        # reported expunged by the NOOP that follows.
        if rep.status == "OK" and self.model is m:
            if use_uid:
                got = {int(v[b"UID"]) for v in cmd.fetched.values()
                       if b"BODY[]" in v and b"UID" in v}
                for msg in m.msgs:
                    if msg.uid in uids and msg.uid not in got:
                        self.gone(msg, "left out of UID FETCH BODY[]")
            else:
                for s in seqs:
                    got = cmd.fetched.get(s)
                    if (got is None or b"BODY[]" not in got) and \
                            s <= len(m.msgs):
                        self.gone(m.msgs[s - 1], "left out of FETCH BODY[]")
        self.end_cmd()

    async def do_store(self):
        m = self.model
        seqs = self.pick_seqs(5, known=True)
        if not seqs:
            return await self.do_fetch_all()
        r = self.rnd.random()
        if r < 0.6:
            kws = [k for k in self.kws if self.rnd.random() < 0.6] or \
                [self.kws[0]]
        else:
            kws = []
        sysf = [f for f in (b"\\Seen", b"\\Flagged", b"\\Answered")
                if self.rnd.random() < 0.3]
        op = self.rnd.choice("+-")
        flags = kws + sysf or [b"\\Flagged"]
        silent = self.rnd.random() < 0.2
        use_uid = self.rnd.random() < 0.4
        uids = [m.msgs[s - 1].uid for s in seqs]
        if op == "+":
            for u in uids:
                self.sh.allowed[self.sh.uid_token[m.key(u)]].update(
                    k.upper() for k in kws)
        self.own_kw_change(uids, op, kws)
        item = f"{op}FLAGS{'.SILENT' if silent else ''}"
        flagtext = "(" + " ".join(f.decode() for f in flags) + ")"
        if use_uid:
            rep = await self.run_cmd("UID STORE", aimap.seqset(uids), item,
                                     flagtext, targets=uids)
        else:
            rep = await self.run_cmd("STORE", aimap.seqset(seqs), item,
                                     flagtext, targets=uids)
        cmd = self.cmd
        if self.model is m:
            if rep.status != "OK":
                for u in uids:          # may or may not have happened
                    know = self.own[m.key(u)]
                    for kw in kws:
                        know.pop(kw.upper(), None)
            else:
                # the last FETCH of each target shows the new state
                cmd.store_targets = None
                for s, items in cmd.fetched.items():
                    if b"FLAGS" in items and s <= len(m.msgs) and \
                            m.msgs[s - 1].uid in uids:
                        u = m.msgs[s - 1].uid
                        self.check_own(s, u, upper_flags(items[b"FLAGS"]),
                                       m.key(u))
        self.end_cmd()

    async def do_delete(self):
        m = self.model
        seqs = self.pick_seqs(4)
        if not seqs:
            return await self.do_noop()
        rep = await self.run_cmd("STORE", aimap.seqset(seqs),
                                 "+FLAGS.SILENT", "(\\Deleted)",
                                 label="STORE \\Deleted")
        self.end_cmd()
        if self.model is not m:
            return
        if rep.status == "OK":
            for s in seqs:
                if s <= len(m.msgs):
                    msg = m.msgs[s - 1]
                    if msg.flags is None:
                        msg.flags = set()
                    msg.flags.add(DELETED)
        await self.do_expunge()

    async def do_expunge(self):
        m = self.model
        must_go = {msg.uid for msg in m.msgs if msg.uid is not None and
                   msg.flags and DELETED.upper() in upper_flags(msg.flags)}
        rep = await self.run_cmd("EXPUNGE")
        if rep.status == "OK" and self.model is m:
            left = must_go & set(m.uids())
            if left:
                self.state_error(f"EXPUNGE done, but UIDs {sorted(left)[:10]}"
                                 f" with \\Deleted (seen before it) remain")
        self.end_cmd()

    async def do_append(self):
        mbox = self.rnd.choice(self.args.mailbox_names)
        tok = self.sh.token(f"c{self.id}")
        data = make_message(self.rnd, tok, self.user)
        flags = [f for f in (b"\\Seen", b"\\Flagged", b"\\Answered",
                             b"\\Draft") if self.rnd.random() < 0.2]
        kws = [k for k in self.kws if self.rnd.random() < 0.3]
        self.sh.content[tok] = data
        self.sh.allowed[tok].update(k.upper() for k in kws)
        gk = (self.user, mbox)
        start = time.monotonic()
        args = [mbox]
        allf = flags + kws
        if allf or self.rnd.random() < 0.5:
            args.append("(" + " ".join(f.decode() for f in allf) + ")")
        rep = await self.run_cmd("APPEND", *args, Literal(data))
        if rep.status == "OK":
            name, vals = parse_code(rep.code)
            if name == b"APPENDUID":
                uidv, uid = int(vals[0]), int(vals[1])
                known = self.sh.uidvalidity.setdefault(gk, uidv)
                if known != uidv:
                    self.state_error(f"APPENDUID UIDVALIDITY {uidv}, the "
                                     f"mailbox has {known}")
                floor = self.sh.floors.floor(gk, start)
                if uid < floor:
                    self.state_error(f"APPENDUID {uid} is below {floor}, "
                                     "a UIDNEXT known before the APPEND")
                self.register_uid(mbox, uidv, uid, tok, "APPENDUID")
                self.sh.floors.commit(gk, uid + 1)
                know = self.own[(self.user, mbox, uidv, uid)]
                for kw in self.kws:
                    know[kw.upper()] = kw in kws
        self.end_cmd()

    async def do_copy(self, move=False):
        m = self.model
        seqs = self.pick_seqs(4)
        if not seqs:
            return await self.do_noop()
        dest = self.rnd.choice(self.args.mailbox_names)
        gk = (self.user, dest)
        start = time.monotonic()
        src = {s: m.msgs[s - 1].uid for s in seqs}
        src_msgs = [m.msgs[s - 1] for s in seqs]
        name = "MOVE" if move else "COPY"
        rep = await self.run_cmd(name, aimap.seqset(seqs), dest)
        cmd = self.cmd
        vals = None
        if rep.status == "OK":
            cname, cvals = parse_code(rep.code)
            vals = cvals if cname == b"COPYUID" else cmd.copyuid
        if vals:
            uidv = int(vals[0])
            suids = aimap.parse_seqset(vals[1])
            duids = aimap.parse_seqset(vals[2])
            known = self.sh.uidvalidity.setdefault(gk, uidv)
            if known != uidv:
                self.state_error(f"COPYUID UIDVALIDITY {uidv} for {dest}, "
                                 f"it has {known}")
            if len(suids) != len(duids):
                self.state_error(f"COPYUID with {len(suids)} source and "
                                 f"{len(duids)} destination UIDs")
            want = set(src.values())
            if None not in want and not set(suids) <= want:
                self.state_error(f"COPYUID source UIDs {suids} are not the "
                                 f"UIDs {sorted(want)} of messages {seqs}")
            floor = self.sh.floors.floor(gk, start)
            if duids and min(duids) < floor:
                self.state_error(f"COPYUID destination UID {min(duids)} "
                                 f"below {floor}, known before the {name}")
            if len(set(duids)) != len(duids):
                self.state_error(f"COPYUID destination UIDs repeat: {duids}")
            srckey = m.key
            for su, du in zip(suids, duids):
                tok = self.sh.uid_token.get(srckey(su))
                if tok is not None:
                    self.register_uid(dest, uidv, du, tok, f"COPYUID ({name})")
                know = self.own.get(srckey(su))
                if know:
                    self.own[(self.user, dest, uidv, du)] = dict(know)
            if duids:
                self.sh.floors.commit(gk, max(duids) + 1)
            if move and self.model is m:
                left = set(suids) & set(m.uids())
                if left:
                    self.state_error(f"MOVE done, but UIDs {sorted(left)} "
                                     "are still in the source mailbox")
        elif rep.status == "OK" and not self.sh.args.no_uidplus and \
                self.model is m:
            # nothing copied: all of them must have been expunged
            present = {id(x) for x in m.msgs}
            for msg in src_msgs:
                if id(msg) not in present:
                    continue
                self.gone(msg, f"not copied by an OK {name} without COPYUID")
        self.end_cmd()

    async def do_noop(self):
        await self.run_cmd("NOOP")
        self.end_cmd()

    async def do_idle(self):
        await self.run_cmd("IDLE", idle=self.rnd.uniform(0.05, 0.8))
        self.end_cmd()

    # -- the loop ------------------------------------------------------------
    async def connect(self):
        try:
            self.conn = await aimap.Client.connect(self.args.host,
                                                   self.args.port,
                                                   timeout=self.args.timeout)
        except ProtocolError as e:
            self.protocol_error(f"connect: {e}")
            raise
        self.conn.prefix = f"c{self.id}."
        self.conn.on_untagged = self.on_untagged
        self.model = None
        self.cmd = Cmd("LOGIN", "LOGIN")
        self.sh.counts["LOGIN"] += 1
        try:
            await self.conn.login(self.user, self.password)
        except ProtocolError as e:
            self.protocol_error(f"{e}")
            raise
        finally:
            self.cmd = None
        self.sh.args.no_uidplus = self.sh.args.no_uidplus or \
            b"UIDPLUS" not in self.conn.caps

    async def run(self, deadline):
        weights = [("select", 4), ("fetch_all", 8), ("fetch_body", 12),
                   ("store", 18), ("delete", 5), ("append", 14),
                   ("copy", 4), ("move", 3), ("noop", 4), ("idle", 3)]
        while time.monotonic() < deadline and self.errors < 20:
            try:
                if self.conn is None or self.conn.closed:
                    async with self.sh.connecting:
                        await self.connect()
                    await self.do_select()
                    continue
                if self.model is None:
                    await self.do_select()
                    continue
                if self.pending_gone:
                    await self.do_poll()
                    continue
                n = len(self.model.msgs)
                w = [(k, v * (4 if k == "delete" and n > self.args.target
                              else 1) * (0.2 if k in ("append", "copy") and
                                         n > 2 * self.args.target else 1))
                     for k, v in weights]
                op = self.rnd.choices([k for k, _ in w],
                                      [v for _, v in w])[0]
                if op == "move":
                    await self.do_copy(move=True)
                elif op == "copy":
                    await self.do_copy()
                else:
                    await getattr(self, "do_" + op)()
            except ProtocolError:
                self.cmd = None
                if self.conn is not None:
                    self.conn.abort()
                self.conn = None
                await asyncio.sleep(0.2)
            except (OSError, asyncio.TimeoutError) as e:
                self.protocol_error(f"connection: {e!r}")
                self.conn = None
                await asyncio.sleep(0.2)
        if self.conn is not None and not self.conn.closed:
            await self.do_logout()

    async def do_logout(self):
        self.cmd = Cmd("LOGOUT", "LOGOUT")
        self.sh.counts["LOGOUT"] += 1
        rep = await self.conn.logout()
        if rep is None or rep.status != "OK":
            self.protocol_error(f"LOGOUT: {rep!r}")
        self.cmd = None


async def setup(args, shared):
    for user, pw in args.accounts:
        c = await aimap.Client.connect(args.host, args.port,
                                       timeout=args.timeout)
        await c.login(user, pw)
        for mbox in args.mailbox_names:
            if not args.keep_mailboxes:
                await c.command("DELETE", mbox)
                rep = await c.command("CREATE", mbox)
                if rep.status != "OK":
                    raise SystemExit(f"CREATE {mbox} for {user}: {rep!r}")
            else:
                await c.command("CREATE", mbox)
        await c.logout()


async def final_check(args, shared):
    """After the clients: every message's content once more, in a fresh
    session per mailbox."""
    class Final(StressClient):
        pass
    bad = 0
    for i, (user, pw) in enumerate(args.accounts):
        fc = Final(10000 + i, user, pw, shared, 0)
        try:
            await fc.connect()
            for mbox in args.mailbox_names:
                before = shared.state_errors
                await fc.do_select(mbox)
                if fc.model is not None and fc.model.msgs:
                    await fc.run_cmd("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])",
                                     label="final FETCH")
                    fc.end_cmd()
                    unknown = [m.uid for m in fc.model.msgs
                               if fc.model.key(m.uid) not in shared.uid_token]
                    if unknown and shared.fresh:
                        fc.state_error(f"{mbox}: UIDs {unknown[:10]} hold "
                                       "no known message")
                    print(f"final: {user}/{mbox}: {len(fc.model.msgs)} "
                          f"messages, contents checked", flush=True)
                bad += shared.state_errors - before
            await fc.do_logout()
        except ProtocolError as e:
            shared.report("protocol", fc, f"final check: {e}")
    return bad


async def amain(args):
    shared = Shared(args)
    # ramp up: a burst of 100 connections made Dovecot's greeting take
    # more than 30 s on a loaded 2-CPU machine
    shared.connecting = asyncio.Semaphore(args.connect_concurrency)
    await setup(args, shared)
    clients = []
    for i in range(args.clients):
        user, pw = args.accounts[i % len(args.accounts)]
        clients.append(StressClient(i + 1, user, pw, shared,
                                    args.seed * 1000003 + i))
    deadline = time.monotonic() + args.seconds
    t0 = time.monotonic()
    progress = asyncio.ensure_future(report_progress(shared, t0, deadline))
    await asyncio.gather(*(c.run(deadline) for c in clients))
    progress.cancel()
    elapsed = time.monotonic() - t0
    await final_check(args, shared)
    return shared, elapsed


async def report_progress(shared, t0, deadline):
    while True:
        await asyncio.sleep(10)
        total = sum(shared.counts.values())
        print(f"[{time.monotonic() - t0:5.0f} s] {total} commands, "
              f"{shared.state_errors} state errors, {shared.protocol_errors} "
              f"protocol errors", flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Model-based IMAP stress tester (see the docstring).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=143)
    p.add_argument("--user", help="one account (with --password)")
    p.add_argument("--password")
    p.add_argument("--users", help="several accounts: user:pw,user:pw")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--mailboxes", type=int, default=3,
                   help="shared mailboxes per user: stress1..N (3)")
    p.add_argument("--prefix", default="stress",
                   help="mailbox name prefix (stress)")
    p.add_argument("--keep-mailboxes", action="store_true",
                   help="do not DELETE and CREATE the mailboxes at start "
                        "(then unknown old messages are not errors)")
    p.add_argument("--target", type=int, default=40,
                   help="mailbox size the op mix aims at (40)")
    p.add_argument("--timeout", type=float, default=30,
                   help="seconds any one command may take (30)")
    p.add_argument("--connect-concurrency", type=int, default=10,
                   help="connections being opened at once (10)")
    p.add_argument("--max-errors", type=int, default=50,
                   help="errors printed in full (50)")
    args = p.parse_args(argv)
    accounts = []
    if args.users:
        for item in args.users.split(","):
            u, _, pw = item.partition(":")
            accounts.append((u, pw))
    if args.user:
        accounts.append((args.user, args.password or ""))
    if not accounts:
        p.error("give --user/--password or --users")
    args.accounts = accounts
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    args.mailbox_names = [f"{args.prefix}{i + 1}"
                          for i in range(args.mailboxes)]
    args.no_uidplus = False
    return args


def main(argv=None):
    args = parse_args(argv)
    random.seed(args.seed)
    print(f"imapstress: {args.clients} clients, {args.seconds:g} s, "
          f"{len(args.accounts)} user(s), mailboxes "
          f"{', '.join(args.mailbox_names)}, seed {args.seed}, "
          f"{args.host}:{args.port}", flush=True)
    try:
        shared, elapsed = asyncio.run(amain(args))
    except (ProtocolError, OSError) as e:
        print(f"imapstress: cannot run: {e}", flush=True)
        return 2
    total = sum(shared.counts.values())
    print(f"\n{total} commands in {elapsed:.1f} s "
          f"({total / elapsed:.0f}/s); by type (NO answers):")
    for name, n in sorted(shared.counts.items(), key=lambda x: -x[1]):
        no = shared.nos.get(name, 0)
        print(f"  {name:26} {n:8d}" + (f"  ({no} NO)" if no else ""))
    print(f"messages appended: {len(shared.content)}")
    print(f"state errors: {shared.state_errors}")
    print(f"protocol errors: {shared.protocol_errors}")
    return 0 if shared.state_errors == 0 and shared.protocol_errors == 0 \
        else 1


if __name__ == "__main__":
    sys.exit(main())
