"""Client, error mapping, registration and the moto fixture, against moto in server mode."""

from __future__ import annotations

from typing import Any

import pytest
from _extras import needs

from flowwire.engines.swf.client import SWF, SWFError, make_client
from flowwire.engines.swf.registration import (
    ActivityTypeSpec,
    WorkflowTypeSpec,
    register_all,
    register_domain,
    timeout_value,
)
from flowwire.errors import BackendError, ConfigurationError, RegistrationError
from flowwire.testing.moto import MotoServer

pytestmark = pytest.mark.swf


def test_make_client_settings(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    client = make_client(endpoint_url=moto_server.endpoint_url, retry_mode="adaptive")
    config = client.meta.config
    assert config.read_timeout > 60
    assert config.retries["mode"] == "adaptive"
    assert client.meta.region_name == moto_server.region
    client.list_domains(registrationStatus="REGISTERED")  # credentials from the standard chain
    with pytest.raises(ConfigurationError, match="60 s long polls"):
        make_client(region="us-east-1", read_timeout=30)
    with pytest.raises(ConfigurationError, match="retry_mode"):
        make_client(region="us-east-1", retry_mode="legacy")


def test_errors_are_mapped(moto_swf_client: Any) -> None:
    swf = SWF(moto_swf_client, "no-such-domain")
    with pytest.raises(SWFError) as info:
        swf.call("DescribeDomain", name="no-such-domain")
    assert isinstance(info.value, BackendError)
    assert info.value.code == "UnknownResourceFault"
    assert info.value.operation == "DescribeDomain"
    assert "DescribeDomain failed with UnknownResourceFault" in str(info.value)
    assert info.value.__cause__ is not None


@needs("swf")
def test_unreachable_endpoint_is_a_backend_error() -> None:
    client = make_client(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        max_attempts=1,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    with pytest.raises(SWFError) as info:
        SWF(client, "d").call("ListDomains", registrationStatus="REGISTERED")
    assert info.value.code is None


def test_registration_is_idempotent_and_reports_conflicts(moto_swf_client: Any) -> None:
    swf = SWF(moto_swf_client, "reg")
    specs: list[ActivityTypeSpec | WorkflowTypeSpec] = [
        ActivityTypeSpec("resize", "1", "images", heartbeat=30),
        WorkflowTypeSpec("thumbs", "1", "decisions"),
    ]
    assert [created for _, created in register_all(swf, specs)] == [True, True]
    assert [created for _, created in register_all(swf, specs)] == [False, False]
    assert register_domain(swf) is False
    described = moto_swf_client.describe_activity_type(
        domain="reg", activityType={"name": "resize", "version": "1"}
    )["configuration"]
    assert described["defaultTaskHeartbeatTimeout"] == "30"
    assert described["defaultTaskScheduleToCloseTimeout"] == "420"
    assert described["defaultTaskList"] == {"name": "images"}

    with pytest.raises(RegistrationError, match=r"activity type 'resize' v1 .*defaultTaskList"):
        register_all(swf, [ActivityTypeSpec("resize", "1", "other", heartbeat=30)])
    with pytest.raises(RegistrationError, match="defaultTaskStartToCloseTimeout registered '60'"):
        register_all(swf, [WorkflowTypeSpec("thumbs", "1", "decisions", decision_duration=5)])


def test_timeout_value() -> None:
    assert timeout_value(None) == "NONE"
    assert timeout_value(0) == "0"
    with pytest.raises(ConfigurationError):
        timeout_value(-1)
    with pytest.raises(ConfigurationError):
        timeout_value(True)


def test_reset_between_tests_first(moto_swf_client: Any) -> None:
    moto_swf_client.register_domain(name="leftover", workflowExecutionRetentionPeriodInDays="1")


def test_reset_between_tests_second(moto_swf_client: Any, moto_s3_client: Any) -> None:
    domains = moto_swf_client.list_domains(registrationStatus="REGISTERED")["domainInfos"]
    assert "leftover" not in [d["name"] for d in domains]
    moto_s3_client.create_bucket(Bucket="flowwire-test")
    moto_s3_client.put_object(Bucket="flowwire-test", Key="k", Body=b"v")
    assert moto_s3_client.get_object(Bucket="flowwire-test", Key="k")["Body"].read() == b"v"


@needs("swf")
@needs("moto")
def test_moto_server_lifecycle() -> None:
    server = MotoServer()
    with pytest.raises(ConfigurationError, match="not started"):
        server.endpoint_url  # noqa: B018
    with server:
        assert server.endpoint_url.startswith("http://127.0.0.1:")
        assert (
            server.client("swf").list_domains(registrationStatus="REGISTERED")["domainInfos"] == []
        )
    assert repr(server) == "MotoServer(stopped)"
    server.stop()  # idempotent


@needs("swf")
def test_make_client_needs_a_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigurationError, match="no AWS region"):
        make_client()
