"""A small asyncio IMAP4rev1 client for load and stress tools.

    c = await Client.connect(host, port, timeout=30)
    await c.login(user, password)
    r = await c.command("SELECT", "INBOX")  # -> Reply
    r.status ("OK"/"NO"/"BAD"), r.code (b"UIDNEXT 5" or None), r.text,
    r.untagged [Untagged], r.elapsed (seconds)
    r = await c.command("APPEND", "box", "(\\Seen)", Literal(data))
    r = await c.idle(seconds)            # IDLE, wait, DONE

One command at a time per connection (no pipelining). A reader task turns
the byte stream into responses (a line plus any literals, kept as the wire
bytes) and queues them, so IDLE and timeouts never lose half a response.
Responses are parsed lazily: the load generator only looks at tags, the
stress tester calls parse_untagged()/parse_fetch().

Every wait is bounded by `timeout`; a server that closes the connection or
sends garbage raises ProtocolError."""
import asyncio
import re
import time

_LIT_END = re.compile(rb"\{(\d+)\+?\}\r\n\Z")
_TAGGED = re.compile(rb"([A-Za-z0-9.]+) (OK|NO|BAD)(?: \[([^\]]*)\])? ?(.*)\r\n\Z",
                     re.S)
_STATUS = re.compile(rb"\* (OK|NO|BAD|BYE|PREAUTH)(?: \[([^\]]*)\])? ?(.*)\r\n\Z",
                     re.S)
_NUMBERED = re.compile(rb"\* (\d+) ([A-Za-z]+)(?: (.*))?\r\n\Z", re.S)
_KEYWORD = re.compile(rb"\* ([A-Za-z]+)(?: (.*))?\r\n\Z", re.S)


class ProtocolError(Exception):
    pass


class Literal(bytes):
    """A command argument sent as a synchronising literal."""


class Untagged:
    """One untagged response. kind is b"EXISTS", b"EXPUNGE", b"FETCH",
    b"OK", b"FLAGS", b"CAPABILITY", ...; num the number before it (or None);
    code the [response code] of a status response; rest the raw bytes after
    the kind (literals included, CRLF stripped)."""
    __slots__ = ("raw", "kind", "num", "code", "rest")

    def __init__(self, raw):
        self.raw = raw
        self.num = None
        self.code = None
        m = _NUMBERED.match(raw)
        if m:
            self.num = int(m.group(1))
            self.kind = m.group(2).upper()
            self.rest = m.group(3) or b""
            return
        m = _STATUS.match(raw)
        if m:
            self.kind = m.group(1)
            self.code = m.group(2)
            self.rest = m.group(3)
            return
        m = _KEYWORD.match(raw)
        if m:
            self.kind = m.group(1).upper()
            self.rest = m.group(2) or b""
            return
        raise ProtocolError(f"unparseable untagged response: {raw[:200]!r}")

    def __repr__(self):
        s = self.raw if len(self.raw) < 300 else self.raw[:300] + b"..."
        return s.decode("latin-1").rstrip("\r\n")


class Reply:
    __slots__ = ("tag", "status", "code", "text", "untagged", "elapsed",
                 "raw")

    def __repr__(self):
        return (f"{self.tag.decode()} {self.status}"
                + (f" [{self.code.decode('latin-1')}]" if self.code else "")
                + f" {self.text}")


# -- parsing ------------------------------------------------------------

_ATOM_STOP = b' ()"{\r\n'


def parse_list(data, pos=0):
    """Parse IMAP data items from data[pos:] up to the end or a closing
    parenthesis: atoms (bytes), quoted strings and literals (bytes, as
    Str), NIL (None), parenthesised lists (list). Atoms may carry a
    bracketed section with spaces (BODY[HEADER.FIELDS (A B)]) and a
    partial <origin>. Returns (items, pos after the list)."""
    out = []
    n = len(data)
    while pos < n:
        c = data[pos]
        if c == 0x20:
            pos += 1
        elif c == 0x28:                                 # (
            sub, pos = parse_list(data, pos + 1)
            out.append(sub)
        elif c == 0x29:                                 # )
            return out, pos + 1
        elif c == 0x22:                                 # "
            buf = bytearray()
            pos += 1
            while True:
                if pos >= n:
                    raise ProtocolError("unterminated quoted string")
                ch = data[pos]
                if ch == 0x5c:
                    buf.append(data[pos + 1])
                    pos += 2
                elif ch == 0x22:
                    pos += 1
                    break
                else:
                    buf.append(ch)
                    pos += 1
            out.append(Str(buf))
        elif c == 0x7b:                                 # {n}CRLF
            end = data.index(b"}", pos)
            size = int(data[pos + 1:end].rstrip(b"+"))
            start = end + 3                             # "}\r\n"
            out.append(Str(data[start:start + size]))
            pos = start + size
        elif c in (0x0d, 0x0a):
            pos += 1
        else:
            start = pos
            while pos < n and data[pos] not in _ATOM_STOP:
                if data[pos] == 0x5b:                   # [ ... ]
                    close = data.index(b"]", pos)
                    pos = close + 1
                else:
                    pos += 1
            atom = data[start:pos]
            out.append(None if atom.upper() == b"NIL" else atom)
    return out, pos


class Str(bytes):
    """A string (quoted or literal) as opposed to an atom."""


def parse_fetch(rest):
    """The items of a FETCH response (the bytes after "FETCH") as a dict
    {b"UID": b"5", b"FLAGS": [..], b"BODY[]": Str, ...} (keys upper-case)."""
    items, _ = parse_list(rest)
    if len(items) != 1 or not isinstance(items[0], list):
        raise ProtocolError(f"bad FETCH response: {rest[:200]!r}")
    lst = items[0]
    if len(lst) % 2:
        raise ProtocolError(f"odd FETCH item list: {rest[:200]!r}")
    out = {}
    for i in range(0, len(lst), 2):
        key = lst[i]
        if not isinstance(key, bytes) or isinstance(key, Str):
            raise ProtocolError(f"bad FETCH item name {key!r}")
        out[key.upper()] = lst[i + 1]
    return out


def parse_code(code):
    """A response code b"COPYUID 5 1:3 7:9" -> (b"COPYUID", [b"5", ...])."""
    if code is None:
        return None, []
    parts = code.split(b" ", 1)
    name = parts[0].upper()
    if len(parts) == 1:
        return name, []
    if parts[1].startswith(b"("):
        items, _ = parse_list(parts[1])
        return name, items[0] if items else []
    return name, parts[1].split(b" ")


def parse_seqset(s):
    """b"1:3,7" -> [1, 2, 3, 7] (ascending ranges as given, a:b with a>b
    reversed to ascending)."""
    out = []
    for part in s.split(b","):
        if b":" in part:
            a, b = (int(x) for x in part.split(b":"))
            if a > b:
                a, b = b, a
            out.extend(range(a, b + 1))
        else:
            out.append(int(part))
    return out


def seqset(nums):
    """[1, 2, 3, 7] -> "1:3,7"."""
    nums = sorted(set(nums))
    out = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}:{nums[j]}")
        i = j + 1
    return ",".join(out)


def quote(s):
    if isinstance(s, bytes):
        s = s.decode()
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the connection -----------------------------------------------------

class Client:
    def __init__(self, reader, writer, timeout):
        self.r = reader
        self.w = writer
        self.timeout = timeout
        self.queue = asyncio.Queue()
        self.n = 0
        self.prefix = "A"
        self.closed = False
        self.greeting = None
        self.caps = set()
        self.on_untagged = None         # callback(Untagged) or None
        self._untagged_pending = []
        self.reader_task = asyncio.ensure_future(self._reader())

    @classmethod
    async def connect(cls, host, port, timeout=30.0, limit=1 << 26):
        r, w = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=limit), timeout)
        c = cls(r, w, timeout)
        try:
            g = await c._next()
        except ProtocolError as e:
            c.abort()
            raise ProtocolError(f"no greeting: {e}") from None
        if not g.startswith(b"* OK") and not g.startswith(b"* PREAUTH"):
            c.abort()
            raise ProtocolError(f"bad greeting {g!r}")
        c.greeting = g
        m = re.search(rb"\[CAPABILITY ([^\]]*)\]", g)
        if m:
            c.caps = set(m.group(1).upper().split())
        return c

    async def _read_response(self):
        line = await self.r.readuntil(b"\r\n")
        m = _LIT_END.search(line)
        if m is None:
            return line
        parts = [line]
        while m is not None:
            parts.append(await self.r.readexactly(int(m.group(1))))
            line = await self.r.readuntil(b"\r\n")
            parts.append(line)
            m = _LIT_END.search(line)
        return b"".join(parts)

    async def _reader(self):
        try:
            while True:
                self.queue.put_nowait(await self._read_response())
        except (asyncio.IncompleteReadError, ConnectionError, OSError,
                asyncio.LimitOverrunError, ValueError) as e:
            self.queue.put_nowait(e)
        except asyncio.CancelledError:
            self.queue.put_nowait(ConnectionError("closed"))
            raise

    async def _next(self, timeout=None):
        try:
            item = await asyncio.wait_for(self.queue.get(),
                                          timeout or self.timeout)
        except asyncio.TimeoutError:
            raise ProtocolError("timeout waiting for the server") from None
        if isinstance(item, BaseException):
            self.closed = True
            self.queue.put_nowait(item)         # later reads fail too
            if isinstance(item, asyncio.IncompleteReadError):
                raise ProtocolError("connection closed by the server")
            raise ProtocolError(f"connection error: {item!r}")
        return item

    def _tag(self):
        self.n += 1
        return f"{self.prefix}{self.n:04d}".encode()

    async def _send_args(self, tag, name, args):
        """Send a command; a Literal argument waits for the continuation
        (or uses LITERAL+ when the server has it)."""
        plus = b"LITERAL+" in self.caps
        pieces = [tag + b" " + (name.encode() if isinstance(name, str)
                                else name)]
        for a in args:
            if isinstance(a, Literal):
                if plus:
                    pieces.append(b" {%d+}\r\n" % len(a))
                    pieces.append(bytes(a))
                    continue
                pieces.append(b" {%d}\r\n" % len(a))
                self.w.write(b"".join(pieces))
                pieces = []
                await self.w.drain()
                await self._wait_continuation(tag)
                pieces.append(bytes(a))
            else:
                pieces.append(b" " + (a.encode() if isinstance(a, str)
                                      else a))
        pieces.append(b"\r\n")
        self.w.write(b"".join(pieces))
        if self.w.transport.get_write_buffer_size() > 65536:
            await self.w.drain()

    async def _wait_continuation(self, tag):
        while True:
            line = await self._next()
            if line.startswith(b"+"):
                return line
            if line.startswith(tag + b" "):
                raise ProtocolError(f"literal refused: {line!r}")
            self._untagged_pending.append(self._untagged(line))

    def _untagged(self, line):
        if not line.startswith(b"* "):
            raise ProtocolError(f"unexpected response {line[:200]!r}")
        u = Untagged(line)
        if u.kind == b"CAPABILITY":
            self.caps = set(u.rest.upper().split())
        if self.on_untagged is not None:
            self.on_untagged(u)
        return u

    async def command(self, name, *args, timeout=None):
        """Run one command; returns its Reply (status NO and BAD are
        returned, not raised)."""
        if self.closed:
            raise ProtocolError("connection is closed")
        tag = self._tag()
        t0 = time.monotonic()
        self._untagged_pending = []
        await self._send_args(tag, name, args)
        return await self._finish(tag, t0, timeout)

    async def _finish(self, tag, t0, timeout=None, first=None):
        untagged = self._untagged_pending
        while True:
            line = first or await self._next(timeout)
            first = None
            if line.startswith(tag + b" "):
                break
            if line.startswith(b"+"):
                raise ProtocolError(f"unexpected continuation {line!r}")
            untagged.append(self._untagged(line))
        m = _TAGGED.match(line)
        if m is None:
            raise ProtocolError(f"bad tagged response {line[:200]!r}")
        rep = Reply()
        rep.tag = tag
        rep.status = m.group(2).decode()
        rep.code = m.group(3)
        rep.text = m.group(4).decode("latin-1")
        rep.untagged = untagged
        rep.elapsed = time.monotonic() - t0
        rep.raw = line
        return rep

    async def idle(self, seconds, until=None):
        """IDLE for `seconds` (or until `until(untagged)` is true), then
        DONE. Returns the Reply; reply.untagged holds what came during."""
        tag = self._tag()
        t0 = time.monotonic()
        self._untagged_pending = []
        self.w.write(tag + b" IDLE\r\n")
        await self._wait_continuation(tag)
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = await asyncio.wait_for(self.queue.get(), left)
            except asyncio.TimeoutError:
                break
            if isinstance(item, BaseException):
                self.queue.put_nowait(item)
                await self._next()              # raises
            if item.startswith(tag + b" "):     # the server ended IDLE
                return await self._finish(tag, t0, first=item)
            u = self._untagged(item)
            self._untagged_pending.append(u)
            if until is not None and until(u):
                break
        self.w.write(b"DONE\r\n")
        return await self._finish(tag, t0)

    async def login(self, user, password):
        rep = await self.command("LOGIN", quote(user), quote(password))
        if rep.status != "OK":
            raise ProtocolError(f"LOGIN {user}: {rep!r}")
        if rep.code and rep.code.upper().startswith(b"CAPABILITY "):
            self.caps = set(rep.code.upper().split()[1:])
        return rep

    async def logout(self):
        try:
            rep = await self.command("LOGOUT", timeout=10)
        except ProtocolError:
            rep = None
        self.abort()
        return rep

    def abort(self):
        self.closed = True
        self.reader_task.cancel()
        try:
            self.w.close()
        except Exception:
            pass

    async def drain(self):
        await self.w.drain()
