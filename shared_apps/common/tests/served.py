"""The whole project served over ASGI in a thread (uvicorn, as scripts/run serves it), for tests that need a real
server: browser tests, event streams. Static files are served as the development server serves them."""

import threading
import time

import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from config.asgi import build


class ServedProject:
    """start() serves on 127.0.0.1 (any free port the first time, the same port after a restart); stop() ends it,
    open streams included."""

    def __init__(self):
        self.port = 0
        self.server = None
        self.thread = None

    def start(self) -> "ServedProject":
        application = build(ASGIStaticFilesHandler(get_asgi_application()))
        # log_level critical: stopping cancels the open streams' tasks, which uvicorn would log as errors (the
        # application's own errors still reach Django's loggers).
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, lifespan="off", log_level="critical", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The ASGI server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # open streams would keep a graceful shutdown waiting
        self.thread.join(timeout=20)
