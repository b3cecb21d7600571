"""Fetching a document from its URL: the bytes a web server gives, and the kind of file they are,
so that a document published only online is read, cleaned and hashed as a file would be."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tracker.errors import TrackerError

#: Content-Type → the suffix tracker.intake.documents reads such bytes by
SUFFIXES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
            "text/plain": ".txt", "text/markdown": ".md"}
TIMEOUT = 30
#: a larger answer is refused: no brief is this long, and the text is stored in the ledger
MAX_BYTES = 50 * 1024 * 1024


def fetch(url: str, *, timeout: float = TIMEOUT) -> tuple[bytes, str]:
    """(bytes, suffix) of what `url` serves; a TrackerError naming the URL when it cannot be
    fetched or is of a kind tracker cannot read."""
    import urllib.error
    import urllib.request

    from tracker import __version__

    request = urllib.request.Request(url, headers={"User-Agent": f"tracker/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # an http(s) URL: values.url checked it
            kind = (response.headers.get_content_type() or "").lower()
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise TrackerError(f"{url}: the server answered {e.code} {e.reason}; pass --no-fetch to record the "
                           f"document without its text") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise TrackerError(f"{url}: cannot fetch it ({reason}); pass --no-fetch to record the document "
                           f"without its text") from None
    if len(data) > MAX_BYTES:
        raise TrackerError(f"{url}: more than {MAX_BYTES // 2**20} MB; save it and add the file instead")
    suffix = SUFFIXES.get(kind) or _suffix_of(url)
    if suffix is None:
        raise TrackerError(f"{url}: serves {kind or 'an unnamed type'}, which tracker cannot read "
                           f"(HTML, PDF, plain text or Markdown); pass --no-fetch")
    return data, suffix


def _suffix_of(url: str) -> str | None:
    m = re.search(r"(\.(?:html?|pdf|txt|md))(?:[?#]|$)", url.lower())
    return m.group(1).replace(".htm", ".html").replace(".htmll", ".html") if m else None


@contextmanager
def fetched(url: str, *, timeout: float = TIMEOUT) -> Iterator[Path]:
    """What `url` serves, as a temporary file of the right kind for as long as the block runs."""
    data, suffix = fetch(url, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="tracker-fetch-") as folder:
        path = Path(folder) / f"document{suffix}"
        path.write_bytes(data)
        yield path
