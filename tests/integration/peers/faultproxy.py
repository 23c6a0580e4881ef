"""A TCP proxy on 127.0.0.1 that counts bytes and injects faults.

    with FaultProxy("127.0.0.1", dov.imap_port) as px:
        connect to ("127.0.0.1", px.port) instead of the server
        px.bytes_down, px.bytes_up     # server->client, client->server totals
        px.connections                 # connections accepted
        px.drop_after = 5000           # cut the next connection after 5000
                                       # bytes server->client (then disarm)
        px.drop_every = True           # ... or cut every connection
        px.delay = 0.05                # sleep before forwarding each chunk
        px.refuse = True               # accept then reset at once

Faults can be set in the constructor or changed while it runs; they apply
to connections accepted afterwards (delay applies at once). A drop forwards
exactly N bytes and then closes both sides (rst=True: with a TCP reset).
Everything is bounded: sockets poll a stop flag every 0.2 s, idle
connections end after `idle_timeout` seconds, and close() joins every
thread."""
import select
import socket
import struct
import threading
import time

from . import LOOPBACK

POLL = 0.2


class FaultProxy:
    def __init__(self, host, port, drop_after=None, drop_every=False,
                 drop_after_up=None, delay=0.0, connect_delay=0.0,
                 refuse=False, rst=False, idle_timeout=300.0, chunk=65536):
        self.target = (host, port)
        self.drop_after = drop_after          # bytes server->client
        self.drop_after_up = drop_after_up    # bytes client->server
        self.drop_every = drop_every
        self.delay = delay
        self.connect_delay = connect_delay
        self.refuse = refuse
        self.rst = rst
        self.idle_timeout = idle_timeout
        self.chunk = chunk
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections = 0
        self.drops = 0
        self.refused = 0
        self.sessions = []          # [{"up": n, "down": n, "dropped": bool}]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self._sock.settimeout(POLL)
        self.port = self._sock.getsockname()[1]
        self.address = (LOOPBACK, self.port)
        self._acceptor = threading.Thread(target=self._accept_loop,
                                          name=f"faultproxy-{self.port}",
                                          daemon=True)
        self._acceptor.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def reset_counters(self):
        with self._lock:
            self.bytes_up = self.bytes_down = 0
            self.connections = self.drops = self.refused = 0
            self.sessions = []

    def close(self, timeout=5.0):
        """Stop accepting, end every connection, join every thread."""
        self._stop.set()
        self._acceptor.join(timeout)
        for t in list(self._threads):
            t.join(timeout)
        try:
            self._sock.close()
        except OSError:
            pass

    # -- internals -----------------------------------------------------
    @staticmethod
    def _reset(sock):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self._lock:
                self.connections += 1
                if self.refuse:
                    self.refused += 1
                    self._reset(client)
                    client.close()
                    continue
                down, up = self.drop_after, self.drop_after_up
                if not self.drop_every:     # a one-shot fault: disarm it
                    self.drop_after = self.drop_after_up = None
                stats = {"up": 0, "down": 0, "dropped": False}
                self.sessions.append(stats)
            t = threading.Thread(target=self._serve,
                                 args=(client, down, up, stats), daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
            t.start()
        self._sock.close()

    def _serve(self, client, drop_down, drop_up, stats):
        server = None
        try:
            if self.connect_delay:
                self._stop.wait(self.connect_delay)
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                self._reset(client)
                return
            # No Nagle: a proxy that batches small writes would stall
            # request/response protocols on delayed ACKs (40 ms each).
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pump(client, server, drop_down, drop_up, stats)
        finally:
            for s in (client, server):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def _pump(self, client, server, drop_down, drop_up, stats):
        """Non-blocking both ways, with a bounded buffer per direction: a
        blocking send one way must never stop reading the other way (a
        pipelining client and a server that stops reading while its
        output is blocked would deadlock a naive proxy)."""
        client.setblocking(False)
        server.setblocking(False)
        peer = {client: server, server: client}
        key = {client: "up", server: "down"}
        limit = {client: drop_up, server: drop_down}
        pending = {client: bytearray(), server: bytearray()}  # to send TO
        eof = set()             # sources that reached EOF
        cut = False
        last = time.monotonic()
        cap = 4 * self.chunk
        while not self._stop.is_set():
            if time.monotonic() - last > self.idle_timeout:
                return
            readers = [s for s in (client, server) if s not in eof and
                       len(pending[peer[s]]) < cap and not cut]
            writers = [s for s in (client, server) if pending[s]]
            if not readers and not writers:
                return          # both sides done (or cut and flushed)
            try:
                r, w, _ = select.select(readers, writers, [], POLL)
            except (OSError, ValueError):
                return
            for dst in w:
                try:
                    n = dst.send(pending[dst])
                except BlockingIOError:
                    continue
                except OSError:
                    return
                del pending[dst][:n]
                last = time.monotonic()
                if not pending[dst] and peer[dst] in eof:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
            for src in r:
                try:
                    data = src.recv(self.chunk)
                except BlockingIOError:
                    continue
                except OSError:
                    return
                dst, k, lim = peer[src], key[src], limit[src]
                if not data:
                    eof.add(src)
                    if not pending[dst]:
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                    continue
                last = time.monotonic()
                if lim is not None and stats[k] + len(data) >= lim:
                    data = data[:max(0, lim - stats[k])]
                    cut = True
                if self.delay:
                    self._stop.wait(self.delay)
                pending[dst] += data
                with self._lock:
                    stats[k] += len(data)
                    if k == "up":
                        self.bytes_up += len(data)
                    else:
                        self.bytes_down += len(data)
                    if cut:
                        stats["dropped"] = True
                        self.drops += 1
                if cut:
                    break
            if cut and not pending[client] and not pending[server]:
                break
            if eof == {client, server} and not pending[client] and \
                    not pending[server]:
                return
        if cut:
            # flush what was counted (bounded), then close both sides
            deadline = time.monotonic() + 5
            for dst in (client, server):
                while pending[dst] and time.monotonic() < deadline:
                    try:
                        n = dst.send(pending[dst])
                        del pending[dst][:n]
                    except BlockingIOError:
                        select.select([], [dst], [], POLL)
                    except OSError:
                        break
            if self.rst:
                self._reset(client)
                self._reset(server)
