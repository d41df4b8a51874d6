"""Shared helpers for the stage tests: a stage context, a bytes-level pipeline, S3 on moto."""

from __future__ import annotations

from typing import Any

import pytest
from _stage_helpers import make_ctx

from flowwire.transport._protocols import StageContext


@pytest.fixture
def ctx() -> StageContext:
    return make_ctx()


@pytest.fixture
def s3_bucket(moto_s3_client: Any) -> tuple[Any, str]:
    """A fresh bucket on the reset moto server: ``(client, bucket_name)``."""
    moto_s3_client.create_bucket(Bucket="flowwire-payloads")
    return moto_s3_client, "flowwire-payloads"
