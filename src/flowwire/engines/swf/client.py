"""The boto3 ``swf`` client and the one place where botocore errors become flowwire errors.

:func:`make_client` builds a client from the standard credential chain (environment, shared
config, instance role, ...), with a read timeout above SWF's 60 s long poll and botocore's
retry handler with exponential backoff on throttling. :class:`SWF` wraps that client: every
call goes through :meth:`SWF.call`, which raises :class:`SWFError` (a
:class:`~flowwire.errors.BackendError`) with the operation and the SWF error code, and keeps the
botocore exception in ``__cause__``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from flowwire.errors import BackendError, ConfigurationError

__all__ = ["DEFAULT_READ_TIMEOUT", "SWF", "SWFError", "make_client", "poll_until"]

DEFAULT_READ_TIMEOUT = 75
"""Seconds; SWF holds a poll open for up to 60 s, so the socket must wait longer than that."""


class SWFError(BackendError):
    """Amazon SWF refused or failed a call.

    ``operation`` is the API name (``"PollForDecisionTask"``), ``code`` the SWF error code
    without its namespace (``"UnknownResourceFault"``, ``"TypeAlreadyExistsFault"``), or
    ``None`` when the call never got an answer (connection, credentials, timeout).
    """

    def __init__(self, operation: str, code: str | None, message: str) -> None:
        self.operation = operation
        self.code = code
        self.message = message
        where = f"{operation} failed" + (f" with {code}" if code else "")
        super().__init__(f"{where}: {message}")


def _boto3() -> Any:
    try:
        import boto3
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigurationError("the SWF engine needs boto3: pip install 'flowwire[swf]'") from exc
    return boto3


def make_client(
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    session: Any = None,
    read_timeout: int = DEFAULT_READ_TIMEOUT,
    max_attempts: int = 10,
    retry_mode: str = "standard",
    max_pool_connections: int = 32,
    **client_kwargs: Any,
) -> Any:
    """Return a boto3 ``swf`` client.

    Credentials come from the standard chain of ``session`` (a ``boto3.Session``; the default
    session when ``None``). ``region`` must be given or configured (``AWS_REGION``,
    ``AWS_DEFAULT_REGION`` or the shared config), else :class:`ConfigurationError` is raised.
    ``read_timeout`` must exceed 60 s (the long poll). ``retry_mode`` is botocore's
    ``"standard"`` or ``"adaptive"``; both back off exponentially on throttling.
    ``client_kwargs`` go to ``session.client`` unchanged (for example explicit credentials).
    """
    if read_timeout <= 60:
        raise ConfigurationError(
            f"read_timeout={read_timeout} s would cut SWF's 60 s long polls short; use > 60"
        )
    if retry_mode not in ("standard", "adaptive"):
        raise ConfigurationError(
            f"retry_mode={retry_mode!r}: use 'standard' or 'adaptive' (exponential backoff)"
        )
    boto3 = _boto3()  # first: it names the extra when boto3 (and botocore) are missing
    from botocore.config import Config

    session = session if session is not None else boto3.session.Session()
    region = region or session.region_name or os.environ.get("AWS_REGION")
    if not region:
        raise ConfigurationError(
            "no AWS region for SWF: pass region=/--region or set AWS_REGION/AWS_DEFAULT_REGION"
        )
    retries: Any = {"mode": retry_mode, "max_attempts": max_attempts}
    config = Config(
        read_timeout=read_timeout,
        connect_timeout=10,
        retries=retries,
        max_pool_connections=max_pool_connections,
    )
    return session.client(
        "swf", region_name=region, endpoint_url=endpoint_url, config=config, **client_kwargs
    )


class SWF:
    """A boto3 ``swf`` client and the domain it works in.

    ``client`` is any boto3 ``swf`` client (see :func:`make_client`). Every method of the
    engine calls SWF through :meth:`call`, so no botocore exception escapes the engine.
    """

    def __init__(self, client: Any, domain: str) -> None:
        if not domain:
            raise ConfigurationError("an SWF domain name is required")
        self.client = client
        self.domain = domain

    @classmethod
    def connect(
        cls,
        domain: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        **kwargs: Any,
    ) -> SWF:
        """Build the client with :func:`make_client` and bind it to ``domain``."""
        return cls(make_client(region=region, endpoint_url=endpoint_url, **kwargs), domain)

    def call(self, operation: str, /, **params: Any) -> dict[str, Any]:
        """Call SWF operation ``operation`` (its API name) with ``params``.

        Raises :class:`SWFError` naming the operation and SWF's error code when SWF answers
        with an error, and with ``code=None`` when there was no usable answer.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.client, _snake(operation))
        try:
            response: dict[str, Any] = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "") or None
            if code and "#" in code:  # some answers keep the namespace: "com.amazonaws...#Fault"
                code = code.rsplit("#", 1)[1]
            raise SWFError(operation, code, str(error.get("Message") or exc)) from exc
        except BotoCoreError as exc:
            raise SWFError(operation, None, str(exc)) from exc
        return response


def _snake(operation: str) -> str:
    out = []
    for i, ch in enumerate(operation):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def poll_until(
    stop: threading.Event, poll_once: Callable[[], object], log: logging.Logger, who: str
) -> None:
    """Call ``poll_once`` until ``stop`` is set. SWF errors are logged and the loop goes on
    after a short pause; any other exception is logged with its traceback (a bug must not
    kill a worker thread silently) and the loop goes on too."""
    while not stop.is_set():
        try:
            if not poll_once():
                log.debug("%s: empty poll", who)
        except SWFError as exc:
            log.error("%s: %s", who, exc)
            stop.wait(1.0)
        except Exception:
            log.exception("%s", who)
            stop.wait(1.0)
