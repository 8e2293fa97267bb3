"""Packaging a capture's WARC as a WACZ 1.1.1 file.

Layout (https://specs.webrecorder.net/wacz/1.1.1/): ``archive/data.warc.gz`` stored without
compression so replayers can seek in it, ``indexes/index.cdxj`` (the lines cdxj-indexer makes,
written while recording), ``pages/pages.jsonl``, ``datapackage.json`` listing every file with its
sha256 and size, and ``datapackage-digest.json`` holding the hash of the datapackage. The WARC is
streamed into the ZIP (a large one from its spill file); the small parts are made in memory.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from .fetch import Spool

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
ZIP64_LIMIT = (1 << 31) - 1


class WarcSource(Protocol):
    """A finished WARC: its bytes (hashed as they were written) and its CDXJ lines."""

    spool: Spool

    def cdxj(self) -> list[str]: ...


def _hashed(data: bytes) -> tuple[str, int]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data)


def pages_jsonl(pages: list[dict[str, Any]]) -> bytes:
    lines = [json.dumps(PAGES_HEADER)]
    for number, page in enumerate(pages, start=1):
        entry = {"id": page.get("id") or f"page-{number}", "url": page["url"], "ts": page["ts"]}
        if page.get("title"):
            entry["title"] = page["title"]
        if page.get("text"):
            entry["text"] = page["text"]
        lines.append(json.dumps(entry, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def package(
    warc: WarcSource,
    pages: list[dict[str, Any]],
    target: Path,
    *,
    software: str,
    title: str = "",
    main_url: str = "",
    main_ts: str = "",
) -> Path:
    """Write ``target`` (a .wacz) from the WARC and page list; returns ``target``.

    The WARC is copied once, straight into the ZIP (stored: it is gzipped already); the index
    and the page list are made in memory. No part is read back to be hashed.
    """
    index_bytes = "".join(line + "\n" for line in warc.cdxj()).encode("utf-8")
    pages_bytes = pages_jsonl(pages)
    warc_digest = ("sha256:" + warc.spool.sha256, warc.spool.size)
    resources = []
    for name, (digest, size) in (
        ("archive/data.warc.gz", warc_digest),
        ("indexes/index.cdxj", _hashed(index_bytes)),
        ("pages/pages.jsonl", _hashed(pages_bytes)),
    ):
        resources.append({"name": Path(name).name, "path": name, "hash": digest, "bytes": size})
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    datapackage: dict[str, Any] = {
        "profile": "data-package",
        "resources": resources,
        "wacz_version": WACZ_VERSION,
        "software": software,
        "created": created,
    }
    if title:
        datapackage["title"] = title
    if main_url:
        datapackage["mainPageURL"] = main_url
    if main_ts:
        datapackage["mainPageDate"] = main_ts
    package_bytes = json.dumps(datapackage, indent=2, ensure_ascii=False).encode("utf-8")
    digest_bytes = json.dumps(
        {"path": "datapackage.json",
         "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()},
        indent=2,
    ).encode("utf-8")

    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
        member = zipfile.ZipInfo("archive/data.warc.gz", time.localtime()[:6])
        member.compress_type = zipfile.ZIP_STORED
        with warc.spool.open() as source, zf.open(
            member, "w", force_zip64=warc.spool.size > ZIP64_LIMIT
        ) as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        for name, data in (("indexes/index.cdxj", index_bytes),
                           ("pages/pages.jsonl", pages_bytes),
                           ("datapackage.json", package_bytes),
                           ("datapackage-digest.json", digest_bytes)):
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(target)
    return target
