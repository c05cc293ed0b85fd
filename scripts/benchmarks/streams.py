"""scripts/bench streams: 1,000 idle live-update streams on one web process (gunicorn, one uvicorn worker).

Reports the worker's resident memory before and with the streams open, the publish-to-receive latency of events
sent while they are open (from the publishing transaction's commit to the frame arriving at its stream; goal p95
<= 100 ms), and the empty endpoint's throughput without and with the streams open.
"""

import asyncio
import json
import random
import statistics
import threading
import time
from pathlib import Path

from scripts.benchmarks.common import DATABASE_PREFIX, manage, p95, record, recreate_database, table, use_database
from scripts.benchmarks.serving import PORT, gunicorn, warm, wrk

DATABASE = f"{DATABASE_PREFIX}_streams"
HOSPITAL_ID = 1  # events name a hospital; no admin stream reads it here


def run(*, quick: bool = False) -> None:
    streams, events, seconds = (200, 50, 5) if quick else (1000, 200, 10)
    recreate_database(DATABASE)
    use_database(DATABASE)
    manage("migrate_schemas", "--shared", "--noinput")
    tokens = _patients(streams)
    with gunicorn(DATABASE, workers=1, asgi=True) as server:
        worker = _worker_pid(server.pid)
        warm("/api/ping/")
        alone = wrk("/api/ping/", seconds=seconds)
        rss_before = _rss_mib(worker)
        opened = time.perf_counter()
        result = asyncio.run(_measure(tokens, events, worker, seconds, opened))
    print(f"{streams} streams opened in {result['open_seconds']:.1f} s")
    table(
        f"{streams} idle streams on one web process (gunicorn + 1 uvicorn worker)",
        ["measure", "value"],
        [
            ["worker RSS before, MiB", rss_before],
            [f"worker RSS with {streams} streams, MiB", result["rss"]],
            ["RSS per stream, KiB", (result["rss"] - rss_before) * 1024 / streams],
            [f"publish→receive p50 ms ({events} events)", result["p50"]],
            ["publish→receive p95 ms", result["p95"]],
            ["events lost", result["lost"]],
            ["empty endpoint req/s, no streams", alone["rps"]],
            ["empty endpoint req/s, streams open", result["busy"]["rps"]],
            ["empty endpoint p95 ms, streams open", result["busy"]["p95_ms"]],
        ],
    )
    print("goal: publish→receive p95 <= 100 ms")
    _record(streams, rss_before, alone, result)


def _record(streams: int, rss_before: float, alone: dict, result: dict) -> None:
    record("streams_open", streams, "count")
    record("streams_open_s", result["open_seconds"], "s")
    record("streams_rss_before_mib", rss_before, "MiB")
    record("streams_rss_mib", result["rss"], "MiB")
    record("streams_p50_ms", result["p50"], "ms")
    record("streams_p95_ms", result["p95"], "ms")
    record("streams_lost", result["lost"], "count")
    record("streams_empty_rps", alone["rps"], "req/s")
    record("streams_empty_rps_open", result["busy"]["rps"], "req/s", alone["rps"])


def _patients(count: int) -> list[tuple[int, str]]:
    from shared_apps.accounts.models import Patient, Role, User
    from shared_apps.accounts.tokens import tokens_for
    from shared_apps.hospitals.services import platform_ensure

    platform_ensure()
    users = User.objects.bulk_create(
        User(email=f"stream-{n}@example.com", name=f"Stream {n}", role=Role.PATIENT) for n in range(count)
    )
    Patient.objects.bulk_create(Patient(user=user) for user in users)
    return [(user.pk, tokens_for(user)["access"]) for user in users]


async def _open(token: str, ready: asyncio.Event, inbox: dict, key: int):
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(
        f"GET /api/events/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    while b"id: " not in await reader.readline():  # the headers, `retry:`, then the resume point
        pass
    ready.set()
    while line := await reader.readline():
        if line.startswith(b"data: "):
            data = json.loads(line[6:])
            inbox.setdefault(key, []).append((data["n"], time.perf_counter()))
    writer.close()


async def _measure(tokens, events: int, worker: int, seconds: int, started: float) -> dict:
    inbox: dict[int, list] = {}
    readies = [asyncio.Event() for _ in tokens]
    tasks = []
    for (user_id, token), ready in zip(tokens, readies, strict=True):
        tasks.append(asyncio.create_task(_open(token, ready, inbox, user_id)))
        await asyncio.sleep(0.002)  # a ramp, as clients arrive
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
    open_seconds = time.perf_counter() - started
    await asyncio.sleep(2)
    rss = _rss_mib(worker)
    sent = await asyncio.to_thread(_publish, [uid for uid, _ in tokens], events)
    await asyncio.sleep(2)
    latencies, lost = [], 0
    for n, (user_id, committed) in enumerate(sent):
        arrivals = [at for got, at in inbox.get(user_id, []) if got == n]
        if arrivals:
            latencies.append((arrivals[0] - committed) * 1000)
        else:
            lost += 1
    busy = await asyncio.to_thread(wrk, "/api/ping/", seconds=seconds)
    for task in tasks:
        task.cancel()
    return {
        "open_seconds": open_seconds,
        "rss": rss,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": p95(latencies) if latencies else float("nan"),
        "lost": lost,
        "busy": busy,
    }


def _publish(user_ids: list[int], events: int) -> list[tuple[int, float]]:
    """One event at a time for a random stream's patient, 20 ms apart; the commit (and so the publish) time of
    each, as the stream's clock (perf_counter) sees it."""
    from django.db import connection, transaction

    from shared_apps.events.services import event_record

    sent = []
    for n in range(events):
        user_id = random.choice(user_ids)  # noqa: S311 - not for security
        with transaction.atomic():
            event_record(type="waitlist.expired", hospital_id=HOSPITAL_ID, patient_id=user_id, data={"n": n})
            committing = time.perf_counter()
        sent.append((user_id, committing))
        time.sleep(0.02)
    connection.close()
    assert threading.current_thread() is not threading.main_thread()
    return sent


def _worker_pid(master: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")
