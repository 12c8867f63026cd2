"""Anthropic through the official anthropic SDK (messages API, the image as a base64 block)."""

import base64
import functools
import threading

import anthropic
from django.conf import settings

from governance.transfers import endpoint_of

from ._common import context_text, for_status
from .base import (
    ImageInput,
    ProviderError,
    ProviderNotConfigured,
    ProviderRefused,
    ProviderUnavailable,
)

MAX_TOKENS = 1024


_client_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cached_client(api_key: str, base_url: str | None, timeout: float) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


def _client(api_key: str, base_url: str | None, timeout: float) -> anthropic.Anthropic:
    # Built once under a lock: threads racing lru_cache would build spare clients, and a spare
    # client closes its connection pool when collected, under the feet of the thread using it.
    with _client_lock:
        return _cached_client(api_key, base_url, timeout)


class AnthropicProvider:
    key = "anthropic"
    subprocessor = "anthropic"

    def __init__(self):
        self.model = settings.ANTHROPIC_MODEL

    @property
    def endpoint(self) -> str:
        return endpoint_of(settings.ANTHROPIC_BASE_URL, "api.anthropic.com")

    @property
    def client(self):
        return _client(settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL or None, settings.VISION_TIMEOUT_SECONDS)

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str:
        if not settings.ANTHROPIC_API_KEY:
            raise ProviderNotConfigured("ANTHROPIC_API_KEY is not set")
        client = self.client  # held for the whole call
        try:
            message = client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=instructions,
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image",
                                "source": {
                                    "type": "base64",
                                    "media_type": image.mime_type,
                                    "data": base64.b64encode(image.data).decode(),
                                },
                            },
                            {"type": "text", "text": context_text(context)},
                        ],
                    }
                ],
            )
        except anthropic.APITimeoutError:
            raise ProviderUnavailable("timeout") from None
        except anthropic.APIConnectionError:
            raise ProviderUnavailable("connection") from None
        except anthropic.APIStatusError as exc:
            raise for_status(exc.status_code, exc.response.headers) from None
        except (anthropic.APIResponseValidationError, ValueError) as exc:
            raise ProviderError(f"malformed answer ({type(exc).__name__})") from None
        blocks = getattr(message, "content", None)
        if not isinstance(blocks, list):
            raise ProviderError("the answer held no content")
        text = "".join(getattr(b, "text", "") or "" for b in blocks if getattr(b, "type", "") == "text").strip()
        if text:
            return text
        if getattr(message, "stop_reason", None) == "refusal":
            raise ProviderRefused("refusal")
        raise ProviderError("the answer held no text")
