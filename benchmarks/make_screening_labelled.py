"""Build benchmarks/data/screening_labelled.jsonl: queries against the 2019 OFAC SDN list.

True matches are listed persons written the way other documents write them: in Cyrillic
(Russian and Ukrainian), in Armenian script, in Azerbaijani Latin, in other romanisations of
Russian (ISO 9, German, French, ICAO passport), in Ukrainian national romanisation, with the
name order swapped, the given name reduced to an initial, or the middle names dropped. Hard
non-matches share a surname but not the given name, look similar (one letter off plus a
different given name), combine common tokens that no listed person combines, or repeat a
listed name with a date of birth decades away.

The spelling rules here are written for this file alone and do NOT import Vestige: the
matcher must not grade its own homework. Fifty hand-written queries (HAND) come first.
Deterministic (seeded): `python benchmarks/make_screening_labelled.py` rewrites the file.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screening_data import Entity, load_ofac

OUT = Path(__file__).resolve().parent / "data" / "screening_labelled.jsonl"

# ----- hand-written (query, ent_num or None for a non-match, note) ------------------------------
HAND: list[tuple[str, str | None, str]] = [
    ("Лукашенко Александр Григорьевич", "9760", "Russian Cyrillic with patronymic"),
    ("Лукашэнка Аляксандр Рыгоравіч", "9760", "Belarusian Cyrillic"),
    ("Alexandre Loukachenko", "9760", "French romanisation"),
    ("Aljaksandr Lukaschenka", "9760", "German romanisation of Belarusian"),
    ("Янукович Віктор Федорович", "16641", "Ukrainian Cyrillic"),
    ("Viktor Janukowytsch", "16641", "German romanisation"),
    ("Виктор Янукович", "16641", "Russian Cyrillic, natural order"),
    ("Олександр Янукович", "16721", "Ukrainian Cyrillic"),
    ("Aleksandr Yanukovich", "16721", "Russian-style romanisation of a Ukrainian name"),
    ("Рогозин Дмитрий Олегович", "16649", "Russian Cyrillic"),
    ("Dmitri Rogosin", "16649", "German romanisation"),
    ("Сурков Владислав", "16655", "Russian Cyrillic, patronymic dropped"),
    ("Wladislaw Surkow", "16655", "German romanisation"),
    ("Вячеслав Володин", "16714", "Russian Cyrillic"),
    ("Viatcheslav Volodine", "16714", "French romanisation"),
    ("Sergej Naryschkin", "16691", "German romanisation"),
    ("Нарышкин Сергей Евгеньевич", "16691", "Russian Cyrillic"),
    ("Гиркин Игорь Всеволодович", "16961", "Russian Cyrillic"),
    ("I. Girkin", "16961", "initial"),
    ("Ігор Гіркін", "16961", "Ukrainian Cyrillic"),
    ("Захарченко Олександр", "17215", "Ukrainian Cyrillic"),
    ("Пушилин Денис", "16958", "Russian Cyrillic"),
    ("Матвієнко Валентина Іванівна", "16660", "Ukrainian Cyrillic"),
    ("Valentina Matwijenko", "16660", "German romanisation"),
    ("Аксёнов Сергей Валерьевич", "16642", "Russian Cyrillic with ё"),
    ("Sergueï Axionov", "16642", "French romanisation"),
    ("Азаров Микола Янович", "16762", "Ukrainian Cyrillic"),
    ("Nikolai Asarow", "16762", "German romanisation of the Russian form"),
    ("Клюєв Андрій Петрович", "16764", "Ukrainian Cyrillic"),
    ("Ротенберг Аркадий", "16669", "Russian Cyrillic"),
    ("Timtchenko Guennadi", "16666", "French romanisation"),
    ("Геннадий Тимченко", "16666", "Russian Cyrillic"),
    ("Aslanov Ceyhun Nəsimi oğlu", "23951", "Azerbaijani Latin with oğlu"),
    ("Асланов Джейхун Насими оглы", "23951", "Russian Cyrillic with оглы"),
    ("Karamyan Vakhtang", "18658", "order kept, spelled as listed: sanity"),
    ("Վախթանգ Քարամյան", "18658", "Armenian script"),
    ("Fikrət Tağıyev", "16396", "Azerbaijani Latin"),
    ("Фикрет Тагиев", "16396", "Russian Cyrillic"),
    ("Bashar al-Asad", "12735", "Arabic name, other spelling"),
    ("Башар Асад", "12735", "Russian Cyrillic"),
    # hard non-matches written by hand
    ("Лукашенко Виктор Петрович", None, "same surname, another given name and patronymic"),
    ("Rashad Aliyev", None, "Azerbaijani name not on the 2019 list"),
    ("Əliyev İlham Heydər oğlu", None, "not on the 2019 list"),
    ("Петросян Армен", None, "common Armenian surname, not listed"),
    ("Sergei Ivanovich Petrov", None, "common Russian tokens, not listed"),
    ("Volodymyr Zelenskyy", None, "not listed"),
    ("Timchenko Sergey", None, "same surname as a listed person, other given name"),
    ("Rotenberg Mikhail", None, "same surname as listed persons, other given name"),
    ("Dmitry Kozlov", None, "similar to Dmitry Kozak"),
    ("Ivanov Boris Andreevich", None, "shares tokens with several listed persons"),
]

# ----- the generator's own spelling rules -----------------------------------------------------
LAT2CYR = [
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "ё"),
    ("iy", "ий"),
    ("yy", "ый"),
    ("ye", "е"),
    ("ey", "ей"),
    ("ay", "ай"),
    ("oy", "ой"),
    ("uy", "уй"),
    ("ai", "ай"),
    ("ei", "ей"),
    ("ia", "ия"),
    ("io", "ио"),
    ("iu", "иу"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("j", "дж"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "к"),
    ("y", "ы"),
    ("x", "кс"),
    ("q", "к"),
]
ISO9 = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "ë",
            "ž",
            "z",
            "i",
            "j",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "c",
            "č",
            "š",
            "ŝ",
            "",
            "y",
            "",
            "è",
            "û",
            "â",
        ],
        strict=True,
    )
)
GERMAN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "w",
            "g",
            "d",
            "e",
            "jo",
            "sch",
            "s",
            "i",
            "j",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "ch",
            "z",
            "tsch",
            "sch",
            "schtsch",
            "",
            "y",
            "",
            "e",
            "ju",
            "ja",
        ],
        strict=True,
    )
)
FRENCH = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "io",
            "j",
            "z",
            "i",
            "ï",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "ou",
            "f",
            "kh",
            "ts",
            "tch",
            "ch",
            "chtch",
            "",
            "y",
            "",
            "e",
            "iou",
            "ia",
        ],
        strict=True,
    )
)
ICAO = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "ie",
            "y",
            "",
            "e",
            "iu",
            "ia",
        ],
        strict=True,
    )
)
UKR_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "є": "ie",
    "ж": "zh",
    "з": "z",
    "и": "y",
    "і": "i",
    "ї": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ь": "",
    "ю": "iu",
    "я": "ia",
}
UKR_GIVEN = {
    "aleksandr": "Олександр",
    "alexander": "Олександр",
    "sergey": "Сергій",
    "sergei": "Сергій",
    "vladimir": "Володимир",
    "dmitry": "Дмитро",
    "dmitriy": "Дмитро",
    "andrey": "Андрій",
    "andrei": "Андрій",
    "nikolai": "Микола",
    "nikolay": "Микола",
    "mikhail": "Михайло",
    "yuri": "Юрій",
    "yuriy": "Юрій",
    "oleg": "Олег",
    "igor": "Ігор",
    "aleksey": "Олексій",
    "alexei": "Олексій",
    "aleksei": "Олексій",
    "pavel": "Павло",
    "petr": "Петро",
    "vasily": "Василь",
    "vasiliy": "Василь",
    "ivan": "Іван",
    "viktor": "Віктор",
    "victor": "Віктор",
    "yevgeny": "Євген",
    "evgeni": "Євген",
    "evgeniy": "Євген",
    "grigory": "Григорій",
    "konstantin": "Костянтин",
    "vyacheslav": "В'ячеслав",
    "valery": "Валерій",
    "roman": "Роман",
    "denis": "Денис",
    "boris": "Борис",
}
ARMENIAN = [
    ("zh", "ժ"),
    ("kh", "խ"),
    ("ts", "ց"),
    ("dz", "ձ"),
    ("gh", "ղ"),
    ("ch", "չ"),
    ("sh", "շ"),
    ("yan", "յան"),
    ("ian", "յան"),
    ("ou", "ու"),
    ("u", "ու"),
    ("a", "ա"),
    ("b", "բ"),
    ("g", "գ"),
    ("d", "դ"),
    ("e", "ե"),
    ("z", "զ"),
    ("t", "տ"),
    ("i", "ի"),
    ("l", "լ"),
    ("k", "կ"),
    ("h", "հ"),
    ("m", "մ"),
    ("y", "յ"),
    ("n", "ն"),
    ("o", "ո"),
    ("p", "պ"),
    ("j", "ջ"),
    ("r", "ր"),
    ("s", "ս"),
    ("v", "վ"),
    ("f", "ֆ"),
    ("w", "վ"),
    ("c", "կ"),
    ("q", "ք"),
    ("x", "քս"),
]
AZ = [("dzh", "c"), ("kh", "x"), ("sh", "ş"), ("ch", "ç"), ("gh", "ğ"), ("zh", "j")]
COMMON_GIVEN = [
    "Mohammad",
    "Ali",
    "Ahmad",
    "Hassan",
    "Sergei",
    "Aleksandr",
    "Viktor",
    "Juan",
    "Jose",
    "Carlos",
    "Abdul",
    "Igor",
    "Dmitry",
    "Omar",
    "Ivan",
]
SIMILAR_GIVEN = {
    "a": ["Anatoly", "Arkady", "Artur"],
    "b": ["Bogdan", "Bakhtiyar"],
    "d": ["Danil", "Davron"],
    "i": ["Ilya", "Iskander"],
    "m": ["Maksim", "Marat", "Murad"],
    "s": ["Stanislav", "Samir"],
    "v": ["Vadim", "Vsevolod"],
    "o": ["Orkhan", "Ostap"],
    "r": ["Ruslan", "Rauf"],
    "n": ["Nazim", "Nodir"],
    "y": ["Yaroslav", "Yakov"],
    "k": ["Kirill", "Kamran"],
    "g": ["Gleb", "Gurban"],
    "e": ["Emin", "Elchin"],
    "t": ["Taras", "Tofig"],
}


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters only (for the 'already listed?' checks)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == " "))


def token_set(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", ascii_fold(text)))


def rewrite(text: str, table: list[tuple[str, str]]) -> str:
    """Longest-first sequence rewriting, case kept on the first letter of each word."""
    out = []
    for word in re.findall(r"[^\W\d_]+", text):
        low, res, i = word.lower(), "", 0
        while i < len(low):
            for old, new in table:
                if low.startswith(old, i):
                    res += new
                    i += len(old)
                    break
            else:
                res += low[i]
                i += 1
        out.append(res[:1].upper() + res[1:])
    return " ".join(out)


def by_letter(text: str, table: dict[str, str]) -> str:
    words = []
    for word in text.split():
        res = "".join(table.get(c, c) for c in word.lower())
        words.append(res[:1].upper() + res[1:])
    return " ".join(words)


def split_name(name: str) -> tuple[list[str], list[str]] | None:
    """(surname words, given words) from OFAC's 'SURNAME, Given Middle'."""
    if "," not in name:
        return None
    sur, given = name.split(",", 1)
    sur_w, given_w = re.findall(r"[A-Za-z'-]+", sur), re.findall(r"[A-Za-z'-]+", given)
    if not sur_w or not given_w:
        return None
    return [w.strip("'-") for w in sur_w], [w.strip("'-") for w in given_w]


def title(words: list[str]) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in words if w)


def to_cyrillic(words: list[str]) -> str:
    return rewrite(title(words).replace("-", " "), LAT2CYR)


def az_latin(words: list[str], rng: random.Random) -> str:
    text = rewrite(title(words), AZ)
    text = re.sub(r"ogly\b", "oğlu", text, flags=re.I)
    # Azerbaijani writes ə for many a's: turn the first a after a consonant into ə.
    out = []
    for word in text.split():
        if rng.random() < 0.7:
            word = re.sub(r"(?<=[bcdfghjklmnpqrstvxzşçğ])a", "ə", word, count=1)
        out.append(word.replace("I", "İ", 1) if word.startswith("I") else word)
    return " ".join(out)


def ukrainian(surname: list[str], given: list[str], latin: bool) -> str | None:
    first = UKR_GIVEN.get(given[0].lower())
    if first is None:
        return None
    sur = to_cyrillic(surname)
    sur = sur.replace("ий", "ий").replace("и", "и")
    if latin:
        return title(
            [
                by_letter(first.replace("'", ""), UKR_LAT),
                by_letter(sur.replace("г", "г"), UKR_LAT).replace("Y", "Y"),
            ]
        )
    return f"{first} {sur}"


def dob_for(entity: Entity, rng: random.Random) -> str | None:
    if not entity.dobs or rng.random() < 0.6:
        return None
    dob = entity.dobs[0]
    return dob[:4] if rng.random() < 0.4 else dob


def build(seed: int = 20191, hand: bool = True) -> list[dict[str, object]]:
    rng = random.Random(seed)
    ents = load_ofac()
    persons = [e for e in ents.values() if e.is_person]
    listed_sets = {token_set(n) for e in ents.values() for n in e.names}
    by_surname: dict[str, list[Entity]] = {}
    for e in persons:
        parts = split_name(e.names[0])
        if parts:
            by_surname.setdefault(" ".join(parts[0]).lower(), []).append(e)
    rows: list[dict[str, object]] = []

    def expected_for(entity: Entity) -> list[str]:
        names = {token_set(n) for n in entity.names}
        return sorted({o.ent_num for o in ents.values() if names & {token_set(n) for n in o.names}})

    def add_match(query: str, entity: Entity, variant: str, dob: str | None = None) -> bool:
        if not query or (token_set(query) in listed_sets and variant not in ("hand",)):
            return False  # already spelled as on the list: not a cross-spelling test
        rows.append(
            {
                "query": query,
                "label": "match",
                "expected": expected_for(entity),
                "variant": variant,
                **({"dob": dob} if dob else {}),
            }
        )
        return True

    def add_non(query: str, variant: str, dob: str | None = None) -> bool:
        qset = token_set(query)
        if not query or any(qset <= s or s <= qset for s in listed_sets if len(s) >= 2):
            return False
        rows.append(
            {
                "query": query,
                "label": "nonmatch",
                "expected": [],
                "variant": variant,
                **({"dob": dob} if dob else {}),
            }
        )
        return True

    for query, ent, note in HAND if hand else []:
        if ent is None:
            qset = token_set(query)
            clash = [s for s in listed_sets if qset and len(s) >= 2 and (qset <= s or s <= qset)]
            if clash:
                raise SystemExit(f"hand-written non-match {query!r} is listed: {clash[0]}")
            rows.append(
                {
                    "query": query,
                    "label": "nonmatch",
                    "expected": [],
                    "variant": "hand",
                    "note": note,
                }
            )
        else:
            rows.append(
                {
                    "query": query,
                    "label": "match",
                    "expected": expected_for(ents[ent]),
                    "variant": "hand",
                    "note": note,
                }
            )

    slavic = [
        e for e in persons if re.search(r"UKRAINE|RUSSIA|BELARUS|MAGNIT|CYBER|CAATSA", e.programme)
    ]
    other = [e for e in persons if e not in slavic]
    rng.shuffle(slavic)
    rng.shuffle(other)
    quotas = {
        "cyrillic": 45,
        "ukrainian": 20,
        "iso9": 15,
        "german": 15,
        "french": 15,
        "icao": 10,
        "armenian": 20,
        "azerbaijani": 25,
        "order_initial": 20,
        "dropped_middle": 15,
        "cyrillic_other": 20,
    }
    counts = dict.fromkeys(quotas, 0)
    pool = slavic + other
    for entity in pool:
        parts = split_name(entity.names[0])
        if not parts:
            continue
        sur, given = parts
        dob = dob_for(entity, rng)
        is_slavic = entity in slavic
        choices = [k for k, v in quotas.items() if counts[k] < v]
        if not choices:
            break
        if is_slavic:
            choices = [c for c in choices if c != "cyrillic_other"] or choices
        else:
            choices = [
                c
                for c in choices
                if c
                in ("armenian", "azerbaijani", "order_initial", "dropped_middle", "cyrillic_other")
            ]
            if not choices:
                continue
        kind = rng.choice(choices)
        cyr = to_cyrillic(given[:1] + sur) if rng.random() < 0.5 else to_cyrillic(sur + given)
        query: str | None = None
        if kind in ("cyrillic", "cyrillic_other"):
            query = cyr
        elif kind == "ukrainian":
            query = ukrainian(sur, given, latin=rng.random() < 0.5)
        elif kind == "iso9":
            query = by_letter(cyr.lower(), ISO9)
        elif kind == "german":
            query = by_letter(cyr.lower(), GERMAN)
        elif kind == "french":
            query = by_letter(cyr.lower(), FRENCH)
        elif kind == "icao":
            query = by_letter(cyr.lower(), ICAO)
        elif kind == "armenian":
            query = rewrite(title(given[:1] + sur), ARMENIAN)
        elif kind == "azerbaijani":
            query = az_latin(sur + given, rng)
        elif kind == "order_initial":
            if len(sur) + len(given) < 2:
                continue
            query = f"{given[0][:1].upper()}. {title(sur)}"
        elif kind == "dropped_middle":
            if len(given) < 2:
                continue
            query = f"{title(given[:1])} {title(sur)}"
        if query and add_match(query, entity, kind, dob):
            counts[kind] += 1

    # Hard non-matches.
    given_pool = sorted(
        {split_name(e.names[0])[1][0].title() for e in persons if split_name(e.names[0])}
    )
    neg_quota = {"same_surname": 60, "similar": 40, "common_tokens": 35, "dob_far": 20}
    neg_counts = dict.fromkeys(neg_quota, 0)
    rng.shuffle(persons)
    for entity in persons:
        parts = split_name(entity.names[0])
        if not parts:
            continue
        sur, given = parts
        if neg_counts["same_surname"] < neg_quota["same_surname"]:
            other_given = rng.choice(given_pool)
            if other_given[:1] != given[0][:1]:
                script = rng.random()
                words = [other_given, *sur]
                query = to_cyrillic(words) if script < 0.4 else title(words)
                if add_non(query, "same_surname"):
                    neg_counts["same_surname"] += 1
                    continue
        if neg_counts["similar"] < neg_quota["similar"]:
            letter = given[0][:1].lower()
            alt = [g for g in SIMILAR_GIVEN.get(letter, []) if g.lower() != given[0].lower()]
            surname = " ".join(sur)
            if alt and len(surname) > 4:
                pos = rng.randrange(2, len(surname) - 1)
                ch = surname[pos].lower()
                repl = rng.choice([c for c in "bdgklmnprstvz" if c != ch])
                changed = surname[:pos] + repl + surname[pos + 1 :]
                if add_non(f"{rng.choice(alt)} {changed.title()}", "similar"):
                    neg_counts["similar"] += 1
                    continue
        if neg_counts["dob_far"] < neg_quota["dob_far"] and entity.dobs and len(entity.dobs) == 1:
            year = int(entity.dobs[0][:4])
            far = str(year + rng.choice([-30, -25, 25, 30]))
            rows.append(
                {
                    "query": to_cyrillic(given[:1] + sur),
                    "label": "nonmatch",
                    "expected": [],
                    "variant": "dob_far",
                    "dob": far,
                    "note": f"listed name, born {entity.dobs[0]}: another person",
                }
            )
            neg_counts["dob_far"] += 1
            continue
    surnames = sorted(by_surname)
    tries = 0
    while neg_counts["common_tokens"] < neg_quota["common_tokens"] and tries < 5000:
        tries += 1
        query = f"{rng.choice(COMMON_GIVEN)} {rng.choice(surnames).title()}"
        if add_non(query, "common_tokens"):
            neg_counts["common_tokens"] += 1
    return rows


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Write the labelled screening set.")
    parser.add_argument("--seed", type=int, default=20191)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-hand", action="store_true", help="leave out the hand-written rows")
    args = parser.parse_args()
    rows = build(args.seed, hand=not args.no_hand)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for i, row in enumerate(rows, start=1):
            handle.write(json.dumps({"id": i, **row}, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for row in rows:
        key = f"{row['label']}:{row['variant']}"
        kinds[key] = kinds.get(key, 0) + 1
    print(f"{len(rows)} queries -> {out}")
    for key in sorted(kinds):
        print(f"  {key}: {kinds[key]}")


if __name__ == "__main__":
    main()
