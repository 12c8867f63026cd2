"""Vision providers, chosen by VISION_PROVIDER."""

from django.conf import settings

from .base import RETRYABLE, ImageInput, ProviderError, VisionProvider  # noqa: F401

KEYS = ("offline", "gemini", "openai", "anthropic")

INSTRUCTIONS = (
    "Describe the object shown in this image for a patent and technical-document search: its "
    "shape, parts, materials, mechanisms and function, in plain technical language. Do not guess "
    "who anyone is. If context text is given, use it only to focus the description."
)


def get_provider(key: str | None = None) -> VisionProvider:
    key = key or settings.VISION_PROVIDER
    if key == "offline":
        from .offline import OfflineProvider

        return OfflineProvider()
    if key == "gemini":
        from .gemini import GeminiProvider

        return GeminiProvider()
    if key == "openai":
        from .openai import OpenAIProvider

        return OpenAIProvider()
    if key == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider()
    raise ValueError(f"unknown VISION_PROVIDER {key!r}")
