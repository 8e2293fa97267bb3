"""Packaging a capture's WARC as a WACZ 1.1.1 file.

Layout (https://specs.webrecorder.net/wacz/1.1.1/): ``archive/data.warc.gz`` stored without
compression so replayers can seek in it, ``indexes/index.cdxj`` (made with cdxj-indexer),
``pages/pages.jsonl``, ``datapackage.json`` listing every file with its sha256 and size, and
``datapackage-digest.json`` holding the hash of the datapackage. Files are streamed into the ZIP;
nothing is held whole in memory.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


def write_index(warc: Path, target: Path, name: str) -> None:
    """A sorted CDXJ index of the WARC's records."""
    from cdxj_indexer.main import CDXJIndexer

    with target.open("w", encoding="utf-8") as out:
        indexer = CDXJIndexer(
            output=out, inputs=[str(warc)], sort=True, post_append=True,
            filename=name,
        )
        indexer.process_all()


def write_pages(pages: list[dict[str, Any]], target: Path) -> None:
    with target.open("w", encoding="utf-8") as out:
        out.write(json.dumps(PAGES_HEADER) + "\n")
        for number, page in enumerate(pages, start=1):
            entry = {"id": page.get("id") or f"page-{number}", "url": page["url"],
                     "ts": page["ts"]}
            if page.get("title"):
                entry["title"] = page["title"]
            if page.get("text"):
                entry["text"] = page["text"]
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def package(
    warc: Path,
    pages: list[dict[str, Any]],
    target: Path,
    *,
    software: str,
    title: str = "",
    main_url: str = "",
    main_ts: str = "",
) -> Path:
    """Write ``target`` (a .wacz) from the WARC and page list; returns ``target``."""
    index = target.with_name(target.name + ".index.cdxj")
    page_list = target.with_name(target.name + ".pages.jsonl")
    files = {
        "archive/data.warc.gz": warc,
        "indexes/index.cdxj": index,
        "pages/pages.jsonl": page_list,
    }
    write_index(warc, index, "data.warc.gz")
    write_pages(pages, page_list)

    resources = []
    for name, path in files.items():
        digest, size = _sha256(path)
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
        for name, path in files.items():
            compress = zipfile.ZIP_STORED if name.startswith("archive/") else zipfile.ZIP_DEFLATED
            zf.write(path, name, compress_type=compress)
        zf.writestr("datapackage.json", package_bytes, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("datapackage-digest.json", digest_bytes, compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(target)
    index.unlink()
    page_list.unlink()
    return target
