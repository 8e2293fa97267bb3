"""Pieces every list reader shares: byte counting for progress, dates, errors."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

from ...core.errors import UserError
from ..records import EntityRecord


class ListFormatError(UserError):
    """A list file that does not have the structure its format promises."""


@dataclass
class Header:
    """What a file says about itself before its entities."""

    published: date | None
    name: str


class CountingReader(io.RawIOBase):
    """A binary file wrapper that counts the bytes read, for a progress bar."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        return size

    def close(self) -> None:
        self._handle.close()
        super().close()


class ListReader:
    """Base class of the format readers: one pass for the header, one for entities.

    ``records()`` must stream: it may keep an index of the file's aliases but never
    the whole file.  ``bytes_read`` lets the command line show progress.
    """

    format = ""
    source = ""
    label = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counter: CountingReader | None = None

    @property
    def bytes_read(self) -> int:
        return self._counter.count if self._counter else 0

    def open_counted(self) -> CountingReader:
        """Open the file for one streaming pass, counting its bytes."""
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise UserError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        self._counter = CountingReader(handle)
        return self._counter

    def companions(self) -> list[Path]:
        """Other files read with this one (hashed with it to recognise a re-import)."""
        return []

    def header(self) -> Header:  # pragma: no cover - every reader overrides it
        raise NotImplementedError

    def records(self) -> Iterator[EntityRecord]:  # pragma: no cover
        raise NotImplementedError

    def where(self, detail: str) -> str:
        """Prefix an error with the file's name, for messages users can act on."""
        return f"{self.path.name}: {detail}"

    def xml_elements(
        self, tags: tuple[str, ...], events: tuple[str, ...] = ("end",)
    ) -> Iterator[tuple[str, str, etree._Element]]:
        """Stream ``(event, local tag, element)`` for the given tags, in any namespace.

        Each element is cleared (with the siblings before it) once the consumer has
        moved on, so memory stays flat however long the list is.  Entities are not
        resolved and the network is never used.
        """
        handle = self.open_counted()
        try:
            parser = etree.iterparse(
                handle,
                events=events,
                tag=[f"{{*}}{tag}" for tag in tags],
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
                remove_comments=True,
            )
            for event, element in parser:
                yield event, local_name(element.tag), element
                if event == "end":
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    if parent is not None:
                        while element.getprevious() is not None:
                            del parent[0]
        except etree.XMLSyntaxError as exc:
            line, column = exc.position
            raise ListFormatError(
                self.where(f"line {line}, column {column}: not well-formed XML ({exc.msg})")
            ) from exc
        finally:
            handle.close()

    def missing(self, element: etree._Element, what: str) -> ListFormatError:
        """An error naming the element, its line and what it lacks."""
        return ListFormatError(
            self.where(f"line {element.sourceline}: <{local_name(element.tag)}> has no {what}")
        )


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2}) ([A-Za-z]+)\.? (\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.? (\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_RANGE = re.compile(r"^(\d{4}) ?(?:to|-|–) ?(\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def partial_dates(text: str) -> list[str]:
    """Dates of birth as lists write them, as ISO or partial ISO strings.

    "12 Mar 1962" → ["1962-03-12"], "Mar 1962" → ["1962-03"], "circa 1962" → ["1962"],
    "1960 to 1962" → ["1960", "1961", "1962"] (every year of a range, so that a
    year comparison finds it); anything unreadable gives [].
    """
    text = " ".join(text.replace(",", " ").split())
    text = re.sub(r"^(?:circa|approximately|approx\.?|c\.|about)\s+", "", text, flags=re.I)
    if match := _DAY_MONTH_YEAR.match(text):
        month = _MONTHS.get(match.group(2).lower())
        if month:
            return [_iso(int(match.group(3)), month, int(match.group(1)))]
        return []
    if match := _MONTH_YEAR.match(text):
        month = _MONTHS.get(match.group(1).lower())
        return [_iso(int(match.group(2)), month)] if month else []
    if match := _YEAR_RANGE.match(text):
        start, end = int(match.group(1)), int(match.group(2))
        if start <= end <= start + 20:
            return [str(year) for year in range(start, end + 1)]
        return []
    if match := _YEAR.match(text):
        return [match.group(1)]
    if iso := _ISO.match(text):
        year_text, month_text, day_text = iso.groups()
        if month_text and day_text and day_text != "00" and month_text != "00":
            return [_iso(int(year_text), int(month_text), int(day_text))]
        if month_text and month_text != "00":
            return [f"{year_text}-{month_text}"]
        return [year_text]
    return []


def _iso(year: int, month: int | None = None, day: int | None = None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}"


def publication_date(text: str) -> date | None:
    """A list's publication date: ISO ("2024-05-01", with or without time) or US
    ("05/01/2024", as OFAC writes Publish_Date); None when unreadable."""
    text = text.strip()
    if match := _US.match(text):
        month, day, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def local_name(tag: object) -> str:
    """An XML tag without its namespace: ``{http://…}sdnEntry`` → ``sdnEntry``."""
    return str(tag).rsplit("}", 1)[-1]


def child_text(element: etree._Element, tag: str) -> str:
    """The stripped text of the first child with this local name ("" if none)."""
    for child in element:
        if local_name(child.tag) == tag:
            return (child.text or "").strip()
    return ""


def children(element: etree._Element, tag: str) -> list[etree._Element]:
    """Direct children with this local name."""
    return [child for child in element if local_name(child.tag) == tag]


def descendants(element: etree._Element, tag: str) -> list[etree._Element]:
    """Descendants with this local name, in document order."""
    return [node for node in element.iter(f"{{*}}{tag}")]
