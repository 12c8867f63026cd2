"""Vision providers, chosen by VISION_PROVIDER."""

from django.conf import settings
from django.utils.module_loading import import_string

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
    return import_string(classes[key])()
