"""The plain-text stage streams: the text comes out in UTF-8 a megabyte at a time, whatever the
file's encoding, and a multi-byte character split across two reads survives."""

from __future__ import annotations

from pathlib import Path

import pytest

from vestige.core.errors import ExtractionError
from vestige.core.stages import TextStage


def run(path: Path, tmp_path: Path, chunk: int | None = None) -> tuple[str, dict[str, object]]:
    stage = TextStage()
    if chunk is not None:
        stage.chunk = chunk  # tiny reads put characters across read boundaries
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    result = stage.run(path, "text/plain", work)
    [derived] = result.derived
    return derived.path.read_text(encoding="utf-8"), result.metadata["text"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
def test_text_is_transcoded_to_utf8_across_read_boundaries(tmp_path: Path, encoding: str) -> None:
    words = "Ստեփանակերտ Степанакерт Xankəndi " if encoding == "utf-8" else "Степанакерт Ханкенди "
    text = words * 500
    source = tmp_path / "source.txt"
    source.write_bytes(text.encode(encoding))
    out, meta = run(source, tmp_path, chunk=7)
    assert out == text
    assert meta == {"encoding": encoding, "characters": len(text)}


def test_only_the_limit_is_read(tmp_path: Path) -> None:
    source = tmp_path / "big.txt"
    source.write_bytes("ә".encode() * 3000)  # two bytes each
    stage = TextStage()
    stage.limit, stage.chunk = 1001, 100  # the limit cuts a character in two: it is dropped
    work = tmp_path / "work"
    work.mkdir()
    result = stage.run(source, "text/plain", work)
    assert result.derived[0].path.read_text(encoding="utf-8") == "ә" * 500
    assert result.metadata["text"]["characters"] == 500


def test_utf16_needs_its_byte_order_mark(tmp_path: Path) -> None:
    source = tmp_path / "utf16.txt"
    source.write_bytes("Ханкенди".encode("utf-16"))  # with BOM
    out, meta = run(source, tmp_path)
    assert out == "Ханкенди" and meta["encoding"] == "utf-16"


def test_no_known_encoding_is_an_extraction_error(tmp_path: Path) -> None:
    source = tmp_path / "odd.txt"
    source.write_bytes(b"\x98\x81\x8d")  # not UTF-8, no BOM, 0x98 not cp1251, 0x81 not cp1252
    with pytest.raises(ExtractionError):
        TextStage().run(source, "text/plain", tmp_path)
    assert not (tmp_path / "text.txt").exists()
