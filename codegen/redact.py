"""Hide passwords in anything that may be printed."""

from __future__ import annotations

import re
from urllib.parse import unquote

# userinfo in a URL: scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)", re.I)
# key=value form: password=secret
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.I)
# a URL's query parameter, whose key libpq reads percent-decoded (?pass%77ord=secret)
_QUERY_PARAM = re.compile(r"(?P<head>[?&](?P<key>[^=&#\s]+)=)(?P<value>[^&#\s]*)")
_SECRET_KEYS = frozenset({"password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"})


def redact(text: str) -> str:
    """Return text with every URL or key=value password replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}" if m["pw"] else m[0], text)
    text = _QUERY_PARAM.sub(lambda m: f"{m['head']}***" if unquote(m["key"]).lower() in _SECRET_KEYS else m[0], text)
    return _KV_PASSWORD.sub(lambda m: f"{m['head']}***", text)
