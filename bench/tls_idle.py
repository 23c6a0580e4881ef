#!/usr/bin/python3
"""Idle IMAPS connections on one `conflux serve`: resident memory per
logged-in TLS connection (the issue's target: 10,000 under 1 GiB).

    /usr/bin/python3 bench/tls_idle.py [--conns 10000]

Starts conflux as bench/imap_load.py does (its ConfluxServer), with an
IMAPS listener, opens N TLS connections that verify the server's own
certificate, logs each in and SELECTs INBOX, then reads the daemon's RSS
and Pss before and after. Conflux only: Dovecot's per-connection figure
is in imap_load.py's (a)."""
import argparse
import asyncio
import os
import resource
import shutil
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imap_load                                    # noqa: E402
from imap_load import (HOST, LOAD_USERS, PASSWORD, ConfluxServer,  # noqa: E402
                       free_port, memory)


async def session(port, ctx, user, sem):
    async with sem:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            HOST, port, ssl=ctx, server_hostname="localhost"), 60)
        await r.readline()
        w.write(f"a LOGIN {user} {PASSWORD}\r\nb SELECT INBOX\r\n".encode())
        while not (await r.readline()).startswith(b"b "):
            pass
        return r, w


async def run(args, srv, port):
    ctx = ssl.create_default_context(cafile=str(srv.data / "tls" /
                                                "cert.pem"))
    warm = await session(port, ctx, LOAD_USERS[0], asyncio.Semaphore(1))
    warm[1].close()
    await asyncio.sleep(1.0)
    _, rss0, pss0 = memory(srv.sid)
    sem = asyncio.Semaphore(args.concurrency)
    t0 = time.monotonic()
    conns = await asyncio.gather(*(
        session(port, ctx, LOAD_USERS[i % len(LOAD_USERS)], sem)
        for i in range(args.conns)))
    setup = time.monotonic() - t0
    await asyncio.sleep(2.0)
    _, rss1, pss1 = memory(srv.sid)
    for _, w in conns:
        w.close()
    n = len(conns)
    print(f"{n} idle IMAPS connections (logged in, INBOX selected) in "
          f"{setup:.1f} s: RSS {rss0 / 1024:.1f} -> {rss1 / 1024:.1f} MiB = "
          f"{(rss1 - rss0) / n:.1f} KiB/conn, Pss {(pss1 - pss0) / n:.1f} "
          f"KiB/conn; the daemon holds {rss1 / 1024:.0f} MiB in all")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--conns", type=int, default=10000)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/var/tmp"))
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (min(hard, 2 * args.conns + 1000), hard))
    base = Path(tempfile.mkdtemp(prefix="conflux-tls-idle.", dir=args.dir))
    os.chmod(base, 0o711)
    port = free_port()
    opts = argparse.Namespace(conflux_set=[
        f"imap.tls_listen={HOST}:{port}",
        f"server.max_connections={args.conns + 100}"])
    srv = ConfluxServer(base, opts)
    try:
        srv.start()
        imap_load.wait_port(port, timeout=15)
        asyncio.run(run(args, srv, port))
    finally:
        srv.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
