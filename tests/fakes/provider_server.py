"""A local HTTP server that speaks the wire format of Gemini, OpenAI and Anthropic.

A real server on 127.0.0.1, port 0, in a thread. Tests script its answers (text, status codes,
Retry-After, delays, safety blocks, malformed bodies) and read back every request it received,
so the real SDKs are exercised end to end and nothing of ours is patched.

    server = ProviderServer().start()
    server.script(Reply(status=429, retry_after=1), Reply(text="a gearbox"))
    ... server.requests[0].json ...
    server.stop()
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_TEXT = "A steel gearbox with two spur gears, a splined shaft and a cast aluminium housing."
GEMINI_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):generateContent$")


@dataclass
class Reply:
    """One scripted answer. kind: text | safety | safety_candidate | malformed | shapeless."""

    text: str = DEFAULT_TEXT
    status: int = 200
    kind: str = "text"
    retry_after: str | int | float | None = None
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes
    at: float
    json: dict | None = None

    @property
    def wire(self) -> str:
        """Everything that went over the wire, as text (headers and body)."""
        return json.dumps(self.headers) + "\n" + self.path + "\n" + self.body.decode("utf-8", "replace")


@dataclass
class _State:
    queue: list = field(default_factory=list)
    default: Reply = field(default_factory=Reply)
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    record: bool = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        state = self.server.state
        with state.lock:
            reply = state.queue.pop(0) if state.queue else state.default
            if state.record:
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = None
                state.requests.append(
                    Recorded(self.command, self.path, dict(self.headers.items()), body, time.monotonic(), parsed)
                )
        if reply.delay:
            time.sleep(reply.delay)
        path = self.path.split("?", 1)[0]
        if GEMINI_PATH.match(path):
            flavour, model = "gemini", GEMINI_PATH.match(path)["model"]
        elif path.endswith("/chat/completions"):
            flavour, model = "openai", "gpt"
        elif path.endswith("/messages"):
            flavour, model = "anthropic", "claude"
        else:
            return self._send(404, {"error": {"code": 404, "message": "no such endpoint"}})
        if reply.status != 200:
            return self._send(reply.status, _error(flavour, reply.status), reply)
        if reply.kind == "malformed":
            return self._send(200, b'{"candidates": [ {"content": ', reply)
        if reply.kind == "shapeless":
            return self._send(200, {"unexpected": True}, reply)
        return self._send(200, _answer(flavour, model, reply), reply)

    def _send(self, status, body, reply: Reply | None = None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if reply is not None and reply.retry_after is not None:
                self.send_header("Retry-After", str(reply.retry_after))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True


_GEMINI_STATUS = {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_ANTHROPIC_TYPE = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error", 400: "invalid_request_error"}


def _error(flavour: str, status: int) -> dict:
    if flavour == "gemini":
        return {"error": {"code": status, "message": "scripted failure", "status": _GEMINI_STATUS.get(status, "UNKNOWN")}}
    if flavour == "openai":
        return {"error": {"message": "scripted failure", "type": "server_error", "param": None, "code": None}}
    return {"type": "error", "error": {"type": _ANTHROPIC_TYPE.get(status, "api_error"), "message": "scripted failure"}}


def _answer(flavour: str, model: str, reply: Reply) -> dict:
    safety = reply.kind in ("safety", "safety_candidate")
    if flavour == "gemini":
        if reply.kind == "safety":
            return {"promptFeedback": {"blockReason": "SAFETY"}, "modelVersion": model}
        if reply.kind == "safety_candidate":
            return {
                "candidates": [
                    {"finishReason": "SAFETY", "index": 0, "safetyRatings": [
                        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
                    ]}
                ],
                "modelVersion": model,
            }
        return {
            "candidates": [
                {"content": {"parts": [{"text": reply.text}], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
            "modelVersion": model,
        }
    if flavour == "openai":
        message = {"role": "assistant", "content": None if safety else reply.text, "refusal": None}
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "content_filter" if safety else "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [] if safety else [{"type": "text", "text": reply.text}],
        "stop_reason": "refusal" if safety else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


class ProviderServer:
    def __init__(self, *, record: bool = True):
        self.state = _State(record=record)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ProviderServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *replies: Reply) -> None:
        with self.state.lock:
            self.state.queue.extend(replies)

    def answer_always(self, reply: Reply) -> None:
        with self.state.lock:
            self.state.default = reply

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)


def main(argv=None) -> None:
    """Serve until killed: `python -m tests.fakes.provider_server --delay 0.5` prints its URL."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args(argv)
    server = ProviderServer(record=False)
    server.answer_always(Reply(delay=args.delay))
    print(server.url, flush=True)
    sys.stdout.flush()
    server._server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
