"""A load generator run as its own process: N threads, each with its own connection, released at once.

Usage: python scripts/benchmarks/load.py <port> <jobs.json>  — jobs: [{"method", "path", "headers", "body"}];
prints a JSON summary: statuses counted, seconds, latencies.
"""

import http.client
import json
import sys
import threading
import time


def main() -> None:
    port, jobs = int(sys.argv[1]), json.load(open(sys.argv[2]))  # noqa: SIM115 - read once
    barrier = threading.Barrier(len(jobs) + 1)
    results = [None] * len(jobs)

    def worker(n: int, job: dict) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.connect()
        body = json.dumps(job.get("body")).encode() if job.get("body") is not None else None
        headers = {"Host": "localhost", "Content-Type": "application/json", **job.get("headers", {})}
        barrier.wait()
        started = time.perf_counter()
        try:
            conn.request(job["method"], job["path"], body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            results[n] = (response.status, time.perf_counter() - started)
        except OSError as exc:
            results[n] = (f"error:{type(exc).__name__}", time.perf_counter() - started)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(latency for _, latency in results)
    print(json.dumps({"statuses": statuses, "seconds": elapsed, "latencies": latencies}))


if __name__ == "__main__":
    main()
