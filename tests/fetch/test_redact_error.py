"""redact_error: credentials and URL signatures leave an error's message, hint and the URL a HostError carries."""

from __future__ import annotations

from registry.fetch.errors import HostError, redact_error


def test_a_host_errors_url_message_and_hint_are_redacted_in_place() -> None:
    signed = "https://storage.example/b/x.zip?X-Amz-Signature=abc&X-Amz-Credential=k"
    exc = HostError(f"{signed} answered 403", hint="retry https://u:pw@lab.example/x", url=signed, status=403)
    assert redact_error(exc) is exc
    assert exc.url == "https://storage.example/b/x.zip"
    assert "Signature" not in exc.message and exc.args == (exc.message,)
    assert "pw" not in exc.hint and exc.status == 403
