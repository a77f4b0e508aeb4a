"""Shared code of the capture benchmarks: processes (gunicorn, RQ workers, a private Redis, the
sandbox, the load generator), a fresh PostgreSQL database, request bodies, figures.

Every process is started in a session of its own and stopped by its process group id (never by
name); every address is on loopback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import typing as t
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BIN = Path(sys.executable).parent  # the virtualenv pytest runs from: gunicorn, flask
PYTHON = sys.executable

POSTGRES_URL = os.environ.get(
    "METAADS_BENCH_POSTGRES_URL",
    os.environ.get("METAADS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
APP_ID = "9412376810452210"
APP_SECRET = "bench-app-secret"
SECRET_KEY = "bench-secret-key-" + uuid.uuid4().hex
WEBHOOK_PATH = "/webhooks/social/facebook"

#: Variables of the outer environment that must not leak into the processes we start.
LEAKY_PREFIXES = ("FLASK_", "DATABASE_URL", "REDIS_URL", "FACEBOOK_", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- processes ----------------------------------------------------------------------------------


class Service:
    """A process we started, in its own session; ``stop`` ends its whole process group."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], logs: Path, cwd: Path = ROOT) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        self.pid = self.proc.pid
        self.stopped = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the group (gunicorn and RQ shut down warm), SIGKILL what is left."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while group_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # children that outlived their parent (an RQ horse)
        self._log.close()

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    out, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        out += children
        frontier += children
    return out


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB ({} once it is gone)."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid → (process group, name, CPU seconds including reaped children) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                text = (entry / "stat").read_text()
                name = text[text.index("(") + 1 : text.rindex(")")]
                fields = text.rsplit(")", 1)[1].split()
                out[int(entry.name)] = (int(fields[2]), name, sum(int(x) for x in fields[11:15]) / tick)
    return out


def _machine_busy() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # all jiffies, idle + iowait


class CpuMeter:
    """Who used the two cores during a measurement: our process groups by name, PostgreSQL, and
    everything else on the machine (other people's tests make figures noisy; this shows it)."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.shares: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self.started = time.monotonic()
        self.busy0, self.procs0 = _machine_busy(), _processes()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.monotonic() - self.started
        busy1, procs1 = _machine_busy(), _processes()
        total, idle = busy1[0] - self.busy0[0], busy1[1] - self.busy0[1]
        cores = os.cpu_count() or 1
        used = {name: 0.0 for name in self.groups} | {"postgres (all databases)": 0.0}
        by_pgid = {pgid: name for name, pgids in self.groups.items() for pgid in pgids}
        for pid, (pgid, name, cpu) in procs1.items():
            delta = cpu - (self.procs0[pid][2] if pid in self.procs0 and self.procs0[pid][1] == name else 0.0)
            group = by_pgid.get(pgid) or ("postgres (all databases)" if name.startswith("postgres") else None)
            if group:
                used[group] += delta
        self.shares = {name: 100 * value / elapsed for name, value in used.items()}
        self.shares["machine"] = 100 * cores * (1 - idle / total) if total else 0.0

    def add(self, name: str, cpu_seconds: float, elapsed: float) -> None:
        """A process that ended inside the measurement (its CPU seconds, reported by itself)."""
        self.shares[name] = 100 * cpu_seconds / elapsed

    def describe(self) -> str:
        """CPU in % of one core (200 % = both cores busy); "other" is everything not ours."""
        ours = sum(v for k, v in self.shares.items() if k != "machine")
        parts = [f"{k} {v:.0f}%" for k, v in self.shares.items() if k != "machine"]
        return ", ".join([*parts, f"other processes {max(0.0, self.shares['machine'] - ours):.0f}%"])


def wait_until(predicate: t.Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            response.read()
        return True
    except urllib.error.HTTPError:
        return True  # any answer means the server is up
    except OSError:
        return False


class Stack(contextlib.ExitStack):
    """The processes of one benchmark; closing it stops them in reverse order."""

    def __init__(self, logs: Path) -> None:
        super().__init__()
        self.logs = logs
        self.services: list[Service] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> Service:
        service = Service(name, argv, env=env, logs=self.logs, cwd=cwd)
        self.services.append(service)
        self.callback(service.stop)
        return service

    def pids(self, prefix: str) -> list[int]:
        """Process groups of the running services whose name starts with ``prefix``."""
        return [s.pid for s in self.services if s.name.startswith(prefix) and not s.stopped]

    def check_alive(self) -> None:
        dead = [s for s in self.services if not s.stopped and not s.alive()]
        if dead:
            raise RuntimeError("; ".join(f"{s.name} exited ({s.proc.returncode}):\n{s.tail()}" for s in dead))


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def app_env(database_url: str, redis_url: str, graph_url: str | None, encryption_key: str, **flask: str) -> dict[str, str]:
    """The product's environment (README's names); ``flask`` adds ``FLASK_<NAME>`` settings."""
    env = base_env() | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "TOKEN_ENCRYPTION_KEY": encryption_key,
        "FACEBOOK_CLIENT_ID": APP_ID,
        "FACEBOOK_CLIENT_SECRET": APP_SECRET,
        "FACEBOOK_WEBHOOK_VERIFY_TOKEN": "bench-verify",
    }
    if graph_url:
        env["FACEBOOK_GRAPH_URL"] = graph_url.rstrip("/")
    env |= {f"FLASK_{name}": value for name, value in flask.items()}
    # Try a setting without editing the benchmarks: METAADS_BENCH_FLASK_<NAME>=value reaches the
    # product's processes as FLASK_<NAME> (e.g. SQLALCHEMY_ENGINE_OPTIONS as JSON).
    env |= {k.removeprefix("METAADS_BENCH_"): v for k, v in os.environ.items() if k.startswith("METAADS_BENCH_FLASK_")}
    return env


@dataclasses.dataclass(frozen=True)
class GunicornSettings:
    workers: int
    threads: int = 1
    worker_class: str = "sync"
    backlog: int = 2048

    def describe(self) -> str:
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.worker_class}, {self.workers} workers{threads}, backlog {self.backlog}, access log off"


def start_gunicorn(stack: Stack, name: str, app: str, settings: GunicornSettings, env: dict[str, str], cwd: Path = ROOT) -> str:
    """Serve ``app`` ("module:variable") under gunicorn; returns the base URL once every worker answers."""
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(settings.workers),
        "--worker-class", settings.worker_class,
        "--threads", str(settings.threads),
        "--backlog", str(settings.backlog),
        "--graceful-timeout", "5",
        "--log-level", "warning",
        app,
    ]  # fmt: skip
    service = stack.start(name, argv, env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: not service.alive() or http_answers(base + WEBHOOK_PATH), 60, f"{name} to answer")
    stack.check_alive()
    # Every worker imports the app before the first measured request (no cold start in the figures).
    for _ in range(settings.workers * 4):
        http_answers(base + WEBHOOK_PATH)
    return base


def start_workers(stack: Stack, count: int, env: dict[str, str]) -> list[Service]:
    return [stack.start(f"rq-worker-{i}", [str(BIN / "flask"), "--app", "wsgi", "metaads", "worker"], env) for i in range(count)]


def start_redis(stack: Stack) -> str:
    """A private Redis without persistence, so no other test's keys or FLUSHDB meet ours."""
    port = free_port()
    stack.start(
        "redis",
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(stack.logs),
        ],
        base_env(),
    )
    import redis

    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.exceptions.ConnectionError:
            return False

    wait_until(up, 15, "redis-server")
    client.close()
    return f"redis://127.0.0.1:{port}/0"


def start_sandbox(stack: Stack, latency_ms: int) -> str:
    port = free_port()
    argv = [PYTHON, str(HERE / "sandbox_server.py"), "--port", str(port), "--latency-ms", str(latency_ms)]
    argv += ["--app-id", APP_ID, "--app-secret", APP_SECRET]
    service = stack.start(f"sandbox-{latency_ms}ms", argv, base_env())
    base = f"http://127.0.0.1:{port}/"
    wait_until(lambda: not service.alive() or http_answers(base + "_sandbox/seed"), 30, "the sandbox")
    stack.check_alive()
    return base


def sandbox_call(base: str, method: str, path: str, body: dict[str, t.Any] | None = None, timeout: float = 120) -> t.Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (http on loopback only)
        base + path.lstrip("/"), data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return json.loads(response.read())


# -- the database -------------------------------------------------------------------------------


def create_database(prefix: str = "metaads_bench") -> str:
    """A fresh, migrated PostgreSQL database; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=base_env() | {"DATABASE_URL": url, "FLASK_TESTING": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if migrate.returncode != 0:
        drop_database(url)
        raise RuntimeError(f"migrating {name} failed:\n{migrate.stdout}\n{migrate.stderr}")
    return url


def drop_database(url: str) -> None:
    name = sa.make_url(url).database
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def psycopg_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL, for plain psycopg connections."""
    parsed = sa.make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


# -- requests and results -----------------------------------------------------------------------


def signed(body: bytes) -> dict[str, str]:
    from metaads.sandbox import webhooks

    return {"Content-Type": "application/json", "User-Agent": webhooks.USER_AGENT, **webhooks.signature_headers(body, APP_SECRET)}


def lead_deliveries(leads: list[dict[str, t.Any]], batch: int, sent_at: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """Signed bodies exactly as Meta sends them; the tag is the comma-separated leadgen ids."""
    from metaads.sandbox import webhooks

    out = []
    for envelope in webhooks.envelopes(leads, batch=batch, sent_at=sent_at):
        body = webhooks.encode(envelope).encode("ascii")
        ids = [c["value"]["leadgen_id"] for entry in envelope["entry"] for c in entry["changes"]]
        out.append((",".join(ids), body, signed(body)))
    return out


@dataclasses.dataclass
class LoadResult:
    index: list[int]
    start: list[float]
    end: list[float]
    status: list[int]
    tag: list[str]
    cpu: float = 0.0  # CPU seconds of the generator itself

    def window(self, begin: float, finish: float) -> LoadResult:
        keep = [i for i, s in enumerate(self.start) if begin <= s < finish]
        columns = [f.name for f in dataclasses.fields(self) if f.name != "cpu"]
        picked: dict[str, t.Any] = {name: [getattr(self, name)[i] for i in keep] for name in columns}
        return LoadResult(**picked)

    @property
    def elapsed(self) -> float:
        """From the first request sent to the last answer."""
        return max(self.end) - min(self.start) if self.start else 0.0

    @property
    def throughput(self) -> float:
        return len(self.start) / self.elapsed if self.elapsed else 0.0

    @property
    def latencies_ms(self) -> list[float]:
        return [(e - s) * 1000 for s, e in zip(self.start, self.end, strict=True)]

    def count(self, status: int) -> int:
        return sum(1 for s in self.status if s == status)


def run_load(
    items: list[tuple[str, bytes, dict[str, str]]],
    base_url: str,
    workdir: Path,
    *,
    concurrency: int,
    duration: float | None = None,
    rate: float | None = None,
    name: str = "load",
    timeout: float = 300,
) -> LoadResult:
    """Run loadgen.py in its own process (its CPU is not the server's GIL) and read its results."""
    requests_file, results_file = workdir / f"{name}-requests.pickle", workdir / f"{name}-results.json"
    with open(requests_file, "wb") as file:
        pickle.dump(items, file, protocol=pickle.HIGHEST_PROTOCOL)
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    argv = [PYTHON, str(HERE / "loadgen.py"), str(requests_file), str(results_file), "--port", str(port)]
    argv += ["--concurrency", str(concurrency)]
    if duration is not None:
        argv += ["--duration", str(duration)]
    if rate is not None:
        argv += ["--rate", str(rate)]
    proc = subprocess.run(argv, env=base_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen failed: {proc.stderr[-3000:]}")
    data = json.loads(results_file.read_text())
    return LoadResult(data["index"], data["start"], data["end"], data["status"], data["tag"], data["cpu"])


class LoadInBackground(threading.Thread):
    """``run_load`` on a thread, so the caller can watch the database meanwhile."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(daemon=True)
        self.args, self.kwargs = args, kwargs
        self.result: LoadResult | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = run_load(*self.args, **self.kwargs)
        except BaseException as exc:  # handed to the caller in join_result
            self.error = exc

    def join_result(self, timeout: float | None = None) -> LoadResult:
        self.join(timeout)
        if self.error is not None:
            raise self.error
        assert self.result is not None, "the load generator did not finish"
        return self.result


def percentile(values: t.Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def report(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n=== {title} ===")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    sys.stdout.flush()


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


# -- watching the product -----------------------------------------------------------------------


def wait_for_rq_workers(redis_url: str, count: int, stack: Stack, timeout: float = 60) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:

        def ready() -> bool:
            stack.check_alive()
            return int(client.scard("rq:workers")) >= count

        wait_until(ready, timeout, f"{count} RQ workers", interval=0.2)
    finally:
        client.close()


def queued_jobs(redis_url: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return sum(int(client.llen(f"rq:queue:{name}")) for name in ("metaads-high", "metaads-default", "metaads-low"))
    finally:
        client.close()


class LeadWatcher(threading.Thread):
    """Polls ``metaads_leads`` and notes when each expected lead first became visible (committed)
    with its answers. A lead's time is the start of the first poll that saw it, so it is late by
    at most one poll interval (plus the query) and never early.

    Ids are handed out before commit, so a transaction still open may commit a lower id later:
    each poll reads every row above the highest id that was already visible ``settle`` seconds ago.
    """

    def __init__(self, database_url: str, expected: t.Iterable[str], interval: float = 0.025, settle: float = 3.0) -> None:
        super().__init__(daemon=True)
        self.dsn = psycopg_dsn(database_url)
        self.expected = set(expected)
        self.interval = interval
        self.settle = settle
        self.seen: dict[str, float] = {}
        self.created_at: dict[str, float] = {}  # the worker's own timestamp, set just before its commit
        self.without_answers: set[str] = set()
        self.polls = 0
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        import collections

        import psycopg

        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                low, top = 0, 0
                history: collections.deque[tuple[float, int]] = collections.deque()
                while not self._stop_event.is_set():
                    polled_at = time.time()
                    rows = conn.execute(
                        "SELECT id, meta_lead_id, extract(epoch FROM created_at)::float8,"
                        " coalesce(json_array_length(field_data::json), 0) FROM metaads_leads WHERE id > %s",
                        (low,),
                    ).fetchall()
                    self.polls += 1
                    for row_id, meta_id, created, answers in rows:
                        top = max(top, row_id)
                        if meta_id in self.expected and meta_id not in self.seen:
                            self.seen[meta_id] = polled_at
                            self.created_at[meta_id] = created
                            if not answers:
                                self.without_answers.add(meta_id)
                    history.append((polled_at, top))
                    while history and history[0][0] < polled_at - self.settle:
                        low = max(low, history.popleft()[1])
                    if self.expected and len(self.seen) == len(self.expected):
                        return
                    self._stop_event.wait(self.interval)
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)
        if self.error is not None:
            raise self.error

    def wait_all(self, deadline: float) -> bool:
        """Wait until every expected lead is seen or ``time.time()`` passes ``deadline``."""
        while time.time() < deadline and len(self.seen) < len(self.expected) and self.is_alive():
            time.sleep(0.05)
        return len(self.seen) == len(self.expected)


def graph_call_ms(graph_url: str, lead_id: str, token: str) -> float:
    """One Graph read of a lead straight from the sandbox (a floor for any fetch of it)."""
    import hashlib
    import hmac
    import urllib.parse

    proof = hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
    query = urllib.parse.urlencode({"fields": "id,field_data", "access_token": token, "appsecret_proof": proof})
    started = time.perf_counter()
    with urllib.request.urlopen(f"{graph_url}v26.0/{lead_id}?{query}", timeout=30) as response:  # noqa: S310 (loopback)
        assert response.status == 200
        response.read()
    return (time.perf_counter() - started) * 1000
