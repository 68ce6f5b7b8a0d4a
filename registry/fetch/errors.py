"""Fetch failures. Each is a ``UsregError``: it says what went wrong, where, and what to do next (exit code 1)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import UsregError

#: query parameters that make a URL a bearer credential (signed storage URLs, tokens)
_SECRET_PARAMS = re.compile(
    r"(^|&)(x-amz-[a-z-]+|x-goog-[a-z-]+|signature|sig|se|sp|sv|st|skoid|sktid|token|access_token|key|api_key|"
    r"expires|policy|key-pair-id|googleaccessid|response-[a-z-]+)=",
    re.I,
)
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@", re.I)


def redact_url(url: str | None) -> str:
    """``url`` safe to print or store: no user name or password, and no query when the query signs the URL."""
    if not url:
        return url or ""
    try:
        parts = urlsplit(url)
    except ValueError:  # unreadable (``http://[::1``): mask any user info, never hand it back to redact_text,
        return _USERINFO.sub(lambda m: m.group("scheme") + "***@", url)  # which would call this again, unendingly
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query and _SECRET_PARAMS.search(query):
        query = ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>()]+", re.I)


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted (``redact_url``), and any other ``scheme://user:password@`` too."""
    if not text:
        return text
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    return _USERINFO.sub(lambda m: m.group("scheme") + "***@", text)


def redact_error(exc: UsregError) -> UsregError:
    """Remove credentials and URL signatures from an error's message, hint and URL, in place."""
    exc.message = redact_text(exc.message)
    exc.hint = redact_text(exc.hint)
    exc.args = (exc.message,)
    if isinstance(exc, HostError):  # the one error that carries the URL it failed on
        exc.url = redact_url(exc.url)
    return exc


class FetchError(UsregError):
    """Any fetch failure."""


class HostError(FetchError):
    """A host answered, but not with what usreg needs (an error page, HTML instead of JSON, a refusal)."""

    def __init__(self, message: str, hint: str = "", url: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.url = url
        self.status = status


class NoCredentials(HostError):
    """The host needs the user's credentials (a Kaggle API token) and none were found: nothing was asked of it."""


class DownloadError(FetchError):
    """Every URL of a file failed. Exit code 1, or 2 when every failure was the network's (``exit_code=``)."""

    def __init__(self, message: str, hint: str = "", exit_code: int | None = None) -> None:
        super().__init__(message, hint)
        if exit_code is not None:
            self.exit_code = exit_code


def common_exit_code(errors: list[BaseException]) -> int | None:
    """The exit code every one of ``errors`` has, or None when they differ (then the default applies)."""
    codes = {getattr(e, "exit_code", None) for e in errors}
    return codes.pop() if len(codes) == 1 else None


class ChecksumMismatch(FetchError):
    """The downloaded bytes do not match a known checksum; the bad file is kept aside for inspection."""

    def __init__(
        self, name: str, algorithm: str, expected: str, actual: str, origin: str, kept: Path, given: Path | None = None
    ) -> None:
        found = (
            f"the file given with --from-file ({given}) is not that file; its copy" if given else "the downloaded file"
        )
        message = (
            f"checksum mismatch for {name}: {algorithm} expected {expected} ({origin}), got {actual}; "
            f"{found} was kept aside as {kept}"
        )
        if given:  # nothing was transferred: running the same command again fails the same way
            hint = (
                "give the file as the host publishes it (another release or a repacked copy has other bytes), or its "
                "unpacked folder; or pass --skip-verify to use it as unverified"
            )
        else:
            hint = (
                "run the fetch again (a transfer may have been corrupted); if it fails again the host's file differs "
                "from the one the checksum describes: report it, or pass --skip-verify to accept it as unverified"
            )
        super().__init__(message, hint)
        self.name = name
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        self.origin = origin
        self.kept = kept


class UnsafeArchive(FetchError):
    """An archive member would escape the target, is a device file, or the archive is a decompression bomb."""

    def __init__(self, archive: Path | str, member: str, reason: str, limit: bool = False) -> None:
        name = Path(archive).name
        member_part = f" member {member!r}" if member else ""
        hint = (
            "raise USREG_EXTRACT_MAX_BYTES or USREG_EXTRACT_MAX_RATIO only if you trust this archive"
            if limit
            else "the archive is unsafe or corrupt; do not extract it by hand either: report it to the dataset's "
            "maintainers and to the usreg entry"
        )
        super().__init__(f"refusing to extract {name}:{member_part} {reason}; nothing was extracted", hint=hint)
        self.archive = str(archive)
        self.member = member
        self.reason = reason


class ManualDownloadRequired(FetchError):
    """A source cannot be downloaded automatically; the message says where to go and what to download."""
