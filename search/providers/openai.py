"""OpenAI through the official openai SDK (chat completions, the image as a data: URI)."""

import base64
import functools
import threading

import openai
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

_client_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cached_client(api_key: str, base_url: str | None, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


def _client(api_key: str, base_url: str | None, timeout: float) -> openai.OpenAI:
    # Built once under a lock: threads racing lru_cache would build spare clients, and a spare
    # client closes its connection pool when collected, under the feet of the thread using it.
    with _client_lock:
        return _cached_client(api_key, base_url, timeout)


class OpenAIProvider:
    key = "openai"
    subprocessor = "openai"

    def __init__(self):
        self.model = settings.OPENAI_MODEL

    @property
    def endpoint(self) -> str:
        return endpoint_of(settings.OPENAI_BASE_URL, "api.openai.com")

    @property
    def client(self):
        return _client(settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL or None, settings.VISION_TIMEOUT_SECONDS)

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str:
        if not settings.OPENAI_API_KEY:
            raise ProviderNotConfigured("OPENAI_API_KEY is not set")
        uri = f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"
        client = self.client  # held for the whole call
        try:
            completion = client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": instructions},
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": uri}},
                            {"type": "text", "text": context_text(context)},
                        ],
                    },
                ],
            )
        except openai.APITimeoutError:
            raise ProviderUnavailable("timeout") from None
        except openai.APIConnectionError:
            raise ProviderUnavailable("connection") from None
        except openai.APIStatusError as exc:
            raise for_status(exc.status_code, exc.response.headers) from None
        except (openai.APIResponseValidationError, ValueError) as exc:
            raise ProviderError(f"malformed answer ({type(exc).__name__})") from None
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise ProviderError("the answer held no choices")
        choice = choices[0]
        message = getattr(choice, "message", None)
        text = (getattr(message, "content", None) or "").strip() if message is not None else ""
        if text:
            return text
        if choice.finish_reason == "content_filter" or getattr(message, "refusal", None):
            raise ProviderRefused("content filter")
        raise ProviderError("the answer held no text")
