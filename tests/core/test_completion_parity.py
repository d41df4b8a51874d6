"""Both engines' completion clients are one protocol with the same errors (issue 12): a token
no open activity task has raises UnknownTaskError (a LookupError) on both; heartbeats answer
False."""

from __future__ import annotations

from typing import Any

import pytest

from flowwire import LocalEngine, UnknownTaskError
from flowwire.completion import CompletionClient


def test_the_local_client_is_a_completion_client() -> None:
    client = LocalEngine().client()
    assert isinstance(client, CompletionClient)
    with pytest.raises(UnknownTaskError, match="no open activity task has the token 'nope'"):
        client.complete("nope", 1)
    with pytest.raises(LookupError):
        client.fail("nope", "why")
    assert client.heartbeat("nope") is False


@pytest.mark.swf
def test_the_swf_client_raises_the_same_errors(moto_server: Any) -> None:
    from flowwire.engines.swf import SWF, AsyncCompletion, register_domain

    swf = SWF(moto_server.client("swf"), "parity")
    register_domain(swf)
    client = AsyncCompletion(swf)
    assert isinstance(client, CompletionClient)
    with pytest.raises(UnknownTaskError, match="no open activity task has the token"):
        client.complete("nope", 1)
    with pytest.raises(UnknownTaskError):
        client.fail("nope", "why")
    assert client.heartbeat("nope") is False
