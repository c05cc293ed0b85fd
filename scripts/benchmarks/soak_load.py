"""Mixed patient traffic for a fixed time, from its own process: browse, directory, availability, book, cancel,
my appointments. Usage: soak_load.py <port> <spec.json> <seconds> <out.json>. Writes every booking and cancel."""

import http.client
import json
import random
import sys
import threading
import time
import uuid

THREADS = 12


def main() -> None:
    port, spec, seconds, out = int(sys.argv[1]), json.load(open(sys.argv[2])), float(sys.argv[3]), sys.argv[4]  # noqa: SIM115
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    log = {"requests": 0, "statuses": {}, "bookings": [], "cancelled": [], "by_kind": {}}

    def worker(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[tuple[str, str]] = []  # (appointment id, its patient's token), to cancel later
        while time.monotonic() < deadline:
            patient = rng.choice(spec["patients"])
            kind = rng.choices(["browse", "directory", "availability", "book", "cancel", "mine"], [2, 2, 3, 4, 1, 2])[0]
            method, path, body = "GET", None, None
            headers = {
                "Host": "localhost",
                "Content-Type": "application/json",
                "Authorization": f"Bearer {patient['token']}",
            }
            doctor = rng.choice(spec["doctors"])
            if kind == "browse":
                path = "/api/hospitals/?page_size=20"
            elif kind == "directory":
                path = f"/api/doctors/?specialization={doctor['specialization']}"
            elif kind == "availability":
                path = f"/api/doctors/{doctor['id']}/availability/?from={spec['day']}&to={spec['day']}"
            elif kind == "book":
                method, path = "POST", "/api/appointments/book/"
                body = {"doctor_id": doctor["id"], "date": spec["day"], "time": rng.choice(spec["times"])}
                headers["Idempotency-Key"] = str(uuid.uuid4())
            elif kind == "cancel" and mine:
                appointment_id, token = mine.pop(rng.randrange(len(mine)))
                method, path = "POST", f"/api/appointments/{appointment_id}/cancel/"
                headers["Authorization"] = f"Bearer {token}"
            else:
                kind, path = "mine", "/api/appointments/user/?when=upcoming"
            status, payload = _send(conn, method, path, headers, body)
            if status is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                log["requests"] += 1
                key = str(status)
                log["statuses"][key] = log["statuses"].get(key, 0) + 1
                log["by_kind"].setdefault(kind, {}).setdefault(key, 0)
                log["by_kind"][kind][key] += 1
                if kind == "book" and status == 201:
                    log["bookings"].append(
                        {"id": payload["id"], "hospital_id": payload["hospital_id"], "patient": patient["email"]}
                    )
                if kind == "cancel" and status == 200:
                    log["cancelled"].append(payload["id"])
            if kind == "book" and status == 201:
                mine.append((payload["id"], patient["token"]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump(log, open(out, "w"))  # noqa: SIM115


def _send(conn, method, path, headers, body):
    try:
        conn.request(method, path, body=json.dumps(body).encode() if body else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        payload = (
            json.loads(data) if data and response.getheader("Content-Type", "").startswith("application/json") else None
        )
        return response.status, payload
    except (OSError, http.client.HTTPException, ValueError):
        conn.close()
        return None, None


if __name__ == "__main__":
    main()
