"""What ``releasewatch watch add`` shows before it saves: one fetch of the listing page
(urllib: no Scrapy, no Twisted) read by ``spiders.listing_detect``.

The fetch is as careful as a crawl: http(s) only, robots.txt obeyed, a timeout, a
size cap, the crawler's User-Agent.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from spiders.listing_detect import Listing, detect_listing

TIMEOUT_S = 20.0
MAX_BYTES = 5 * 1024 * 1024


class PreviewError(Exception):
    """The listing could not be fetched or read; the message says why, in one line."""


def user_agent() -> str:
    from crawler import settings  # plain constants, no Scrapy import

    return settings.USER_AGENT


def get(url: str, *, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES) -> tuple[bytes, Message, str]:
    """``(body, headers, final URL)`` of ``url``; PreviewError when it cannot be had."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PreviewError(f"{url!r} is not an http(s) URL of a listing page")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(), "Accept": "text/html,*/*;q=0.5"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            final = response.geturl()
            if urlsplit(final).scheme not in ("http", "https"):
                raise PreviewError(f"{url} redirected to {final}, which is not http(s)")
            body = response.read(max_bytes + 1)
            headers: Message = response.headers
    except urllib.error.HTTPError as error:
        raise PreviewError(f"cannot fetch {url}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PreviewError(f"cannot fetch {url}: {getattr(error, 'reason', error)}") from None
    if len(body) > max_bytes:
        raise PreviewError(f"{url} is larger than {max_bytes // 1024} KB: not a listing page")
    return body, headers, final


def fetch(url: str, *, timeout: float = TIMEOUT_S) -> tuple[bytes, str | None, str]:
    """``(body, charset, final URL)`` of the web page at ``url``."""
    body, headers, final = get(url, timeout=timeout)
    if "html" not in (headers.get_content_type() or ""):
        raise PreviewError(f"{url} is {headers.get_content_type()}, not a web page")
    return body, headers.get_content_charset(), final


def allowed_by_robots(url: str, *, timeout: float = TIMEOUT_S) -> bool:
    """Whether the site's robots.txt lets the crawler fetch ``url`` (no robots.txt: yes)."""
    parts = urlsplit(url)
    robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        body, headers, _ = get(robots_url, timeout=timeout, max_bytes=512 * 1024)
    except PreviewError:
        return True  # missing or unreadable: Scrapy's RobotsTxtMiddleware allows too
    parser = RobotFileParser()
    parser.parse(body.decode(headers.get_content_charset() or "utf-8", "replace").splitlines())
    return parser.can_fetch(user_agent(), url)


def preview(url: str, *, timeout: float = TIMEOUT_S) -> tuple[Listing, str]:
    """The listing found at ``url`` and the URL it was read at (after redirects)."""
    if urlsplit(url).scheme in ("http", "https") and not allowed_by_robots(url, timeout=timeout):
        raise PreviewError(f"robots.txt of {urlsplit(url).netloc} does not allow fetching {url}")
    body, charset, final = fetch(url, timeout=timeout)
    return detect_listing(body, final, charset), final
