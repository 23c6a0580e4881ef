#!/usr/bin/python3
"""LMTP delivery and POP3 download benchmark: conflux against a throwaway
Dovecot, in one run.

    /usr/bin/python3 bench/lmtp_bench.py [--clients N] [--messages M]
        [--size BYTES] [--rcpts R] [--pop N] [--servers dovecot,conflux]
        [--quick] [--json FILE]

Run as root (Dovecot's mail processes run as `mail`; conflux switches to
its own user). Each server is started in turn (never both at once) with
the users of bench/imap_load.py, whose server classes, mail generator and
POP3 reader this script reuses, so both benchmarks start the servers the
same way.

 (a) lmtp: N (50) concurrent asyncio LMTP clients each deliver M (40)
     messages of about --size bytes (3 KB) to R (1) of ten users, with
     PIPELINING (MAIL, RCPT and DATA sent together). A delivery counts
     when its 250 arrived, i.e. once the server says it is durable
     (conflux: fsynced, renamed, indexed; Dovecot: mail_fsync=optimized,
     its default, fsyncs each saved mail). The INBOX counts are checked
     afterwards. Prints deliveries/s.
 (b) pop3: one POP3 session RETRs every message of a --pop (5,000)
     message mailbox in order: MB/s of wire data.

The ratio conflux/Dovecot is printed for each. The clients share the
machine's CPUs with the server: compare ratios, not absolute figures.
"""
import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imap_load                                            # noqa: E402
from imap_load import (ConfluxServer, DovecotServer, LOAD_USERS, POP_USER,
                       Unavailable, bench_messages, pop3_retr_all)  # noqa

HOST = "127.0.0.1"


def message(i, size):
    head = (f"From: Bench <bench@example.org>\r\nTo: load@example.org\r\n"
            f"Subject: lmtp bench {i}\r\nMessage-ID: <lmtp-{i}@bench>\r\n"
            f"Date: Sun, 29 Nov 2026 07:00:00 +0000\r\n\r\n").encode()
    line = b"." + b"x" * 70 + b"\r\n"          # every line needs stuffing
    body = line * max(1, (size - len(head)) // len(line))
    return head, body


async def reply(reader):
    """One LMTP reply; returns its code."""
    while True:
        ln = await reader.readline()
        if not ln:
            raise Unavailable("LMTP connection closed")
        if ln[3:4] != b"-":
            return int(ln[:3]), ln


async def lmtp_client(port, cid, args, done):
    reader, writer = await asyncio.open_connection(HOST, port)
    await reply(reader)
    writer.write(b"LHLO bench\r\n")
    await reply(reader)
    for m in range(args.messages):
        i = cid * args.messages + m
        rcpts = [LOAD_USERS[(i + k) % len(LOAD_USERS)]
                 for k in range(args.rcpts)]
        head, body = message(i, args.size)
        cmds = b"MAIL FROM:<bench@example.org>\r\n" + b"".join(
            b"RCPT TO:<%s@example.org>\r\n" % r.encode() for r in rcpts) + \
            b"DATA\r\n"
        writer.write(cmds)
        for _ in range(len(rcpts) + 1):
            code, ln = await reply(reader)
            if code != 250:
                raise Unavailable(f"LMTP: {ln!r}")
        code, ln = await reply(reader)
        if code != 354:
            raise Unavailable(f"LMTP DATA: {ln!r}")
        stuffed = (b"\r\n" + body).replace(b"\r\n.", b"\r\n..")[2:]
        writer.write(head + stuffed + b".\r\n")
        for _ in rcpts:
            code, ln = await reply(reader)
            if code != 250:
                raise Unavailable(f"LMTP delivery: {ln!r}")
            done[0] += 1
    writer.write(b"QUIT\r\n")
    await reply(reader)
    writer.close()


async def run_lmtp(port, args):
    done = [0]
    t0 = time.monotonic()
    await asyncio.gather(*(lmtp_client(port, c, args, done)
                           for c in range(args.clients)))
    return done[0], time.monotonic() - t0


def inbox_counts(srv):
    out = {}
    for u in LOAD_USERS:
        if srv.name == "dovecot":
            out[u] = int(srv.dov.status(u, "INBOX", "MESSAGES")["MESSAGES"])
        else:
            out[u] = len(srv.run("store", "list", u).stdout.splitlines())
    return out


def lmtp_port(srv):
    if srv.name == "dovecot":
        return srv.dov.lmtp_port
    section = None
    for line in srv.conf.read_text().splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s.strip("[]")
        elif section == "lmtp" and s.split("=")[0].strip() == "listen":
            return int(s.split("=", 1)[1].rsplit(":", 1)[1])
    raise Unavailable("no [lmtp] listen in conflux.conf")


def fill(srv, mailbox):
    """The POP3 mailbox. conflux's CLI takes at most ~250 arguments, so
    the import goes in chunks rather than through imap_load's fill."""
    if srv.name == "dovecot":
        srv.fill(POP_USER, mailbox)
        return
    d = srv.msgdir / POP_USER
    d.mkdir()
    d.chmod(0o755)
    paths = []
    for i, data in enumerate(mailbox):
        p = d / f"{i:06d}.eml"
        p.write_bytes(data)
        p.chmod(0o644)
        paths.append(str(p))
    for i in range(0, len(paths), 200):
        srv.run("store", "import", POP_USER, "--folder", "INBOX",
                *paths[i:i + 200])


def measure(cls, base, args, mailbox):
    print(f"== {cls.name}", flush=True)
    srv = cls(base, args)
    res = {}
    try:
        srv.start()
        before = sum(inbox_counts(srv).values())
        n, secs = asyncio.run(run_lmtp(lmtp_port(srv), args))
        after = sum(inbox_counts(srv).values())
        if after - before != n:
            raise Unavailable(f"{n} deliveries answered 250 but INBOXes "
                              f"grew by {after - before}")
        res["lmtp_s"] = n / secs
        print(f"  (a) lmtp: {n} deliveries by {args.clients} clients in "
              f"{secs:.2f} s = {res['lmtp_s']:.0f}/s", flush=True)
        if args.pop:
            fill(srv, mailbox)
            msgs, nbytes, secs = pop3_retr_all(srv.pop3_port, POP_USER,
                                               len(mailbox))
            res["pop3_mb_s"] = nbytes / 1e6 / secs
            print(f"  (b) pop3: RETR of {msgs} messages, {nbytes / 1e6:.1f}"
                  f" MB in {secs:.2f} s = {res['pop3_mb_s']:.1f} MB/s",
                  flush=True)
    except (Unavailable, OSError) as e:
        res["error"] = str(e)
        print(f"  FAILED: {e}", flush=True)
    finally:
        srv.stop()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--rcpts", type=int, default=1)
    ap.add_argument("--pop", type=int, default=5000)
    ap.add_argument("--servers", default="dovecot,conflux")
    ap.add_argument("--quick", action="store_true",
                    help="10 clients x 10 messages, 500-message POP3 box")
    ap.add_argument("--json")
    ap.add_argument("--keep", action="store_true",
                    help="keep the servers' directories (and logs)")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.messages, args.pop = 10, 10, 500
    # What imap_load's server classes read from their args.
    args.idle, args.conflux_set = 0, []
    mailbox = bench_messages(args.pop, seed=7) if args.pop else []
    classes = {"dovecot": DovecotServer, "conflux": ConfluxServer}
    results = {}
    base = Path(tempfile.mkdtemp(prefix="lmtp-bench-"))
    base.chmod(0o711)
    try:
        for name in args.servers.split(","):
            results[name] = measure(classes[name], base, args, mailbox)
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print("\n| measure | dovecot | conflux | ratio |\n|---|---|---|---|")
    for key, label in (("lmtp_s", "LMTP deliveries/s"),
                       ("pop3_mb_s", "POP3 RETR MB/s")):
        d = results.get("dovecot", {}).get(key)
        c = results.get("conflux", {}).get(key)
        ratio = f"{c / d:.2f}" if c and d else "-"
        print(f"| {label} | {d and round(d, 1)} | {c and round(c, 1)} | "
              f"{ratio} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
