#!/usr/bin/python3
"""Issue-3 sync benchmark: conflux against mbsync (IMAP) and fetchmail
(POP3) on the same throwaway Dovecot and the same generated mailbox.

    /usr/bin/python3 bench/sync_bench.py [--messages 5000]
        [--small-messages 100000] [--skip-100k] [--seed 0] [--dir /var/tmp]
        [--timeout 3600]

Run as root (Dovecot's mail user is `mail`). Every client talks to Dovecot
through a counting FaultProxy (no faults), so "wire" is the bytes both ways
on the TCP connection. Peak memory is the child's maximum RSS from
/usr/bin/time (GNU time, %M) when installed, else ru_maxrss of
RUSAGE_CHILDREN. Everything lives in one directory under --dir, removed at
the end (--keep keeps it); every child runs with a timeout.

conflux is measured by the three hooks run_conflux_imap, run_conflux_pop3
and run_conflux_resync: they use CONFLUX_BIN (default build/src/cli/conflux)
with the CLI contract of docs/DESIGN.md (`conflux account add ...` with the
password on stdin, then `conflux sync USER ACCOUNT`), and are skipped with a
message while the binary has no `account` command. See bench/README.md."""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from peers import corpus                    # noqa: E402
from peers.dovecot import Dovecot           # noqa: E402
from peers.faultproxy import FaultProxy     # noqa: E402

GNU_TIME = "/usr/bin/time"
CONFLUX_BIN = os.environ.get("CONFLUX_BIN",
                             str(ROOT / "build" / "src" / "cli" / "conflux"))
FOLDERS = {"INBOX": 50, "Archive": 20, "Sent": 10, "Lists/dev": 10,
           "Lists/announce": 5, "Trash": 5}
USER = "bench"
BIG_USER = "big"
FETCHED = "fetched"     # fetchmail's LMTP destination in the same Dovecot
# mbsync's Maildir driver sleeps 1 s when a folder changed within the
# current second; re-syncs back to back would measure that sleep. Every
# tool gets the same pause before a re-sync.
RESYNC_PAUSE = 1.1

# A durable Maildir delivery for fetchmail, one process per message:
# write to tmp/, fsync the file, rename into new/, fsync new/. Only
# coreutils (`sync FILE` fsyncs that file, `sync DIR` the directory).
MDA = """#!/bin/sh
set -e
d=$1
n=$(date +%s.%N).P$$.bench
cat >"$d/tmp/$n"
sync "$d/tmp/$n"
mv "$d/tmp/$n" "$d/new/$n"
sync "$d/new"
"""


class Bench:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.timeout
        self.base = Path(tempfile.mkdtemp(prefix="conflux-sync-bench.",
                                          dir=args.dir))
        os.chmod(self.base, 0o711)
        self.rows = []
        self.notes = []
        self.dov = None
        self.proxies = []

    # -- plumbing ------------------------------------------------------
    def left(self):
        rem = self.deadline - time.monotonic()
        if rem <= 0:
            raise TimeoutError("benchmark time budget (--timeout) used up")
        return rem

    def timed(self, cmd, proxy, stdin=None, env=None, ok=(0,)):
        """Run cmd; (elapsed s, wire bytes, peak RSS KiB, stdout+stderr)."""
        proxy.reset_counters()
        out = self.base / "time.out"
        full = list(cmd)
        if os.access(GNU_TIME, os.X_OK):
            full = [GNU_TIME, "-f", "%M", "-o", str(out)] + full
        t0 = time.monotonic()
        proc = subprocess.run(full, input=stdin, capture_output=True,
                              timeout=self.left(), env=env)
        elapsed = time.monotonic() - t0
        log = (proc.stdout + proc.stderr).decode(errors="replace")
        if proc.returncode not in ok:
            raise RuntimeError(f"{' '.join(map(str, cmd))} exited "
                               f"{proc.returncode}:\n{log[-3000:]}")
        if os.access(GNU_TIME, os.X_OK):
            rss = int(out.read_text().split()[-1])
        else:
            import resource
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        time.sleep(0.05)            # let the proxy count the last bytes
        return elapsed, proxy.bytes_up + proxy.bytes_down, rss, log

    def row(self, tool, case, msgs, nbytes, res):
        elapsed, wire, rss, _ = res
        tool = tool[:14]
        self.rows.append({"tool": tool, "case": case, "msgs": msgs,
                          "bytes": nbytes, "s": elapsed, "wire": wire,
                          "rss": rss})
        print(f"  {tool:14} {case:24} {elapsed:8.2f} s  "
              f"{msgs / elapsed if msgs else 0:9.0f} msg/s  "
              f"wire {wire / 1e6:8.1f} MB  rss {rss / 1024:6.1f} MiB",
              flush=True)

    def proxy(self, port):
        px = FaultProxy("127.0.0.1", port)
        self.proxies.append(px)
        return px

    def close(self):
        for px in self.proxies:
            px.close()
        if self.dov is not None:
            self.dov.stop()
        if self.args.keep:
            print(f"kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- the mailbox -----------------------------------------------------
    def populate(self):
        a = self.args
        self.dov = Dovecot(users=[USER, BIG_USER, FETCHED],
                           base=str(self.base / "dovecot"))
        self.dov.start()
        t0 = time.monotonic()
        msgs = corpus.make_mailbox(a.messages, seed=a.seed)
        t1 = time.monotonic()
        self.placed = corpus.fill_dovecot(self.dov, USER, msgs,
                                          folders=FOLDERS, seed=a.seed)
        t2 = time.monotonic()
        self.total_bytes = sum(m.size for m in msgs)
        self.n = len(msgs)
        self.inbox_n = len(self.placed["INBOX"])
        self.inbox_bytes = sum(m.size for _, m in self.placed["INBOX"])
        print(f"mailbox: {self.n} messages, {self.total_bytes / 1e6:.1f} MB "
              f"in {len(self.placed)} folders ({self.inbox_n} in INBOX); "
              f"generated in {t1 - t0:.1f} s, loaded into Dovecot in "
              f"{t2 - t1:.1f} s", flush=True)
        self.imap_px = self.proxy(self.dov.imap_port)
        self.pop3_px = self.proxy(self.dov.pop3_port)

    def change_server(self, seed):
        """50 expunges and 50 flag changes spread over the folders."""
        r = random.Random(seed)
        pool = [(f, uid) for f, rows in self.placed.items()
                for uid, _ in rows]
        k = min(50, len(pool) // 4)     # 50 each on any real mailbox
        picks = r.sample(pool, 2 * k)
        dele, flag = picks[:k], picks[k:]
        for folder in self.placed:
            d = [u for f, u in dele if f == folder]
            fl = [u for f, u in flag if f == folder]
            self.dov.expunge_uids(USER, folder, d)
            self.dov.set_flags(USER, folder, fl, ["\\Flagged"])
            self.dov.set_flags(USER, folder, fl[::2], ["\\Seen"], op="-")
        gone = set(dele)
        for folder in self.placed:
            self.placed[folder] = [(u, m) for u, m in self.placed[folder]
                                   if (folder, u) not in gone]
        self.n -= k
        self.inbox_n = len(self.placed["INBOX"])
        self.inbox_bytes = sum(m.size for _, m in self.placed["INBOX"])

    # -- mbsync ----------------------------------------------------------
    def mbsync_rc(self, user, port, local):
        rc = self.base / f"mbsyncrc-{user}"
        Path(local).mkdir(parents=True, exist_ok=True)
        rc.write_text(f"""\
IMAPAccount acct
Host 127.0.0.1
Port {port}
User {user}
Pass {self.dov.password(user)}
SSLType None
AuthMechs LOGIN

IMAPStore far
Account acct

MaildirStore near
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns *
Create Near
Sync Pull
Expunge Near
SyncState *
""")
        rc.chmod(0o600)
        return rc

    def mbsync(self, rc, px):
        return self.timed(["mbsync", "-c", str(rc), "-a", "-q"], px)

    def run_mbsync(self):
        local = self.base / "mbsync"
        rc = self.mbsync_rc(USER, self.imap_px.port, local)
        res = self.mbsync(rc, self.imap_px)
        n = count_maildir(local)
        assert n == self.n, f"mbsync copied {n} of {self.n} messages"
        self.row("mbsync", "imap initial", self.n, self.total_bytes, res)
        time.sleep(RESYNC_PAUSE)
        res = self.mbsync(rc, self.imap_px)
        self.row("mbsync", "imap no-change", self.n, 0, res)
        self.change_server(self.args.seed + 1)
        time.sleep(RESYNC_PAUSE)
        res = self.mbsync(rc, self.imap_px)
        n = count_maildir(local)
        assert n == self.n, f"after the changes: {n} != {self.n}"
        self.row("mbsync", "imap 50 del + 50 flags", self.n, 0, res)

    # -- fetchmail -------------------------------------------------------
    def run_fetchmail(self, delivery):
        """fetchmail over POP3 (keep + UIDL, i.e. fetch mode) of the INBOX.
        delivery "lmtp": LMTP into the same Dovecot, user `fetched` (one
        connection, Dovecot fsyncs each message); "mda": the MDA script
        above, one fork+exec chain per message."""
        tag = f"fetchmail-{delivery}"
        if delivery == "lmtp":
            target = f"""  smtphost 127.0.0.1/{self.dov.lmtp_port}
  lmtp
  smtpaddress localhost
"""
            local = self.dov.maildir(FETCHED)
            who = FETCHED
        else:
            local = self.base / tag
            for sub in ("tmp", "new", "cur"):
                (local / sub).mkdir(parents=True)
            mda = self.base / "mda.sh"
            mda.write_text(MDA)
            mda.chmod(0o755)
            target = f'  mda "{mda} {local}"\n'
            who = "root"
        rc = self.base / f"fetchmailrc-{delivery}"
        rc.write_text(f"""\
set no bouncemail
poll 127.0.0.1 service {self.pop3_px.port} protocol POP3 uidl
  user "{USER}" there with password "{self.dov.password(USER)}" is {who} here
  keep
  sslproto ''
{target}""")
        rc.chmod(0o600)
        cmd = ["fetchmail", "-N", "--nosyslog", "--silent", "-f", str(rc),
               "--pidfile", str(self.base / f"{tag}.pid"),
               "-i", str(self.base / f"{tag}.ids")]
        env = dict(os.environ, HOME=str(self.base))
        # 0: mail fetched, 1: no mail
        res = self.timed(cmd, self.pop3_px, env=env, ok=(0, 1))
        n = count_maildir(local)
        assert n == self.inbox_n, \
            f"fetchmail got {n} of {self.inbox_n}:\n{res[3][-3000:]}"
        self.row(tag, "pop3 initial (INBOX)", self.inbox_n,
                 self.inbox_bytes, res)
        time.sleep(RESYNC_PAUSE)
        res = self.timed(cmd, self.pop3_px, env=env, ok=(0, 1))
        assert count_maildir(local) == self.inbox_n
        self.row(tag, "pop3 no-change", self.inbox_n, 0, res)

    # -- 100k small messages ---------------------------------------------
    def run_big(self):
        a = self.args
        t0 = time.monotonic()
        batch, done = 20000, 0
        gen = corpus.iter_mailbox(a.small_messages, seed=a.seed, small=True)
        while done < a.small_messages:
            chunk = [m for _, m in zip(range(batch), gen)]
            corpus.fill_dovecot(self.dov, BIG_USER, chunk,
                                seed=a.seed + done, check=False)
            done += len(chunk)
            self.left()
        self.big_n = done
        self.big_bytes = sum(len(m.data) for m in corpus.iter_mailbox(
            done, seed=a.seed, small=True))
        print(f"big mailbox: {done} small messages in INBOX, loaded in "
              f"{time.monotonic() - t0:.1f} s", flush=True)
        local = self.base / "mbsync-big"
        rc = self.mbsync_rc(BIG_USER, self.imap_px.port, local)
        res = self.mbsync(rc, self.imap_px)
        assert count_maildir(local) == done
        self.row("mbsync", "100k initial", done, self.big_bytes, res)
        time.sleep(RESYNC_PAUSE)
        res = self.mbsync(rc, self.imap_px)
        self.row("mbsync", "100k no-change", done, 0, res)

    # -- report ----------------------------------------------------------
    def report(self):
        print()
        print(f"{'tool':14} {'case':26} {'msgs':>7} {'elapsed s':>10} "
              f"{'msg/s':>9} {'MB/s':>7} {'wire MB':>9} {'peak RSS MiB':>13}")
        for r in self.rows:
            rate = r["msgs"] / r["s"] if r["s"] else 0
            mbs = r["bytes"] / r["s"] / 1e6 if r["bytes"] else 0
            print(f"{r['tool']:14} {r['case']:26} {r['msgs']:7d} "
                  f"{r['s']:10.2f} {rate:9.0f} {mbs:7.1f} "
                  f"{r['wire'] / 1e6:9.2f} {r['rss'] / 1024:13.1f}")
        by = {(r["tool"], r["case"]): r for r in self.rows}
        pairs = [("imap initial", "mbsync"), ("imap no-change", "mbsync"),
                 ("imap 50 del + 50 flags", "mbsync"),
                 ("100k no-change", "mbsync"),
                 ("pop3 initial (INBOX)", "fetchmail-lmtp"),
                 ("pop3 no-change", "fetchmail-lmtp")]
        lines = []
        for case, ref in pairs:
            c, o = by.get(("conflux", case)), by.get((ref, case))
            if c and o:
                lines.append(f"  {case:26} conflux/{ref}: time "
                             f"{c['s'] / o['s']:.2f}  wire "
                             f"{c['wire'] / max(o['wire'], 1):.2f}  rss "
                             f"{c['rss'] / max(o['rss'], 1):.2f}")
        print("\nratios (below 1: conflux is faster / smaller):")
        print("\n".join(lines) if lines else
              "  none: conflux was not measured")
        for n in dict.fromkeys(self.notes):     # each note once, in order
            print("note:", n)


def count_maildir(root):
    n = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) in ("cur", "new"):
            n += len(filenames)
    return n


# ===========================================================================
# conflux hooks: the lead wires these in once `conflux account` exists.
# Each returns None after printing why it skipped, else adds rows.
# ===========================================================================

def conflux_ready(bench):
    """True when CONFLUX_BIN exists and knows the `account` command."""
    if not os.access(CONFLUX_BIN, os.X_OK):
        bench.notes.append(f"conflux skipped: no binary at {CONFLUX_BIN}")
        return False
    proc = subprocess.run([CONFLUX_BIN, "account", "--help"],
                          capture_output=True, timeout=30)
    if proc.returncode != 0:
        bench.notes.append("conflux skipped: the binary has no `account` "
                           "command yet")
        return False
    return True


def _conflux_data(bench, name):
    data = bench.base / name
    subprocess.run([CONFLUX_BIN, "init", "--data", str(data)], check=True,
                   capture_output=True, timeout=60)
    conf = data / "conflux.conf"

    def cfx(*args, stdin=None):
        return subprocess.run([CONFLUX_BIN, "-c", str(conf), *map(str, args)],
                              input=stdin, capture_output=True,
                              timeout=bench.left(), check=True)
    cfx("user", "add", USER, stdin=b"bench-local-pw\n")
    return conf, cfx


def _conflux_account(bench, cfx, name, proto, port, login):
    cfx("account", "add", USER, name, "--proto", proto, "--host",
        "127.0.0.1", "--port", port, "--tls", "none", "--login", login,
        "--mode", "fetch",
        stdin=(bench.dov.password(login) + "\n").encode())


def _conflux_sync(bench, conf, account, px):
    return bench.timed([CONFLUX_BIN, "-c", str(conf), "sync", USER, account],
                       px)


def run_conflux_imap(bench, phase):
    """conflux over IMAP, all folders of the 5,000-message mailbox.
    phase: "initial" (before mbsync's server changes) or "changed"."""
    if not conflux_ready(bench):
        return None
    if phase == "initial":
        bench.cfx_imap = _conflux_data(bench, "conflux-imap")
        conf, cfx = bench.cfx_imap
        _conflux_account(bench, cfx, "imap1", "imap", bench.imap_px.port,
                         USER)
        res = _conflux_sync(bench, conf, "imap1", bench.imap_px)
        bench.row("conflux", "imap initial", bench.n, bench.total_bytes, res)
        time.sleep(RESYNC_PAUSE)
        res = _conflux_sync(bench, conf, "imap1", bench.imap_px)
        bench.row("conflux", "imap no-change", bench.n, 0, res)
    else:
        conf, cfx = bench.cfx_imap
        res = _conflux_sync(bench, conf, "imap1", bench.imap_px)
        bench.row("conflux", "imap 50 del + 50 flags", bench.n, 0, res)
    return True


def run_conflux_pop3(bench):
    """conflux over POP3 (INBOX), initial and no-change."""
    if not conflux_ready(bench):
        return None
    conf, cfx = _conflux_data(bench, "conflux-pop3")
    _conflux_account(bench, cfx, "pop1", "pop3", bench.pop3_px.port, USER)
    res = _conflux_sync(bench, conf, "pop1", bench.pop3_px)
    bench.row("conflux", "pop3 initial (INBOX)", bench.inbox_n,
              bench.inbox_bytes, res)
    time.sleep(RESYNC_PAUSE)
    res = _conflux_sync(bench, conf, "pop1", bench.pop3_px)
    bench.row("conflux", "pop3 no-change", bench.inbox_n, 0, res)
    return True


def run_conflux_resync(bench):
    """conflux over IMAP on the 100k mailbox: initial, then no-change."""
    if not conflux_ready(bench):
        return None
    conf, cfx = _conflux_data(bench, "conflux-big")
    _conflux_account(bench, cfx, "big", "imap", bench.imap_px.port, BIG_USER)
    res = _conflux_sync(bench, conf, "big", bench.imap_px)
    bench.row("conflux", "100k initial", bench.big_n, bench.big_bytes, res)
    time.sleep(RESYNC_PAUSE)
    res = _conflux_sync(bench, conf, "big", bench.imap_px)
    bench.row("conflux", "100k no-change", bench.big_n, 0, res)
    return True


def hook(bench, fn, *args):
    """Run a conflux hook; a failure becomes a note, not the end of the run
    (the reference figures still print)."""
    try:
        fn(*args)
    except (RuntimeError, AssertionError, subprocess.SubprocessError) as e:
        msg = str(e)
        if isinstance(e, subprocess.CalledProcessError):
            msg += " " + (e.stderr or b"").decode(errors="replace")[-500:]
        bench.notes.append(f"{fn.__name__} failed: {msg[-800:]}")
        print(f"  conflux: {fn.__name__} failed (see notes)", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--small-messages", type=int, default=100_000)
    p.add_argument("--skip-100k", action="store_true",
                   help="skip the mailbox of --small-messages messages")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/var/tmp"),
                   help="where the throwaway directory goes (a disk)")
    p.add_argument("--timeout", type=float, default=3600,
                   help="time budget of the whole run, seconds")
    p.add_argument("--fetchmail-mda", action="store_true",
                   help="also run fetchmail with a per-message MDA script")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("sync_bench: run as root (Dovecot's mail user is `mail`)")
    for tool in ("mbsync", "fetchmail", "/usr/sbin/dovecot"):
        if not shutil.which(tool):
            sys.exit(f"sync_bench: {tool} missing (scripts/setup-deps.sh)")
    b = Bench(a)
    fstype = subprocess.run(["df", "-T", str(b.base)], capture_output=True,
                            text=True).stdout.splitlines()[-1].split()[1]
    print(f"sync_bench: {b.base} ({fstype}); peak memory from "
          f"{'GNU time' if os.access(GNU_TIME, os.X_OK) else 'getrusage'}",
          flush=True)
    try:
        b.populate()
        print("IMAP, all folders:", flush=True)
        # conflux first on the unchanged mailbox, then mbsync makes the
        # server changes, then conflux syncs them too.
        hook(b, run_conflux_imap, b, "initial")
        b.run_mbsync()
        if getattr(b, "cfx_imap", None):
            hook(b, run_conflux_imap, b, "changed")
        print("POP3, INBOX:", flush=True)
        b.run_fetchmail("lmtp")
        if a.fetchmail_mda:
            b.run_fetchmail("mda")
        hook(b, run_conflux_pop3, b)
        if a.skip_100k:
            b.notes.append("100k case skipped (--skip-100k)")
        else:
            print(f"IMAP, {a.small_messages} small messages:", flush=True)
            b.run_big()
            hook(b, run_conflux_resync, b)
        b.report()
    finally:
        b.close()


if __name__ == "__main__":
    main()
