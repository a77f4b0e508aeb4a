"""A small HTTP/1.1 load generator on raw asyncio sockets, run as its own process.

    python loadgen.py REQUESTS.pickle RESULTS.json --port P [--concurrency C] [--duration S | --rate R]

``REQUESTS.pickle`` holds a list of ``(tag, body, headers)`` POSTed to ``--path`` in order, each at
most once. Closed loop (default): ``C`` connections send back to back until ``--duration`` seconds
have passed or the list runs out; open loop (``--rate``): requests start at a fixed rate (``C``
connections at most in flight; what has not started by ``--duration`` is not sent). Requests in
flight when the time is up are waited for, so every request sent has its answer recorded (an exact
count of the 200s). Keep-alive when the server allows it, a new connection per request when it
answers ``Connection: close`` (gunicorn's sync workers).

RESULTS.json: ``{"start": [...], "end": [...], "status": [...], "tag": [...]}`` per request sent, in
``time.time()`` seconds (same clock as the caller), status 0 for a connection error; ``cpu``: the
CPU seconds the generator itself used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import resource
import sys
import time
import typing as t


class Connection(asyncio.Protocol):
    """One client connection that carries one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bool]] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = t.cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._complete()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed before the whole answer came"))

    def _complete(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(self.buffer[:head_end]).lower()
        length = 0
        marker = head.find(b"content-length:")
        if marker >= 0:
            line_end = head.find(b"\r\n", marker)
            length = int(head[marker + 15 : line_end if line_end >= 0 else len(head)])
        if len(self.buffer) < head_end + 4 + length:
            return
        status = int(head[9:12])
        close = b"connection: close" in head or head.startswith(b"http/1.0")
        del self.buffer[: head_end + 4 + length]
        waiter.set_result((status, close))

    async def request(self, payload: bytes) -> tuple[int, bool]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return await self.waiter


def raw_requests(items: list[tuple[str, bytes, dict[str, str]]], host: str, port: int, path: str) -> list[bytes]:
    out = []
    for _tag, body, headers in items:
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        out.append(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    return out


async def run(
    payloads: list[bytes], host: str, port: int, concurrency: int, duration: float | None, rate: float | None
) -> dict[str, t.Any]:
    loop = asyncio.get_running_loop()
    n = len(payloads)
    start = [0.0] * n
    end = [0.0] * n
    status = [-1] * n
    next_index = 0
    begun = time.time()
    deadline = begun + duration if duration else float("inf")
    schedule: asyncio.Queue[int | None] | None = asyncio.Queue() if rate else None

    async def take() -> int | None:
        nonlocal next_index
        if schedule is not None:
            index = await schedule.get()
            # Open loop: a request still waiting for a connection at the deadline is not sent.
            return None if index is None or time.time() >= deadline else index
        if next_index >= n or time.time() >= deadline:
            return None
        next_index += 1
        return next_index - 1

    async def client() -> None:
        conn: Connection | None = None
        while (index := await take()) is not None:
            start[index] = time.time()
            try:
                if conn is None or conn.lost:
                    _, conn = await loop.create_connection(Connection, host, port)
                code, close = await conn.request(payloads[index])
            except OSError:
                code, close = 0, True
            end[index] = time.time()
            status[index] = code
            if close and conn is not None:
                if conn.transport is not None:
                    conn.transport.close()
                conn = None
        if conn is not None and conn.transport is not None:
            conn.transport.close()

    async def pace() -> None:
        assert schedule is not None and rate
        for index in range(n):
            due = begun + index / rate
            if due >= deadline:
                break
            wait = due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            schedule.put_nowait(index)
        for _ in range(concurrency):
            schedule.put_nowait(None)

    tasks = [asyncio.create_task(client()) for _ in range(concurrency)]
    if schedule is not None:
        tasks.append(asyncio.create_task(pace()))
    await asyncio.gather(*tasks)
    sent = [i for i in range(n) if status[i] != -1]
    return {
        "index": sent,
        "start": [start[i] for i in sent],
        "end": [end[i] for i in sent],
        "status": [status[i] for i in sent],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests")
    parser.add_argument("results")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/webhooks/social/facebook")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--rate", type=float, default=None)
    args = parser.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        sys.exit("loopback addresses only")
    with open(args.requests, "rb") as file:
        items = pickle.load(file)  # noqa: S301 (written by harness.run_load for this run)
    payloads = raw_requests(items, args.host, args.port, args.path)
    results = asyncio.run(run(payloads, args.host, args.port, args.concurrency, args.duration, args.rate))
    results["tag"] = [items[i][0] for i in results["index"]]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["cpu"] = usage.ru_utime + usage.ru_stime
    with open(args.results, "w") as file:
        json.dump(results, file)


if __name__ == "__main__":
    main()
