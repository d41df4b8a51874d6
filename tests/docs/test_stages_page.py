"""The data blocks of docs/stages.md are what the code produces and needs.

* the 165-character history entry decodes to the header the page describes;
* the IAM policy allows every S3 call ``S3Store`` makes through an offloading transport (recorded
  on a moto server), and nothing else; the lifecycle rule covers the same prefix.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest

from flowwire import DecodeError, MsgpackTransport
from flowwire.transport import envelope
from flowwire.transport.stages import Offload, S3Store

PAGE = Path(__file__).resolve().parents[2] / "docs" / "stages.md"
TEXT = PAGE.read_text(encoding="utf-8")


def json_block(after: str) -> Any:
    match = re.search(re.escape(after) + r".*?```json\n(.*?)```", TEXT, re.S)
    assert match, f"no ```json block after {after!r}"
    return json.loads(match.group(1))


def test_history_example_has_the_described_header() -> None:
    match = re.search(r"the\nhistory holds these 165 characters:\n\n```text\n(~.*?)\n```", TEXT)
    assert match, "the history example of docs/stages.md is missing"
    payload = match.group(1)
    assert len(payload) == 165
    parsed = envelope.unpack(envelope.dearmor(payload))
    assert parsed.codec == "msgpack" and parsed.body == b""
    (zstd, zstd_params), (aesgcm, aesgcm_params), (offload, offload_params) = parsed.stages
    assert (zstd, aesgcm, offload) == ("zstd", "aesgcm", "offload")
    # the layouts of "Parameters, byte by byte" on the same page
    assert int.from_bytes(zstd_params, "big") == 5_242_885 == 5 * 2**20 + 5  # msgpack str header
    assert aesgcm_params[0] == 1 and aesgcm_params[2 : 2 + aesgcm_params[1]] == b"2026-11"
    assert len(aesgcm_params) == 22 + len(b"2026-11")
    name_length = offload_params[1]
    assert offload_params[2 : 2 + name_length] == b"local"
    digest = offload_params[2 + name_length : 34 + name_length].hex()
    assert digest.startswith("0fe261a3") and digest.endswith("3923")
    assert int.from_bytes(offload_params[34 + name_length :], "big") == 2_725_923
    for claim in ("uncompressed size 5,242,885 bytes", "`0fe261a3...3923`, 2,725,923 bytes"):
        assert claim in TEXT


def s3_arns(operation: str, params: dict[str, Any]) -> tuple[str, str]:
    """The IAM action and resource an S3 API call needs."""
    bucket = params["Bucket"]
    if operation in ("HeadObject", "GetObject"):
        return "s3:GetObject", f"arn:aws:s3:::{bucket}/{params['Key']}"
    if operation == "PutObject":
        return "s3:PutObject", f"arn:aws:s3:::{bucket}/{params['Key']}"
    if operation.startswith("ListObjects"):
        return "s3:ListBucket", f"arn:aws:s3:::{bucket}"
    raise AssertionError(f"S3Store calls {operation}, which the page's policy does not cover")


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    return any(
        statement["Effect"] == "Allow"
        and action in actions_of(statement)
        and fnmatch.fnmatchcase(resource, statement["Resource"])
        for statement in policy["Statement"]
    )


def test_iam_policy_covers_every_call_of_the_store(moto_s3_client: Any) -> None:
    policy = json_block("## IAM permissions")
    lifecycle = json_block("On S3, use a lifecycle rule on the prefix:")
    moto_s3_client.create_bucket(Bucket="acme-workflows")
    calls: list[tuple[str, dict[str, Any]]] = []
    moto_s3_client.meta.events.register(
        "provide-client-params.s3",
        lambda params, model, **_: calls.append((model.name, dict(params))),
    )
    store = S3Store("acme-workflows", "payloads/", client=moto_s3_client)  # as on the page
    writer = MsgpackTransport(stages=[Offload(store, threshold=1)])
    rewriter = MsgpackTransport(stages=[Offload(store, threshold=1, dedupe=False)])
    payload = writer.serialize_result("x" * 1000)  # HeadObject (missing), PutObject
    assert writer.serialize_result("x" * 1000) == payload  # HeadObject (exists)
    assert rewriter.serialize_result("x" * 1000) == payload  # PutObject
    assert writer.deserialize_result(payload) == "x" * 1000  # GetObject
    key = calls[-1][1]["Key"]
    moto_s3_client.delete_object(Bucket="acme-workflows", Key=key)
    assert calls.pop()[0] == "DeleteObject"  # the test's own call, not the store's
    with pytest.raises(DecodeError, match="acme-workflows"):
        writer.deserialize_result(payload)  # GetObject on a missing key
    assert {name for name, _ in calls} == {"HeadObject", "PutObject", "GetObject"}
    for operation, params in calls:
        action, resource = s3_arns(operation, params)
        assert params["Key"].startswith("payloads/")
        assert allowed(policy, action, resource), (operation, resource)
    # ListBucket is there for 404 instead of 403 on a missing key, limited to the prefix
    (listing,) = [s for s in policy["Statement"] if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "payloads/*"}}
    granted = {action for statement in policy["Statement"] for action in actions_of(statement)}
    assert granted == {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}
    assert [rule["Filter"]["Prefix"] for rule in lifecycle["Rules"]] == ["payloads/"]
