#!/usr/bin/python3
"""Access-server load benchmark: conflux's IMAP/POP3 servers against a
throwaway Dovecot holding the same mail, in one run.

    /usr/bin/python3 bench/imap_load.py [--quick] [--servers dovecot,conflux]
        [--idle N] [--sessions N] [--seconds T] [--json FILE] ...

Run as root (Dovecot's mail processes run as `mail`, conflux switches to
its own user). Each server is started in turn (never both at once), filled
with the same generated messages (tests/integration/peers/corpus.py), and
measured by an asyncio client (tests/stress/aimap.py):

 (a) idle: N (2000) connections that LOGIN, SELECT INBOX and stay open;
     memory per connection = (server memory with them - before) / N, both
     as the sum of VmRSS and of Pss (smaps_rollup) over every process of
     the server's session (Dovecot: master, login, auth, imap, ...;
     conflux: `conflux serve`). Pss shares the pages of Dovecot's forked
     processes fairly; RSS counts them once per process.
 (b) mixed: S (100) sessions spread over 10 users, each looping SELECT
     INBOX / FETCH 1:* (FLAGS ENVELOPE) / FETCH n BODY[] / STORE n
     +FLAGS or -FLAGS (\\Flagged) / IDLE+DONE for T seconds: operations/s
     and p50/p99 latency per command.
 (c) logins: L (10) workers each looping connect, LOGIN, LOGOUT, close.
 (d) appends: A (50) logged-in clients APPENDing 2-4 KB messages to INBOX
     (Dovecot: mail_fsync=optimized, its default, fsyncs every saved mail;
     conflux commits every APPEND durably); the INBOX counts are checked.
 (e) pop3: one POP3 session RETRs every message of a 5,000-message
     (~150 MB) mailbox in order: MB/s of wire data.

It prints a table with both servers and the ratio conflux/Dovecot, and
writes JSON with --json. The load generator shares the machine's CPUs with
the server: compare ratios, not absolute figures.

conflux: CONFLUX_BIN (default build/src/cli/conflux); `conflux init`,
`conflux user add` (password on stdin), listeners set in conflux.conf
([imap] listen, tls_listen empty; [pop3] likewise; [lmtp] listen), mail
loaded with `conflux store import` (one batch per user), then `conflux -c
CONF serve`. When the binary cannot serve IMAP yet, the conflux column says
why and the run still succeeds for Dovecot (exit status 0; 2 with
--require-conflux).

Everything lives under one directory in --dir (/var/tmp: a disk, so fsyncs
are real), removed at the end unless --keep."""
import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "stress"))

from peers import corpus, free_port, wait_port      # noqa: E402
from peers.dovecot import Dovecot                   # noqa: E402
import aimap                                        # noqa: E402

CONFLUX_BIN = os.environ.get("CONFLUX_BIN",
                             str(ROOT / "build" / "src" / "cli" / "conflux"))
HOST = "127.0.0.1"
PASSWORD = "bench-pw-1"
LOAD_USERS = [f"load{i}" for i in range(10)]
APPEND_USERS = [f"app{i}" for i in range(10)]
POP_USER = "pop"
TARGETS = {"idle_kib_rss": ("<=", 64), "idle_kib_pss": ("<=", 64),
           "logins_s": (">=", 300), "append_s": (">=", 500),
           "mixed_p99_ms": ("<=", 50)}


class Unavailable(Exception):
    """A server (or one of its protocols) cannot be measured."""


# -- memory of a server ------------------------------------------------

def session_pids(sid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(b")") + 2:].split()
        if int(fields[3]) == sid:          # state ppid pgrp session
            out.append(int(d))
    return out


def memory(sid):
    """(processes, RSS KiB, Pss KiB) summed over a session."""
    rss = pss = n = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
            n += 1
        except (OSError, ValueError):
            continue
    return n, rss, pss


# -- the servers ---------------------------------------------------------

def bench_messages(n, seed):
    """The generated mail as bytes (flags dropped: both servers get the
    same messages, all unflagged)."""
    return [m.data for m in corpus.make_mailbox(n, seed=seed)]


class DovecotServer:
    name = "dovecot"

    def __init__(self, base, args):
        self.args = args
        n = args.idle + 500
        users = {u: PASSWORD for u in LOAD_USERS + APPEND_USERS + [POP_USER]}
        # Dovecot's built-in limits (100 processes per service, 1000
        # clients, 200 connections per user and IP) would cap the idle
        # test: raise them all above the load.
        extra = f"""
mail_max_userip_connections = {n}
default_process_limit = {n}
default_client_limit = {2 * n}
default_vsz_limit = 1G
service imap {{
  process_limit = {n}
}}
"""
        self.dov = Dovecot(users=users, base=str(base / "dovecot"),
                           extra=extra)

    def start(self):
        self.dov.start()
        self.imap_port = self.dov.imap_port
        self.pop3_port = self.dov.pop3_port
        self.sid = self.dov.proc.pid
        return self

    def fill(self, user, msgs):
        corpus.fill_dovecot(self.dov, user, msgs, check=False)
        self.dov.close_connections()

    def stop(self):
        self.dov.stop(keep=True)

    def describe(self):
        return "Dovecot 2.3 (mail_fsync=optimized, limits raised)"


def set_conf(path, section, key, value):
    """Set `key = value` in [section] of an INI-style conflux.conf,
    replacing an existing line or adding the key/section."""
    lines = path.read_text().splitlines()
    cur, at, insert = None, None, None
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            cur = s[1:-1].strip()
            if cur == section:
                insert = i + 1
            continue
        if cur == section:
            if not s.startswith("#") and "=" in s and \
                    s.split("=", 1)[0].strip() == key:
                at = i
            if s:
                insert = i + 1
    text = f"{key} = {value}".rstrip()
    if at is not None:
        lines[at] = text
    elif insert is not None:
        lines.insert(insert, text)
    else:
        lines += ["", f"[{section}]", text]
    path.write_text("\n".join(lines) + "\n")


class ConfluxServer:
    name = "conflux"

    def __init__(self, base, args):
        self.args = args
        self.base = base / "conflux"
        self.data = self.base / "data"
        self.conf = self.data / "conflux.conf"
        self.proc = None
        self.log = self.base / "serve.log"

    def run(self, *cmd, input=None, timeout=600):
        p = subprocess.run([CONFLUX_BIN, "-c", str(self.conf), *map(str, cmd)],
                           input=input, capture_output=True, timeout=timeout)
        if p.returncode != 0:
            raise Unavailable(f"conflux {' '.join(map(str, cmd[:3]))} exited "
                              f"{p.returncode}: "
                              f"{p.stderr.decode(errors='replace')[-500:]}")
        return p

    def start(self):
        if not os.access(CONFLUX_BIN, os.X_OK):
            raise Unavailable(f"no conflux binary at {CONFLUX_BIN}")
        self.base.mkdir(parents=True)
        os.chmod(self.base, 0o711)
        p = subprocess.run([CONFLUX_BIN, "init", "--data", str(self.data)],
                           capture_output=True)
        if p.returncode != 0:
            raise Unavailable(f"conflux init: {p.stderr.decode()[-300:]}")
        for u in LOAD_USERS + APPEND_USERS + [POP_USER]:
            self.run("user", "add", u, input=(PASSWORD + "\n").encode())
        self.imap_port, self.pop3_port, lmtp = free_port(), free_port(), \
            free_port()
        set_conf(self.conf, "imap", "listen", f"{HOST}:{self.imap_port}")
        set_conf(self.conf, "imap", "tls_listen", "")
        set_conf(self.conf, "pop3", "listen", f"{HOST}:{self.pop3_port}")
        set_conf(self.conf, "pop3", "tls_listen", "")
        set_conf(self.conf, "lmtp", "listen", f"{HOST}:{lmtp}")
        for item in self.args.conflux_set:
            skey, value = item.split("=", 1)
            section, key = skey.split(".", 1)
            set_conf(self.conf, section.strip(), key.strip(), value.strip())
        self.msgdir = self.base / "import"
        self.msgdir.mkdir()
        os.chmod(self.msgdir, 0o755)
        self._serve()
        return self

    def _serve(self):
        self.proc = subprocess.Popen(
            [CONFLUX_BIN, "-c", str(self.conf), "serve"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"), start_new_session=True)
        self.sid = self.proc.pid
        if not wait_port(self.imap_port, timeout=15, proc=self.proc):
            tail = self.log.read_text(errors="replace")[-600:]
            self.stop()
            raise Unavailable("`conflux serve` does not accept IMAP "
                              f"connections on {HOST}:{self.imap_port} "
                              f"(is src/server/imap in?): {tail.strip()}")

    def fill(self, user, msgs):
        """`conflux store import` of every message in one batch."""
        d = self.msgdir / user
        d.mkdir()
        os.chmod(d, 0o755)
        paths = []
        for i, data in enumerate(msgs):
            p = d / f"{i:06d}.eml"
            p.write_bytes(data)
            os.chmod(p, 0o644)
            paths.append(str(p))
        # the CLI takes at most ~250 arguments: batches of 200 files
        for i in range(0, len(paths), 200):
            self.run("store", "import", user, "--folder", "INBOX",
                     *paths[i:i + 200])
        shutil.rmtree(d, ignore_errors=True)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        self.proc = None

    def describe(self):
        return f"conflux ({CONFLUX_BIN})"


# -- statistics -----------------------------------------------------------

def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Lat:
    def __init__(self):
        self.by = {}
        self.errors = {}

    def add(self, op, rep):
        self.by.setdefault(op, []).append(rep.elapsed)
        if rep.status != "OK":
            self.errors[op] = self.errors.get(op, 0) + 1
            if self.errors[op] <= 3:
                print(f"    {op}: {rep!r}", flush=True)

    def error(self, op, exc):
        self.errors[op] = self.errors.get(op, 0) + 1
        if self.errors[op] <= 3:
            print(f"    {op}: {exc}", flush=True)


# -- the measurements -----------------------------------------------------

async def open_session(port, user, select=True):
    c = await aimap.Client.connect(HOST, port, timeout=60)
    await c.login(user, PASSWORD)
    exists = 0
    if select:
        rep = await c.command("SELECT", "INBOX")
        if rep.status != "OK":
            raise aimap.ProtocolError(f"SELECT: {rep!r}")
        for u in rep.untagged:
            if u.kind == b"EXISTS":
                exists = u.num
    c.exists = exists
    return c


async def close_all(clients):
    for c in clients:
        c.abort()
    await asyncio.sleep(0)


async def wait_settle(srv, procs_before, timeout=30):
    """After closing connections: wait until the server is back to its
    process count (Dovecot's imap processes exit one by one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if memory(srv.sid)[0] <= procs_before:
            return
        await asyncio.sleep(0.2)


async def test_idle(srv, args):
    # warm up: one session so auth and friends exist in "before"
    c = await open_session(srv.imap_port, LOAD_USERS[0])
    await c.logout()
    await asyncio.sleep(1.0)
    procs0, rss0, pss0 = memory(srv.sid)
    sem = asyncio.Semaphore(args.connect_concurrency)
    clients, fails = [], []
    t0 = time.monotonic()

    async def one(i):
        async with sem:
            try:
                clients.append(await open_session(
                    srv.imap_port, LOAD_USERS[i % len(LOAD_USERS)]))
            except (aimap.ProtocolError, OSError, asyncio.TimeoutError) as e:
                fails.append(e)
    await asyncio.gather(*(one(i) for i in range(args.idle)))
    setup = time.monotonic() - t0
    await asyncio.sleep(2.0)
    # every connection still answers
    alive = 0
    for c in clients:
        try:
            r = await c.command("NOOP", timeout=30)
            alive += r.status == "OK"
        except aimap.ProtocolError:
            pass
    await asyncio.sleep(0.5)
    procs1, rss1, pss1 = memory(srv.sid)
    n = len(clients)
    await close_all(clients)
    if fails:
        print(f"    {len(fails)} connections failed, first: {fails[0]}")
    if not n:
        raise Unavailable(f"no idle connection could be opened: {fails[0]}")
    res = {"idle_conns": n, "idle_alive": alive, "idle_failed": len(fails),
           "idle_setup_s": setup, "idle_procs_before": procs0,
           "idle_procs_after": procs1,
           "idle_rss_before_kib": rss0, "idle_rss_after_kib": rss1,
           "idle_kib_rss": (rss1 - rss0) / n, "idle_kib_pss": (pss1 - pss0) / n}
    print(f"  (a) idle: {n} connections ({alive} answer NOOP, "
          f"{len(fails)} failed) in {setup:.1f} s; processes {procs0} -> "
          f"{procs1}; RSS {rss0 / 1024:.1f} -> {rss1 / 1024:.1f} MiB = "
          f"{res['idle_kib_rss']:.1f} KiB/conn, Pss "
          f"{res['idle_kib_pss']:.1f} KiB/conn", flush=True)
    return res


MIXED_OPS = ("SELECT", "FETCH 1:* (FLAGS ENVELOPE)", "FETCH n BODY[]",
             "STORE n +/-FLAGS", "IDLE+DONE")


async def test_mixed(srv, args):
    lat = Lat()
    stop = [False]
    clients = []
    for i in range(args.sessions):
        clients.append(await open_session(srv.imap_port,
                                          LOAD_USERS[i % len(LOAD_USERS)],
                                          select=False))

    async def loop(c, seed):
        rnd = random.Random(seed)
        plus = True
        exists = 1
        try:
            while not stop[0]:
                rep = await c.command("SELECT", "INBOX")
                lat.add(MIXED_OPS[0], rep)
                for u in rep.untagged:
                    if u.kind == b"EXISTS":
                        exists = max(1, u.num)
                if stop[0]:
                    break
                lat.add(MIXED_OPS[1], await c.command(
                    "FETCH", "1:*", "(FLAGS ENVELOPE)"))
                if stop[0]:
                    break
                lat.add(MIXED_OPS[2], await c.command(
                    "FETCH", str(rnd.randint(1, exists)), "BODY[]"))
                if stop[0]:
                    break
                lat.add(MIXED_OPS[3], await c.command(
                    "STORE", str(rnd.randint(1, exists)),
                    "+FLAGS" if plus else "-FLAGS", "(\\Flagged)"))
                plus = not plus
                if stop[0]:
                    break
                lat.add(MIXED_OPS[4], await c.idle(0))
        except aimap.ProtocolError as e:
            lat.error("session", e)

    tasks = [asyncio.ensure_future(loop(c, i)) for i, c in
             enumerate(clients)]
    t0 = time.monotonic()
    await asyncio.sleep(args.seconds)
    stop[0] = True
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    await close_all(clients)
    total = sum(len(v) for v in lat.by.values())
    alllat = [x for v in lat.by.values() for x in v]
    res = {"mixed_sessions": len(clients), "mixed_ops": total,
           "mixed_ops_s": total / elapsed,
           "mixed_p50_ms": pct(alllat, 50) * 1e3,
           "mixed_p99_ms": pct(alllat, 99) * 1e3,
           "mixed_errors": sum(lat.errors.values()), "mixed_by_op": {}}
    print(f"  (b) mixed: {len(clients)} sessions, {total} commands in "
          f"{elapsed:.1f} s = {res['mixed_ops_s']:.0f}/s, p50 "
          f"{res['mixed_p50_ms']:.1f} ms, p99 {res['mixed_p99_ms']:.1f} ms, "
          f"{res['mixed_errors']} errors", flush=True)
    for op in MIXED_OPS:
        v = lat.by.get(op, [])
        res["mixed_by_op"][op] = {
            "n": len(v), "per_s": len(v) / elapsed,
            "p50_ms": pct(v, 50) * 1e3, "p99_ms": pct(v, 99) * 1e3,
            "errors": lat.errors.get(op, 0)}
        print(f"      {op:28} {len(v):7d}  {len(v) / elapsed:8.1f}/s  "
              f"p50 {pct(v, 50) * 1e3:7.1f} ms  p99 {pct(v, 99) * 1e3:7.1f} "
              f"ms  errors {lat.errors.get(op, 0)}", flush=True)
    return res


async def test_logins(srv, args):
    lat = []
    errors = []
    stop = [False]

    async def worker(i):
        k = i
        while not stop[0]:
            t = time.monotonic()
            try:
                c = await aimap.Client.connect(HOST, srv.imap_port, timeout=30)
                await c.login(LOAD_USERS[k % len(LOAD_USERS)], PASSWORD)
                rep = await c.command("LOGOUT")
                c.abort()
                if rep.status != "OK":
                    raise aimap.ProtocolError(repr(rep))
                lat.append(time.monotonic() - t)
            except (aimap.ProtocolError, OSError, asyncio.TimeoutError) as e:
                errors.append(e)
                if len(errors) <= 3:
                    print(f"    login: {e}")
                await asyncio.sleep(0.05)
            k += args.login_workers
    tasks = [asyncio.ensure_future(worker(i))
             for i in range(args.login_workers)]
    t0 = time.monotonic()
    await asyncio.sleep(args.login_seconds)
    stop[0] = True
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    res = {"logins": len(lat), "logins_s": len(lat) / elapsed,
           "logins_p50_ms": pct(lat, 50) * 1e3,
           "logins_p99_ms": pct(lat, 99) * 1e3, "logins_errors": len(errors)}
    print(f"  (c) logins: {len(lat)} in {elapsed:.1f} s with "
          f"{args.login_workers} workers = {res['logins_s']:.1f}/s, p50 "
          f"{res['logins_p50_ms']:.1f} ms, p99 {res['logins_p99_ms']:.1f} ms, "
          f"{len(errors)} errors", flush=True)
    return res


def small_message(rnd, i, who):
    body = []
    size = rnd.randint(2000, 4000)
    n = 0
    while n < size:
        line = " ".join(rnd.choice(("alpha", "bravo", "charlie", "delta",
                                    "echo", "foxtrot", "golf", "hotel"))
                        for _ in range(11))
        body.append(line)
        n += len(line) + 2
    head = (f"From: Load <load@example.org>\r\nTo: {who}@example.org\r\n"
            f"Subject: append {i}\r\nDate: Sun, 29 Nov 2026 07:00:00 +0000\r\n"
            f"Message-ID: <append-{i}-{rnd.getrandbits(40)}@bench>\r\n\r\n")
    return (head + "\r\n".join(body) + "\r\n").encode()


async def test_append(srv, args):
    lat = Lat()
    stop = [False]
    clients = []
    for i in range(args.append_clients):
        clients.append(await open_session(
            srv.imap_port, APPEND_USERS[i % len(APPEND_USERS)], select=False))
    counts = {u: 0 for u in APPEND_USERS}

    async def loop(i, c):
        rnd = random.Random(1000 + i)
        user = APPEND_USERS[i % len(APPEND_USERS)]
        k = 0
        try:
            while not stop[0]:
                k += 1
                msg = small_message(rnd, f"{i}.{k}", user)
                rep = await c.command("APPEND", "INBOX",
                                      aimap.Literal(msg))
                lat.add("APPEND", rep)
                if rep.status == "OK":
                    counts[user] += 1
        except aimap.ProtocolError as e:
            lat.error("session", e)
    tasks = [asyncio.ensure_future(loop(i, c)) for i, c in enumerate(clients)]
    t0 = time.monotonic()
    await asyncio.sleep(args.append_seconds)
    stop[0] = True
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    # every acknowledged APPEND is in the mailbox
    bad = []
    for i, user in enumerate(APPEND_USERS):
        c = clients[i] if i < len(clients) else None
        if c is None or c.closed:
            continue
        rep = await c.command("STATUS", "INBOX", "(MESSAGES)")
        got = None
        for u in rep.untagged:
            if u.kind == b"STATUS":
                parts = u.rest.replace(b"(", b" ").replace(b")", b" ").split()
                got = int(parts[parts.index(b"MESSAGES") + 1])
        if got != counts[user] + args.append_base.get(user, 0):
            bad.append((user, counts[user], got))
    await close_all(clients)
    v = lat.by.get("APPEND", [])
    ok = sum(counts.values())
    res = {"appends": ok, "append_s": ok / elapsed,
           "append_p50_ms": pct(v, 50) * 1e3, "append_p99_ms": pct(v, 99) * 1e3,
           "append_errors": sum(lat.errors.values()),
           "append_count_mismatch": bad}
    print(f"  (d) append: {ok} in {elapsed:.1f} s with "
          f"{len(clients)} clients = {res['append_s']:.1f}/s, p50 "
          f"{res['append_p50_ms']:.1f} ms, p99 {res['append_p99_ms']:.1f} ms, "
          f"{res['append_errors']} errors"
          + (f"; COUNT MISMATCH (user, acked, STATUS): {bad}" if bad else
             "; STATUS counts match"), flush=True)
    for user in APPEND_USERS:
        args.append_base[user] = args.append_base.get(user, 0) + counts[user]
    return res


def pop3_retr_all(port, user, expect):
    """One POP3 session: USER/PASS, STAT, RETR 1..n. Returns (messages,
    wire bytes of the RETR responses, seconds)."""
    s = socket.create_connection((HOST, port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray()

    def line():
        while True:
            i = buf.find(b"\r\n")
            if i >= 0:
                out = bytes(buf[:i])
                del buf[:i + 2]
                return out
            chunk = s.recv(1 << 16)
            if not chunk:
                raise Unavailable("POP3 connection closed")
            buf.extend(chunk)

    def cmd(text):
        s.sendall(text.encode() + b"\r\n")
        r = line()
        if not r.startswith(b"+OK"):
            raise Unavailable(f"POP3 {text.split()[0]}: {r!r}")
        return r
    try:
        g = line()
        if not g.startswith(b"+OK"):
            raise Unavailable(f"POP3 greeting {g!r}")
        cmd(f"USER {user}")
        cmd(f"PASS {PASSWORD}")
        n = int(cmd("STAT").split()[1])
        if n != expect:
            raise Unavailable(f"POP3 STAT says {n} messages, {expect} loaded")
        total = 0
        t0 = time.monotonic()
        for i in range(1, n + 1):
            s.sendall(b"RETR %d\r\n" % i)
            first = line()
            if not first.startswith(b"+OK"):
                raise Unavailable(f"RETR {i}: {first!r}")
            # the body ends at CRLF.CRLF; the CRLF after the status line
            # counts as the first CRLF of an empty body
            scan = 0
            buf[0:0] = b"\r\n"
            while True:
                j = buf.find(b"\r\n.\r\n", scan)
                if j >= 0:
                    total += j + 3
                    del buf[:j + 5]
                    break
                scan = max(0, len(buf) - 4)
                chunk = s.recv(1 << 18)
                if not chunk:
                    raise Unavailable("POP3 connection closed in RETR")
                buf.extend(chunk)
        elapsed = time.monotonic() - t0
        s.sendall(b"QUIT\r\n")
        return n, total, elapsed
    finally:
        s.close()


async def test_pop3(srv, args, n):
    if not wait_port(srv.pop3_port, timeout=2):
        raise Unavailable(f"nothing accepts POP3 on {HOST}:{srv.pop3_port}")
    msgs, nbytes, elapsed = await asyncio.get_running_loop().run_in_executor(
        None, pop3_retr_all, srv.pop3_port, POP_USER, n)
    res = {"pop3_msgs": msgs, "pop3_mb": nbytes / 1e6,
           "pop3_mb_s": nbytes / 1e6 / elapsed, "pop3_msgs_s": msgs / elapsed}
    print(f"  (e) pop3: RETR of {msgs} messages, {nbytes / 1e6:.1f} MB in "
          f"{elapsed:.2f} s = {res['pop3_mb_s']:.1f} MB/s "
          f"({res['pop3_msgs_s']:.0f} msg/s)", flush=True)
    return res


# -- driver ------------------------------------------------------------

async def measure(srv, args, sizes):
    out = {}
    args.append_base = {}
    # (a) last: Dovecot's thousands of imap processes take a while to go
    for key, fn in (("b", lambda: test_mixed(srv, args)),
                    ("c", lambda: test_logins(srv, args)),
                    ("d", lambda: test_append(srv, args)),
                    ("e", lambda: test_pop3(srv, args, sizes["pop"])),
                    ("a", lambda: test_idle(srv, args))):
        if key not in args.tests:
            continue
        try:
            cpu0 = time.process_time()
            t0 = time.monotonic()
            out.update(await fn())
            busy = (time.process_time() - cpu0) / (time.monotonic() - t0)
            out[f"client_cpu_{key}"] = busy
            print(f"      (load generator CPU: {busy * 100:.0f}% of a core)",
                  flush=True)
        except (Unavailable, aimap.ProtocolError, OSError) as e:
            out[f"error_{key}"] = str(e)
            print(f"  ({key}) FAILED: {e}", flush=True)
    return out


def run_server(cls, base, args, mailbox, pop):
    print(f"== {cls.name}", flush=True)
    srv = cls(base, args)
    try:
        t0 = time.monotonic()
        srv.start()
        for u in LOAD_USERS:
            srv.fill(u, mailbox)
        if "e" in args.tests:
            srv.fill(POP_USER, pop)
        print(f"  started and filled in {time.monotonic() - t0:.1f} s: "
              f"{len(LOAD_USERS)} x {len(mailbox)} messages, POP3 user "
              f"{len(pop)} messages ({sum(map(len, pop)) / 1e6:.1f} MB)",
              flush=True)
        return asyncio.run(measure(srv, args, {"pop": len(pop)}))
    except Unavailable as e:
        print(f"  SKIPPED: {e}", flush=True)
        return {"unavailable": str(e)}
    finally:
        srv.stop()


ROWS = [("idle_kib_rss", "(a) KiB/idle conn, RSS", "{:.1f}"),
        ("idle_kib_pss", "(a) KiB/idle conn, Pss", "{:.1f}"),
        ("mixed_ops_s", "(b) mixed ops/s", "{:.0f}"),
        ("mixed_p50_ms", "(b) p50 ms (all ops)", "{:.1f}"),
        ("mixed_p99_ms", "(b) p99 ms (all ops)", "{:.1f}"),
        ("logins_s", "(c) logins/s", "{:.1f}"),
        ("append_s", "(d) durable APPEND/s", "{:.1f}"),
        ("append_p99_ms", "(d) APPEND p99 ms", "{:.1f}"),
        ("pop3_mb_s", "(e) POP3 RETR MB/s", "{:.1f}")]


def table(results):
    d, c = results.get("dovecot", {}), results.get("conflux", {})
    print("\n| metric | dovecot | conflux | conflux/dovecot | target |")
    print("|---|---:|---:|---:|---|")
    for key, label, fmt in ROWS:
        dv, cv = d.get(key), c.get(key)
        ratio = f"{cv / dv:.2f}" if dv and cv is not None else "-"
        tgt = TARGETS.get(key)
        mark = ""
        if tgt and cv is not None:
            op, lim = tgt
            ok = cv <= lim if op == "<=" else cv >= lim
            mark = f"{op} {lim} " + ("met" if ok else "MISSED")
        elif tgt:
            mark = f"{tgt[0]} {tgt[1]}"
        if key == "mixed_ops_s":
            mark = ">= dovecot" + (" met" if dv and cv and cv >= dv else
                                   " MISSED" if dv and cv else "")
        print(f"| {label} | {fmt.format(dv) if dv is not None else '-'} | "
              f"{fmt.format(cv) if cv is not None else '-'} | {ratio} | "
              f"{mark} |")
    for name, r in results.items():
        for k, v in r.items():
            if k.startswith("error_") or k == "unavailable":
                print(f"{name}: {k}: {v}")


def main():
    p = argparse.ArgumentParser(
        description="IMAP/POP3 load: conflux vs Dovecot on the same mail "
                    "(see the module docstring).")
    p.add_argument("--quick", action="store_true",
                   help="small sizes, well under a minute")
    p.add_argument("--servers", default="dovecot,conflux",
                   help="comma list of dovecot, conflux (default both)")
    p.add_argument("--tests", default="abcde",
                   help="which measurements: letters of abcde")
    p.add_argument("--idle", type=int, help="(a) connections (2000)")
    p.add_argument("--connect-concurrency", type=int, default=50)
    p.add_argument("--sessions", type=int, help="(b) sessions (100)")
    p.add_argument("--seconds", type=float, help="(b) duration (30)")
    p.add_argument("--mailbox", type=int,
                   help="messages in each load user's INBOX (200)")
    p.add_argument("--login-workers", type=int, default=10)
    p.add_argument("--login-seconds", type=float, help="(c) duration (15)")
    p.add_argument("--append-clients", type=int, default=50)
    p.add_argument("--append-seconds", type=float, help="(d) duration (15)")
    p.add_argument("--pop-messages", type=int, help="(e) mailbox (5000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/var/tmp"))
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--conflux-set", action="append", default=[],
                   metavar="SECTION.KEY=VALUE",
                   help="extra conflux.conf setting (repeatable)")
    p.add_argument("--require-conflux", action="store_true",
                   help="exit 2 when conflux could not be measured")
    args = p.parse_args()
    q = args.quick
    for name, full, quick in (("idle", 2000, 200), ("sessions", 100, 50),
                              ("seconds", 30.0, 5.0), ("mailbox", 200, 50),
                              ("login_seconds", 15.0, 4.0),
                              ("append_seconds", 15.0, 4.0),
                              ("pop_messages", 5000, 500)):
        if getattr(args, name) is None:
            setattr(args, name, quick if q else full)
    if q:
        args.append_clients = min(args.append_clients, 20)
    if os.geteuid() != 0:
        sys.exit("run as root (Dovecot's mail processes run as `mail`)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * args.idle + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 2 * args.idle + 200:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} too low for "
                 f"--idle {args.idle}")

    base = Path(tempfile.mkdtemp(prefix="conflux-imap-load.", dir=args.dir))
    os.chmod(base, 0o711)
    t0 = time.monotonic()
    mailbox = bench_messages(args.mailbox, args.seed)
    pop = bench_messages(args.pop_messages, args.seed + 1) \
        if "e" in args.tests else []
    print(f"mail: {args.mailbox} messages per load user "
          f"({sum(map(len, mailbox)) / 1e6:.1f} MB), {len(pop)} for POP3 "
          f"({sum(map(len, pop)) / 1e6:.1f} MB); generated in "
          f"{time.monotonic() - t0:.1f} s; RLIMIT_NOFILE {want}", flush=True)
    results = {}
    classes = {"dovecot": DovecotServer, "conflux": ConfluxServer}
    try:
        for name in args.servers.split(","):
            results[name.strip()] = run_server(classes[name.strip()], base,
                                               args, mailbox, pop)
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    table(results)
    print(f"\ntotal {time.monotonic() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()
                                if isinstance(v, (int, float, str, list))},
                       "results": results}, f, indent=2, default=str)
    if args.require_conflux and (
            "conflux" not in results or "unavailable" in results["conflux"]
            or any(k.startswith("error_") for k in results["conflux"])):
        sys.exit(2)


if __name__ == "__main__":
    main()
