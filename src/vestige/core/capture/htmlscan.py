"""Reading a captured HTML page: its sub-resources, its declared metadata and a plain text.

Built on the standard library's tolerant ``html.parser`` so a broken page still yields what it
can; nothing here executes or fetches anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

SKIP_TEXT_TAGS = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer",
                  "aside", "form", "button", "select", "iframe"}
BLOCK_TAGS = {"p", "div", "section", "article", "main", "header", "li", "ul", "ol", "table",
              "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "br", "hr",
              "figure", "figcaption", "dd", "dt"}
LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "manifest",
             "modulepreload"}
# Preview media a page declares for link cards: often the very photo or video of a post.
META_MEDIA = {"og:image": "image", "og:image:url": "image", "og:image:secure_url": "image",
              "twitter:image": "image", "og:video": "media", "og:video:url": "media",
              "og:video:secure_url": "media"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}


@dataclass
class PageScan:
    """What one pass over a page found."""

    base_url: str
    resources: list[tuple[str, str]] = field(default_factory=list)  # (url, kind)
    title: str = ""
    lang: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    text_blocks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(block for block in self.text_blocks if block)


class _Scanner(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan(base_url=url)
        self._seen: set[str] = set()
        self._skip_depth = 0
        self._in_title = False
        self._title: list[str] = []
        self._block: list[str] = []

    # -- resources ---------------------------------------------------------------------------

    def _add(self, raw: str | None, kind: str) -> None:
        if not raw:
            return
        raw = raw.strip()
        if not raw or raw.startswith(("data:", "javascript:", "blob:", "about:", "#")):
            return
        absolute = urldefrag(urljoin(self.scan.base_url, raw))[0]
        if urlsplit(absolute).scheme not in ("http", "https") or absolute in self._seen:
            return
        self._seen.add(absolute)
        self.scan.resources.append((absolute, kind))

    def _add_srcset(self, srcset: str | None, kind: str) -> None:
        for candidate in (srcset or "").split(","):
            self._add(candidate.strip().split(" ")[0] if candidate.strip() else "", kind)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href"):
            self.scan.base_url = urljoin(self.scan.base_url, a["href"])
        elif tag == "html" and a.get("lang"):
            self.scan.lang = a["lang"].strip()
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content") and key not in self.scan.meta:
                self.scan.meta[key] = a["content"].strip()
            if key in META_MEDIA:
                self._add(a.get("content"), META_MEDIA[key])
            if a.get("http-equiv", "").lower() == "content-language" and a.get("content"):
                self.scan.meta.setdefault("content-language", a["content"].strip())
        self._resource_tag(tag, a)
        if tag in SKIP_TEXT_TAGS and tag not in VOID_TAGS:
            self._skip_depth += 1
        if tag in BLOCK_TAGS:
            self._flush()

    def _resource_tag(self, tag: str, a: dict[str, str]) -> None:
        if tag == "img":
            self._add(a.get("src"), "image")
            self._add_srcset(a.get("srcset"), "image")
        elif tag == "source":
            kind = "image" if a.get("srcset") else "media"
            self._add(a.get("src"), kind)
            self._add_srcset(a.get("srcset"), kind)
        elif tag in ("video", "audio"):
            self._add(a.get("src"), "media")
            self._add(a.get("poster"), "image")
        elif tag == "track":
            self._add(a.get("src"), "other")
        elif tag == "script":
            self._add(a.get("src"), "script")
        elif tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & LINK_RELS:
                kind = "stylesheet" if "stylesheet" in rels else "other"
                self._add(a.get("href"), kind)
        elif tag in ("iframe", "embed"):
            self._add(a.get("src"), "frame")
        elif tag == "object":
            self._add(a.get("data"), "frame")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in SKIP_TEXT_TAGS and tag not in VOID_TAGS and self._skip_depth:
            self._skip_depth -= 1
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
            return
        if self._skip_depth == 0:
            self._block.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._block).split())
        if text:
            self.scan.text_blocks.append(text)
        self._block = []

    def finish(self) -> PageScan:
        self._flush()
        self.scan.title = " ".join("".join(self._title).split())
        return self.scan


def scan_html(html: str, url: str) -> PageScan:
    """Scan one page; never raises for malformed markup."""
    scanner = _Scanner(url)
    try:
        scanner.feed(html)
        scanner.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken declarations
        pass
    return scanner.finish()


def css_urls(css: str, base_url: str) -> list[str]:
    """Absolute http(s) URLs a stylesheet refers to (url(...) and @import), in order."""
    found: list[str] = []
    for match in CSS_URL.finditer(css):
        raw = (match.group(2) or match.group(4) or "").strip()
        if not raw or raw.startswith(("data:", "#")):
            continue
        absolute = urldefrag(urljoin(base_url, raw))[0]
        if urlsplit(absolute).scheme in ("http", "https") and absolute not in found:
            found.append(absolute)
    return found
