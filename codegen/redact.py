"""Hide passwords in anything that may be printed."""

from __future__ import annotations

import re

# userinfo in a URL: scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)", re.I)
# key=value form: password=secret
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.I)


def redact(text: str) -> str:
    """Return text with every URL or key=value password replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}" if m["pw"] else m[0], text)
    return _KV_PASSWORD.sub(lambda m: f"{m['head']}***", text)
