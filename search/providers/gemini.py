"""Google Gemini through the official google-genai SDK.

Our instructions go as the system instruction, the image inline, the context as text. The SDK's
own retries are off (Celery retries, with backoff and Retry-After); its timeout is in milliseconds.
"""

import functools
import threading

import httpx2
from django.conf import settings
from google import genai
from google.genai import errors, types

from governance.transfers import endpoint_of

from ._common import context_text, for_status
from .base import (
    ImageInput,
    ProviderError,
    ProviderNotConfigured,
    ProviderRefused,
    ProviderUnavailable,
)

SAFETY_FINISH = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "RECITATION", "IMAGE_PROHIBITED_CONTENT"}


_client_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cached_client(api_key: str, base_url: str | None, timeout_ms: int, max_connections: int) -> genai.Client:
    # One client per process and configuration: its connection pool is shared by every worker thread.
    return genai.Client(
        api_key=api_key,
        http_options=types.HttpOptions(
            base_url=base_url,
            timeout=timeout_ms,
            retry_options=types.HttpRetryOptions(attempts=1),
            client_args={
                "limits": httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
            },
        ),
    )


def _client(api_key: str, base_url: str | None, timeout_ms: int, max_connections: int) -> genai.Client:
    # Built once under a lock: threads racing lru_cache would build spare clients, and a spare
    # client closes its connection pool when collected, under the feet of the thread using it.
    with _client_lock:
        return _cached_client(api_key, base_url, timeout_ms, max_connections)


class GeminiProvider:
    key = "gemini"
    subprocessor = "gemini"

    def __init__(self):
        self.model = settings.GEMINI_MODEL

    @property
    def endpoint(self) -> str:
        return endpoint_of(settings.GEMINI_BASE_URL, "generativelanguage.googleapis.com")

    @property
    def client(self):
        return _client(
            settings.GEMINI_API_KEY,
            settings.GEMINI_BASE_URL or None,
            int(settings.VISION_TIMEOUT_SECONDS * 1000),
            settings.VISION_MAX_CONNECTIONS,
        )

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str:
        if not settings.GEMINI_API_KEY:
            raise ProviderNotConfigured("GEMINI_API_KEY is not set")
        client = self.client  # held for the whole call
        try:
            response = client.models.generate_content(
                model=self.model,
                contents=[
                    types.Content(
                        role="user",
                        parts=[
                            types.Part.from_bytes(data=image.data, mime_type=image.mime_type),
                            types.Part.from_text(text=context_text(context)),
                        ],
                    )
                ],
                config=types.GenerateContentConfig(system_instruction=instructions),
            )
        except errors.APIError as exc:
            raise for_status(exc.code, getattr(exc.response, "headers", None)) from None
        except (httpx2.TimeoutException, httpx2.TransportError) as exc:
            raise ProviderUnavailable(type(exc).__name__) from None
        except (ValueError, errors.UnknownApiResponseError) as exc:
            raise ProviderError(f"malformed answer ({type(exc).__name__})") from None
        text = _text_of(response)
        if text:
            return text
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason:
            raise ProviderRefused(f"blocked: {feedback.block_reason}")
        for candidate in response.candidates or ():
            reason = str(getattr(candidate.finish_reason, "value", candidate.finish_reason) or "")
            if reason in SAFETY_FINISH:
                raise ProviderRefused(f"finish reason {reason}")
        raise ProviderError("the answer held no text")


def _text_of(response) -> str:
    # Not response.text: it warns (and logs) when parts are not text; join the text parts ourselves.
    candidates = response.candidates or []
    if not candidates or candidates[0].content is None:
        return ""
    return "".join(part.text or "" for part in candidates[0].content.parts or [] if not part.thought).strip()
