"""The production web server: gunicorn serving `gvi.wsgi`, configured from the environment.

`gvi serve` runs it in the foreground (systemd's `Type=notify`-free simple service, see deploy/). Each
gunicorn worker process runs `GVI_WEB_THREADS` threads; requests are logged to stdout when
`GVI_ACCESS_LOG` is true. Nothing here runs background work: that is `gvi worker`.
"""

from django.conf import settings
from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from gvi.wsgi import application

        return application


def gunicorn_options(address: str, workers: int, threads: int) -> dict:
    return {
        "bind": address,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": settings.GVI_WEB_TIMEOUT_SECONDS,
        "graceful_timeout": 30,
        "keepalive": 5,
        # Recycle processes now and then so a slow leak never grows without bound.
        "max_requests": 2000,
        "max_requests_jitter": 200,
        "accesslog": "-" if settings.GVI_ACCESS_LOG else None,
        "errorlog": "-",
        "loglevel": settings.GVI_LOG_LEVEL.lower(),
        "forwarded_allow_ips": settings.GVI_FORWARDED_ALLOW_IPS,
        "proc_name": "gvi-web",
    }


def serve(address: str, workers: int, threads: int) -> None:
    from django.db import connections

    connections.close_all()  # the worker processes fork from here: none may inherit a connection
    GunicornServer(gunicorn_options(address, workers, threads)).run()
