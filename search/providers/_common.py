"""What the SDK-backed providers share: Retry-After parsing, the prompt parts, error mapping."""

import email.utils
import time

from .base import ProviderError, ProviderRateLimited, ProviderUnavailable


def retry_after_seconds(headers) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if headers is None:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def context_text(context: str) -> str:
    return f"Context from the searcher: {context.strip()}" if context.strip() else "No context was given."


def for_status(status: int | None, headers=None) -> ProviderError:
    """The provider error an HTTP status means. Never carries the response body (it may echo input)."""
    if status == 429:
        return ProviderRateLimited(f"HTTP {status}", retry_after=retry_after_seconds(headers))
    if status is None or status >= 500 or status == 408:
        return ProviderUnavailable(f"HTTP {status}", retry_after=retry_after_seconds(headers))
    return ProviderError(f"HTTP {status}")
