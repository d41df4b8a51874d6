"""An in-process moto server (SWF, S3, ...) for tests: :class:`MotoServer`.

moto runs in server mode (``ThreadedMotoServer``) on 127.0.0.1 on a free port, so real boto3
clients talk HTTP to it exactly as they would to AWS, from any thread (and, through
:meth:`MotoServer.env`, from subprocesses). Clients get dummy credentials and a fixed region;
nothing is read from, or written to, the user's AWS configuration.

Use it directly::

    with MotoServer() as moto:
        swf = moto.client("swf")

or through the pytest fixtures of :mod:`flowwire.testing.pytest_plugin`.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from types import TracebackType
from typing import Any

from flowwire.errors import ConfigurationError

__all__ = ["DUMMY_CREDENTIALS", "MOTO_REGION", "MotoServer"]

MOTO_REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}


def _swf_models() -> Any:
    import importlib

    return importlib.import_module("moto.swf.models")


class MotoServer:
    """A moto server in a daemon thread of this process.

    ``start()`` must be called before use (the context manager does it); ``stop()`` shuts the
    server down. ``reset()`` forgets every resource of every service (``POST /moto-api/reset``).

    moto does not long-poll SWF: it answers an empty ``PollFor*Task`` after a fixed 1 s. With
    ``empty_poll_wait`` (seconds) that wait is shortened while the server runs, so workers pick
    tasks up sooner in tests (moto's backends are process-wide: this affects every moto SWF
    server of the process).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        region: str = MOTO_REGION,
        empty_poll_wait: float | None = None,
    ) -> None:
        self.host = host
        self.region = region
        self.empty_poll_wait = empty_poll_wait
        self._server: Any = None
        self._url: str | None = None
        self._saved_sleep: Any = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``; raises :class:`ConfigurationError` before ``start()``."""
        if self._url is None:
            raise ConfigurationError("MotoServer is not started; call start() first")
        return self._url

    def start(self) -> MotoServer:
        """Start the server on a free port; returns ``self``. Idempotent."""
        if self._server is not None:
            return self
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "MotoServer needs moto in server mode: pip install 'flowwire[testing]'"
            ) from exc
        # werkzeug logs every request on stderr; keep its warnings and errors only
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if self.empty_poll_wait is not None:
            self._shorten_empty_polls(self.empty_poll_wait)
        server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self._url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop the server if it runs. Idempotent."""
        if self._server is not None:
            server, self._server, self._url = self._server, None, None
            server.stop()
        if self._saved_sleep is not None:
            _swf_models().sleep, self._saved_sleep = self._saved_sleep, None

    def _shorten_empty_polls(self, seconds: float) -> None:
        # moto answers an empty SWF poll after sleep(1) (no long polling); the server runs in
        # this process, so its wait can be shortened. Affects every moto SWF backend here.
        swf_models = _swf_models()
        original = getattr(swf_models, "sleep", None)
        if original is None:  # pragma: no cover - a moto version without the fixed wait
            return
        self._saved_sleep = original
        swf_models.sleep = lambda _seconds: time.sleep(seconds)

    def reset(self) -> None:
        """Forget every resource of every service (``POST /moto-api/reset``)."""
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            json.loads(response.read() or b"{}")

    def client(self, service: str, **kwargs: Any) -> Any:
        """A ready boto3 client for ``service`` (``"swf"``, ``"s3"``, ...) bound to this server,
        with dummy credentials and the fixed region. ``kwargs`` go to ``boto3.client`` (for
        example ``config=``)."""
        import boto3

        options: dict[str, Any] = {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            **DUMMY_CREDENTIALS,
        }
        options.update(kwargs)
        session: Any = boto3.session.Session()
        return session.client(service, **options)

    def env(self) -> dict[str, str]:
        """Environment variables that point a subprocess's boto3 at this server (merge them
        into ``os.environ`` for the child, never into this process's)."""
        return {
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": DUMMY_CREDENTIALS["aws_session_token"],
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MotoServer({self._url or 'stopped'})"
