"""Vision providers, chosen by VISION_PROVIDER."""

import time

from django.conf import settings
from django.utils.module_loading import import_string

from governance import metrics

from .base import RETRYABLE, ImageInput, ProviderError, VisionProvider  # noqa: F401

KEYS = ("offline", "gemini", "openai", "anthropic")

INSTRUCTIONS = (
    "Describe the object shown in this image for a patent and technical-document search: its "
    "shape, parts, materials, mechanisms and function, in plain technical language. Do not guess "
    "who anyone is. If context text is given, use it only to focus the description."
)


#: Provider key -> class. The setting VISION_PROVIDER_CLASSES adds to (or overrides) these.
BUILT_IN_PROVIDERS = {
    "offline": "search.providers.offline.OfflineProvider",
    "gemini": "search.providers.gemini.GeminiProvider",
    "openai": "search.providers.openai.OpenAIProvider",
    "anthropic": "search.providers.anthropic.AnthropicProvider",
}


def get_provider(key: str | None = None) -> VisionProvider:
    key = key or settings.VISION_PROVIDER
    classes = {**BUILT_IN_PROVIDERS, **getattr(settings, "VISION_PROVIDER_CLASSES", {})}
    if key not in classes:
        raise ValueError(f"unknown VISION_PROVIDER {key!r}")
    return CountedProvider(import_string(classes[key])(), key=key)


class CountedProvider:
    """A provider whose every describe() call is timed and counted by outcome for /metrics:
    "ok", or the ProviderError's code ("internal_error" for anything else)."""

    def __init__(self, provider: VisionProvider, *, key: str):
        self._provider, self.key = provider, key

    def __getattr__(self, name):
        return getattr(self._provider, name)

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str:
        started, outcome = time.perf_counter(), "internal_error"
        try:
            description = self._provider.describe(image=image, context=context, instructions=instructions)
            outcome = "ok"
            return description
        except ProviderError as exc:
            outcome = exc.code
            raise
        finally:
            metrics.observe("provider_call_duration_seconds", (self.key, outcome), time.perf_counter() - started)
