"""Real parallel transactions in tests: each call in its own thread (so its own database connection)."""

import threading

from django.db import connections


def in_parallel(calls: list) -> list:
    """Run each call in its own thread, all released at once by a barrier; returns their results in order (an
    exception a call raised is its result, for the test to inspect)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(n, call):
        try:
            barrier.wait()
            results[n] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
