"""A TCP proxy that corrupts an IMAP server's responses on purpose, to show
that imapstress.py notices (tests/integration/test_imap_stress.py).

    px = MutatingProxy("127.0.0.1", server_port, mode="body").start()
    ... px.port ...; px.hits (responses altered); px.stop()

Modes (each applied to a few percent of the matching responses):
  dropexpunge  swallow "* n EXPUNGE"
  body         change one byte of a BODY[] literal's body (same length)
  keyword      drop one $sNa keyword from a FETCH FLAGS list
  uid          report UID n+1 instead of n in a FETCH
  deleted      drop \\Deleted from a FETCH FLAGS list
It runs its own asyncio loop in a thread and listens on 127.0.0.1."""
import asyncio
import random
import re
import threading

_LIT = re.compile(rb"\{(\d+)\}\r\n\Z")


class MutatingProxy:
    MODES = ("dropexpunge", "body", "keyword", "uid", "deleted")

    def __init__(self, host, port, mode, rate=0.05, seed=5):
        assert mode in self.MODES, mode
        self.host, self.rport, self.mode, self.rate = host, port, mode, rate
        self.rnd = random.Random(seed)
        self.hits = 0
        self.port = None
        self._ready = threading.Event()
        self._loop = None
        self._thread = None

    def mutate(self, resp):
        if self.rnd.random() >= self.rate:
            return resp
        m = self.mode
        out = resp
        if m == "dropexpunge" and re.match(rb"\* \d+ EXPUNGE\r\n\Z", resp):
            out = b""
        elif m == "body" and b"BODY[] {" in resp:
            i = resp.find(b"\r\n\r\n")
            if 0 < i and len(resp) > i + 6:
                c = b"Q" if resp[i + 4:i + 5] != b"Q" else b"R"
                out = resp[:i + 4] + c + resp[i + 5:]
        elif m == "keyword" and b" FETCH (" in resp:
            out = re.sub(rb" ?\$s\d+a(?=[ )])", b"", resp, count=1)
        elif m == "uid" and re.match(rb"\* \d+ FETCH \(.*UID \d+", resp):
            out = re.sub(rb"UID (\d+)",
                         lambda x: b"UID %d" % (int(x.group(1)) + 1), resp,
                         count=1)
        elif m == "deleted" and b" FETCH (" in resp and b"\\Deleted" in resp:
            out = resp.replace(b"\\Deleted ", b"", 1) if \
                b"\\Deleted " in resp else resp.replace(b" \\Deleted", b"", 1)
        if out != resp:
            self.hits += 1
        return out

    async def _down(self, r, w):
        try:
            while True:
                resp = await r.readuntil(b"\r\n")
                m = _LIT.search(resp)
                while m:
                    resp += await r.readexactly(int(m.group(1)))
                    line = await r.readuntil(b"\r\n")
                    resp += line
                    m = _LIT.search(line)
                w.write(self.mutate(resp))
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError,
                asyncio.LimitOverrunError):
            pass
        w.close()

    async def _up(self, r, w):
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        w.close()

    async def _handle(self, cr, cw):
        try:
            sr, sw = await asyncio.open_connection(self.host, self.rport,
                                                   limit=1 << 26)
        except OSError:
            cw.close()
            return
        await asyncio.gather(self._down(sr, cw), self._up(cr, sw))

    def _run(self):
        self._loop = asyncio.new_event_loop()

        async def serve():
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", 0, limit=1 << 26)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()
            self._stop = asyncio.Event()
            await self._stop.wait()
            self._server.close()
        self._loop.run_until_complete(serve())
        self._loop.close()

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")
        return self

    def stop(self):
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
