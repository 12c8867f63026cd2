"""Reading back what a provider SDK put on the wire (a request recorded by the fake server)."""

import base64
from dataclasses import dataclass


@dataclass
class Sent:
    instructions: str
    image: bytes
    mime_type: str
    texts: list
    body_keys: set
    api_key_header: str


def sent(key: str, request) -> Sent:
    body = request.json
    headers = {k.lower(): v for k, v in request.headers.items()}
    if key == "gemini":
        (content,) = body["contents"]
        image_part, *text_parts = content["parts"]
        return Sent(
            instructions="".join(p["text"] for p in body["systemInstruction"]["parts"]),
            image=base64.urlsafe_b64decode(image_part["inlineData"]["data"]),
            mime_type=image_part["inlineData"].get("mimeType") or image_part["inlineData"]["mime_type"],
            texts=[p["text"] for p in text_parts],
            body_keys=set(body),
            api_key_header=headers.get("x-goog-api-key", ""),
        )
    if key == "openai":
        system, user = body["messages"]
        assert system["role"] == "system" and user["role"] == "user"
        image_part, *text_parts = user["content"]
        uri = image_part["image_url"]["url"]
        prefix, data = uri.split(",", 1)
        return Sent(
            instructions=system["content"],
            image=base64.b64decode(data),
            mime_type=prefix.removeprefix("data:").removesuffix(";base64"),
            texts=[p["text"] for p in text_parts],
            body_keys=set(body),
            api_key_header=headers.get("authorization", "").removeprefix("Bearer "),
        )
    (user,) = body["messages"]
    image_part, *text_parts = user["content"]
    return Sent(
        instructions=body["system"],
        image=base64.b64decode(image_part["source"]["data"]),
        mime_type=image_part["source"]["media_type"],
        texts=[p["text"] for p in text_parts],
        body_keys=set(body),
        api_key_header=headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer "),
    )


# What each SDK's request body may hold, and nothing else (no `user`, `metadata`, `labels`, ...).
ALLOWED_BODY_KEYS = {
    "gemini": {"contents", "systemInstruction", "generationConfig"},
    "openai": {"model", "messages"},
    "anthropic": {"model", "messages", "system", "max_tokens"},
}
