"""Optional prompt expansion by a language model, as the source articles propose.

With an OpenAI-compatible chat endpoint ($T2ILAB_LLM_URL, or `url=`), the model reads the prompt
and answers the canonical attributes as JSON; the answer is checked against the schema. Without
one, or when the call fails in any way, the offline parser answers (with a warning saying why).
"""
from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import warnings

from ..schema import RULES, VALID, complete, matching, schema
from ..errors import T2ILabError
from .parse import check_prompt, parse

DEFAULT_MODEL = "gpt-4o-mini"
_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.DOTALL)


class _Fallback(Exception):
    """Why the model's answer cannot be used (becomes the warning text)."""


def endpoint(url: str) -> str:
    """The chat-completions address for a base url ("…/v1") or the full path."""
    url = url.strip().rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise T2ILabError(f"LLM url {url!r} must start with http:// or https:// "
                          f"(e.g. http://localhost:11434/v1); set T2ILAB_LLM_URL or url=")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def instructions(dataset: str) -> str:
    """The system message: the allowed keys and values of the dataset, JSON only, null when open."""
    lines = [f"- {attr}: {', '.join(values)}" for attr, values in schema(dataset).items()]
    return (f"You turn a description of an image (English or Chinese) into the attributes of the "
            f"t2ilab dataset '{dataset}'. Answer with one JSON object and nothing else. "
            f"Keys and their allowed values:\n" + "\n".join(lines) +
            "\nUse null for an attribute the description leaves open; never invent one."
            + (f"\nRule: {RULES[dataset]}." if dataset in RULES else ""))


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ask(url: str, prompt: str, dataset: str, timeout: float) -> str:
    """POST the chat request; the text of the first choice, or _Fallback with the reason."""
    body = {"model": os.environ.get("T2ILAB_LLM_MODEL") or DEFAULT_MODEL, "temperature": 0,
            "messages": [{"role": "system", "content": instructions(dataset)},
                         {"role": "user", "content": prompt}]}
    headers = {"Content-Type": "application/json"}
    if os.environ.get("T2ILAB_LLM_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['T2ILAB_LLM_KEY']}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    # a local server is reached directly, never through a proxy named in the environment
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if _is_loopback(url) \
        else urllib.request.build_opener()
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raise _Fallback(f"HTTP {e.code} {e.reason} from {url}") from None
    except TimeoutError:
        raise _Fallback(f"no answer from {url} within {timeout:g} s") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, (TimeoutError, socket.timeout)):
            raise _Fallback(f"no answer from {url} within {timeout:g} s") from None
        raise _Fallback(f"cannot reach {url}: {e.reason}") from None
    except (OSError, http.client.HTTPException) as e:
        raise _Fallback(f"connection to {url} failed: {e!r}") from None
    try:
        return json.loads(raw)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _Fallback(f"the reply from {url} is not a chat completion") from None


def validate(answer: str, dataset: str) -> dict[str, str | None]:
    """The model's text -> attributes; _Fallback unless it is a JSON object of allowed values."""
    attrs = schema(dataset)
    text = answer.strip() if isinstance(answer, str) else ""
    fenced = _FENCE.match(text)
    text = fenced.group(1) if fenced else text
    try:
        obj = json.loads(text)
    except ValueError:
        raise _Fallback(f"the answer is not JSON: {text[:60]!r}") from None
    if not isinstance(obj, dict):
        raise _Fallback(f"the answer is not a JSON object: {text[:60]!r}")
    unknown = [k for k in obj if k not in attrs]
    if unknown:
        raise _Fallback(f"the answer has unknown keys {unknown}; allowed: {', '.join(attrs)}")
    out: dict[str, str | None] = {}
    obj = complete(dataset, obj)  # a key left out takes the dataset's default (scenes: no second object)
    for attr, values in attrs.items():
        value = obj.get(attr)
        value = value.strip().lower() if isinstance(value, str) else value
        if value is not None and value not in values:
            raise _Fallback(f"the answer gave {attr}={value!r}, not one of {', '.join(values)}")
        out[attr] = value
    if dataset in VALID and not matching(dataset, out):
        raise _Fallback(f"the answer's attributes do not go together ({RULES[dataset]})")
    return out


def expand(prompt: str, dataset: str = "shapes", url: str | None = None,
           timeout: float = 5.0) -> tuple[dict[str, str | None], str]:
    """(attributes, "llm") from the language model at `url` or $T2ILAB_LLM_URL, else (parse(), "offline")."""
    schema(dataset)
    check_prompt(prompt)
    url = url or os.environ.get("T2ILAB_LLM_URL", "").strip()
    if not url:
        return parse(prompt, dataset), "offline"
    address = endpoint(url)
    try:
        return validate(_ask(address, prompt, dataset, timeout), dataset), "llm"
    except _Fallback as e:
        reason = " ".join(str(e).split())  # one line
    warnings.warn(f"LLM prompt expansion failed ({reason}); using the offline parser", stacklevel=2)
    return parse(prompt, dataset), "offline"
