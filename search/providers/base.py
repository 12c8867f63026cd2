"""The vision-provider seam: describe(image, context, instructions) -> text."""

from dataclasses import dataclass
from typing import Protocol


class ProviderError(Exception):
    """A provider call that ended without a usable description. `code` is the job's error code."""

    code = "provider_error"

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message or self.code)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"


class ProviderRateLimited(ProviderError):
    code = "provider_rate_limited"


class ProviderRefused(ProviderError):
    code = "provider_refused"


class ProviderNotConfigured(ProviderError):
    code = "provider_not_configured"


RETRYABLE = (ProviderUnavailable, ProviderRateLimited)


@dataclass(frozen=True)
class ImageInput:
    data: bytes
    mime_type: str


class VisionProvider(Protocol):
    key: str
    #: The company named in the terms; None for providers that send nothing out (offline).
    subprocessor: str | None

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str: ...
