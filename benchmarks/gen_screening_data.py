"""Generate listed names for the screening speed benchmark from real name parts.

Surnames and given names are the tokens of the 2019 OFAC SDN list's persons (sampled by how
often they occur there, so common tokens such as MOHAMMAD or ALEKSANDR are common here too),
plus Russian, Ukrainian, Azerbaijani and Armenian name parts. Each generated record has one to
four names (aliases swap spellings), so a million names make about 400,000 records.
Queries are real listed names rewritten in Cyrillic or Armenian script, or random
combinations of the same parts (mostly not listed). Deterministic for a given seed.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screening_labelled import ARMENIAN, rewrite, split_name, title, to_cyrillic
from screening_data import load_ofac

EXTRA_SURNAMES = [
    "Aliyev",
    "Mammadov",
    "Hasanov",
    "Huseynov",
    "Guliyev",
    "Ismayilov",
    "Abbasov",
    "Babayev",
    "Petrosyan",
    "Sargsyan",
    "Harutyunyan",
    "Grigoryan",
    "Hovhannisyan",
    "Karapetyan",
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Sokolov",
    "Lebedev",
    "Kozlov",
    "Novikov",
    "Shevchenko",
    "Bondarenko",
    "Kovalenko",
    "Tkachenko",
    "Kravchenko",
    "Melnyk",
    "Lysenko",
]
EXTRA_GIVEN = [
    "Rashad",
    "Ilham",
    "Elchin",
    "Vugar",
    "Samir",
    "Tural",
    "Aram",
    "Armen",
    "Tigran",
    "Gevorg",
    "Hovhannes",
    "Narek",
    "Aleksandr",
    "Sergey",
    "Dmitry",
    "Andrey",
    "Oleksandr",
    "Volodymyr",
    "Mykola",
    "Olena",
    "Natalia",
    "Anna",
    "Leyla",
    "Gunel",
]


def name_parts() -> tuple[Counter[str], Counter[str]]:
    """Surname and given-name token frequencies from the OFAC list plus the extra parts."""
    surnames: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for entity in load_ofac().values():
        if not entity.is_person:
            continue
        for name in entity.names:
            parts = split_name(name)
            if parts:
                surnames[title(parts[0])] += 1
                for word in parts[1]:
                    given[title([word])] += 1
    for s in EXTRA_SURNAMES:
        surnames[s] += 5
    for g in EXTRA_GIVEN:
        given[g] += 5
    return surnames, given


def generate(n_names: int, seed: int = 7) -> list[tuple[str, list[str]]]:
    """(record id, names) until ``n_names`` names exist."""
    rng = random.Random(seed)
    surnames, given = name_parts()
    s_keys, s_w = list(surnames), list(surnames.values())
    g_keys, g_w = list(given), list(given.values())
    s_draw = rng.choices(s_keys, s_w, k=n_names)
    g_draw = rng.choices(g_keys, g_w, k=2 * n_names)
    records: list[tuple[str, list[str]]] = []
    made = 0
    i = 0
    while made < n_names:
        count = min(rng.choice((1, 1, 2, 3, 4)), n_names - made)
        at = i % n_names
        sur = s_draw[at]
        first = g_draw[2 * at]
        middle = g_draw[2 * at + 1] if rng.random() < 0.4 else ""
        names = [f"{sur.upper()}, {first} {middle}".strip()]
        for k in range(1, count):
            alt_first = g_draw[(2 * (at + k) + 1) % (2 * n_names)]
            names.append(f"{sur.upper()}, {alt_first if k % 2 else first}")
        names = list(dict.fromkeys(names))
        records.append((f"G{i}", names))
        made += len(names)
        i += 1
    return records


def queries(records: list[tuple[str, list[str]]], n: int, seed: int = 11) -> list[str]:
    """Half listed names rewritten in another script, half random combinations."""
    rng = random.Random(seed)
    surnames, given = name_parts()
    out = []
    for k in range(n):
        if k % 2 == 0:
            _, names = rng.choice(records)
            parts = split_name(names[0])
            if parts is None:
                continue
            sur, giv = parts
            out.append(
                to_cyrillic(giv[:1] + sur)
                if k % 4 == 0
                else rewrite(title(giv[:1] + sur), ARMENIAN)
            )
        else:
            out.append(f"{rng.choice(list(given))} {rng.choice(list(surnames))}")
    return out
