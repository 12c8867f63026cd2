"""A stand-in for a third-party vision provider: it names Google (Gemini) as its subprocessor and
records every call it receives, so tests can prove what was (not) sent. Plugged in through the
VISION_PROVIDER_CLASSES setting, the way any provider is chosen."""

import threading

from search.providers.base import ImageInput


class RecordingProvider:
    key = "gemini"
    subprocessor = "gemini"
    calls: list[dict] = []
    _lock = threading.Lock()

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str:
        with self._lock:
            RecordingProvider.calls.append({"image": image.data, "context": context, "instructions": instructions})
        return "A recorded description of a blue widget."
