"""A boto3 ``swf`` client that answers from recorded SWF traffic instead of the network.

Each call is checked against the next recorded request (same operation) and answered with the
recorded HTTP status and JSON body, so botocore's real parser and error handling run on real
SWF answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("boto3", reason=reason("boto3"))

import boto3
from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def replay_client(records: list[dict[str, Any]]) -> Any:
    queue = list(records)
    client = boto3.session.Session().client(
        "swf",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=boto3.session.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    sent: list[tuple[str, dict[str, Any]]] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        record = queue.pop(0)
        assert record["operation"] == operation, (record["operation"], operation)
        sent.append((operation, json.loads(request.body)))
        body = b"" if record["response"] is None else json.dumps(record["response"]).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, record["status"], headers, _Raw(body))

    client.meta.events.register("before-send.swf.*", answer)
    client.sent = sent
    return client
