"""Generate a large search corpus: items of multilingual text and incidents, written in bulk.

Used by ``bench_search.py``; runnable alone against the database that VESTIGE_DATA_DIR and
DATABASE_URL name::

    VESTIGE_DATA_DIR=/tmp/bench .venv/bin/python benchmarks/gen_search_data.py --items 100000

What it writes, with bulk inserts and nothing else:

- one case (``bench``) owned by the account ``bench``;
- a gazetteer of places (shared, no case) with their names in Latin, Azerbaijani, Cyrillic and
  Armenian script, and their search entries;
- INCIDENTS incident rows (title, description, EDTF date and bounds, ACLED event type, one
  place each) with their search entries and place links: the incident list and map pages read
  these rows;
- ITEMS items as search entries only (``part='text'`` with 30–80 words of text, and the
  ``part='meta'`` entry with the title): the search never reads the item rows themselves, so
  none are written (an item row needs a stored blob and a custody event each).

The text is drawn from a vocabulary of place names, actor names and phrases in Latin, Cyrillic
and Armenian scripts, so that queries in one script match text in another.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

PLACES = [
    # (default name, [other names])
    ("Stepanakert", ["Ստեփանակերտ", "Степанакерт", "Khankendi", "Xankəndi", "Ханкенди"]),
    ("Shusha", ["Շուշի", "Шуша", "Şuşa", "Shushi"]),
    ("Lachin", ["Լաչին", "Лачин", "Laçın", "Berdzor", "Բերձոր"]),
    ("Martuni", ["Մարտունի", "Мартуни", "Xocavənd"]),
    ("Askeran", ["Ասկերան", "Аскеран", "Əsgəran"]),
    ("Hadrut", ["Հադրութ", "Гадрут", "Hadrut"]),
    ("Goris", ["Գորիս", "Горис"]),
    ("Kapan", ["Կապան", "Капан"]),
    ("Yerevan", ["Երևան", "Ереван", "İrəvan"]),
    ("Baku", ["Bakı", "Баку", "Բաքու"]),
    ("Ganja", ["Gəncə", "Гянджа", "Գանձակ"]),
    ("Aghdam", ["Ağdam", "Агдам", "Աղդամ"]),
    ("Fuzuli", ["Füzuli", "Физули", "Ֆիզուլի"]),
    ("Jabrayil", ["Cəbrayıl", "Джебраил", "Ջաբրայիլ"]),
    ("Kalbajar", ["Kəlbəcər", "Кельбаджар", "Քարվաճառ"]),
    ("Tartar", ["Tərtər", "Тертер", "Թարթառ"]),
    ("Zangilan", ["Zəngilan", "Зангилан", "Զանգելան"]),
    ("Mardakert", ["Մարտակերտ", "Мартакерт", "Ağdərə"]),
    ("Vardenis", ["Վարդենիս", "Варденис"]),
    ("Jermuk", ["Ջերմուկ", "Джермук"]),
    ("Sotk", ["Սոթք", "Сотк"]),
    ("Tegh", ["Տեղ", "Тех"]),
    ("Kornidzor", ["Կոռնիձոր", "Корнидзор"]),
    ("Berdashen", ["Բերդաշեն", "Бердашен"]),
]
ACTORS = [
    ["Ilham Aliyev", "İlham Əliyev", "Ильхам Алиев", "Իլհամ Ալիև"],
    ["Nikol Pashinyan", "Никол Пашинян", "Նիկոլ Փաշինյան", "Nikol Paşinyan"],
    ["Arayik Harutyunyan", "Араик Арутюнян", "Արայիկ Հարությունյան"],
    ["Samvel Shahramanyan", "Самвел Шахраманян", "Սամվել Շահրամանյան"],
    ["Zakir Hasanov", "Zakir Həsənov", "Закир Гасанов"],
    ["Ruben Vardanyan", "Рубен Варданян", "Ռուբեն Վարդանյան"],
    ["Hikmet Hajiyev", "Hikmət Hacıyev", "Хикмет Гаджиев"],
    ["Ararat Mirzoyan", "Арарат Мирзоян", "Արարատ Միրզոյան"],
    ["Jeyhun Bayramov", "Ceyhun Bayramov", "Джейхун Байрамов"],
    ["Davit Manukyan", "Давит Манукян", "Դավիթ Մանուկյան"],
]
PHRASES = [
    "artillery fire was reported near", "residents fled toward", "the road was closed at",
    "a checkpoint was set up outside", "civilians were detained in", "the hospital in",
    "drone strikes hit", "humanitarian convoy stopped before", "the church was damaged in",
    "power and gas were cut off in", "witnesses described shelling of", "soldiers entered",
    "обстрел продолжался в районе", "жители покинули", "дорога перекрыта у",
    "гуманитарный конвой остановлен возле", "в больнице города", "задержаны мирные жители",
    "Հրետակոծություն է եղել", "բնակիչները լքել են", "ճանապարհը փակ էր",
    "խաղաղ բնակիչներ են ձերբակալվել", "hospitalda yaralılar var", "yol bağlandı",
    "blockade of the corridor continued", "ceasefire violation was recorded",
    "the cultural heritage site was destroyed", "mass displacement followed the offensive",
    "statement of the ministry said", "according to local sources", "reportedly",
]
EVENT_TYPES = ["Battles", "Explosions/Remote violence", "Violence against civilians",
               "Strategic developments", "Protests", "Riots"]
KINDS = ["document", "message", "web_capture", "testimony", "image", "video"]


def vocabulary_words() -> list[str]:
    """Words a query can use: every place and actor name word, and phrase words."""
    words: list[str] = []
    for name, others in PLACES:
        words.append(name)
        words.extend(others)
    for names in ACTORS:
        for name in names:
            words.extend(name.split())
    for phrase in PHRASES:
        words.extend(w for w in phrase.split() if len(w) > 4)
    return words


def _text(rng: random.Random) -> tuple[str, list[int]]:
    """30–80 words of report-like text; the indexes of the places it names."""
    parts: list[str] = []
    places: list[int] = []
    words = 0
    target = rng.randint(30, 80)
    while words < target:
        phrase = rng.choice(PHRASES)
        index = rng.randrange(len(PLACES))
        name, others = PLACES[index]
        place = rng.choice([name, *others])
        places.append(index)
        sentence = f"{phrase} {place}"
        if rng.random() < 0.35:
            sentence += f", {rng.choice(rng.choice(ACTORS))} said"
        if rng.random() < 0.3:
            sentence += f" on {rng.randint(1, 28)} {rng.choice(['September', 'November'])}"
            sentence += f" {rng.choice([2020, 2022, 2023])}"
        parts.append(sentence + ".")
        words += len(sentence.split())
    text = " ".join(parts)
    return text[:1].upper() + text[1:], places


def generate(
    items: int, incidents: int, seed: int = 7, on_progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Write the corpus into the configured database; return what was written."""
    from django.db import connection, transaction

    from vestige.cases.models import Place, PlaceName
    from vestige.cases.services import create_case
    from vestige.core.names import fold_text, script_of
    from vestige.search.index import scope_token

    say = on_progress or (lambda message: None)
    rng = random.Random(seed)
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user(username="bench", password="bench-bench-9")
    case = create_case("bench", "Search benchmark", owner=owner)
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")

    # The gazetteer: ordinary saves (a few dozen rows), indexed by the signals.
    place_ids: list[int] = []
    for name, others in PLACES:
        place = Place.objects.create(name=name, latitude=39 + rng.random(),
                                     longitude=46 + rng.random())
        PlaceName.objects.bulk_create(
            PlaceName(place=place, name=other, script=script_of(other), folded=fold_text(other))
            for other in dict.fromkeys([name, *others])
        )
        from vestige.search.index import index_place

        index_place(place)
        place_ids.append(place.pk)

    entry_sql = (
        "INSERT INTO search_searchentry (record_type, record_id, part, case_id, title, text, "
        "folded, title_folded, item_kind, incident_type, date_lower, date_upper, item_ref) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    start_day = date(2020, 9, 27)
    batch = 10_000

    # Items: search entries only.
    done = 0
    while done < items:
        rows = []
        for n in range(done, min(items, done + batch)):
            text, _ = _text(rng)
            record_id = f"00000000-0000-4000-8000-{n:012d}"
            kind = rng.choice(KINDS)
            title = f"{kind} {n}: {text[:40]}"
            day = start_day + timedelta(days=rng.randrange(1200)) if rng.random() < 0.6 else None
            title_folded = fold_text(title)
            rows.append(("item", record_id, "meta", case.pk, title, "",
                         f"{title_folded} {scope_token(case.pk, 'meta')}",
                         title_folded, kind, "", day, day, ""))
            rows.append(("item", record_id, "text", case.pk, title, text,
                         f"{fold_text(f'{title} {text}')} {scope_token(case.pk, 'text')}",
                         title_folded, kind, "", day, day, ""))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(entry_sql, rows)
        done += len(rows) // 2
        say(f"items {done:,}/{items:,} ({time.perf_counter() - started:.0f} s)")

    # Incidents: rows (read by the incident pages), place links, search entries.
    done = 0
    while done < incidents:
        count = min(incidents, done + batch) - done
        incident_rows = []
        texts = []
        for _ in range(count):
            text, places = _text(rng)
            text = text[:400]
            index = places[0]
            first = start_day + timedelta(days=rng.randrange(1200))
            last = first + timedelta(days=rng.choice([0, 0, 0, 1, 3, 30]))
            edtf = first.isoformat() if first == last else f"{first}/{last}"
            event = rng.choice(EVENT_TYPES)
            title = f"{event} near {PLACES[index][0]}"
            incident_rows.append((case.pk, title, text, event, edtf, first, last, "day"))
            texts.append((title, text, event, first, last, place_ids[index]))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO cases_incident (case_id, title, description, event_type, "
                "sub_event_type, acts, status, conflict_type, location_precision, "
                "confidential, external_ids, created_at, updated_at, date, date_lower, "
                "date_upper, date_precision) VALUES (%s, %s, %s, %s, '', '[]', 'possible', "
                "'unknown', 1, FALSE, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, %s, %s, %s, %s)",
                incident_rows,
            )
            cursor.execute(
                "SELECT id FROM cases_incident WHERE case_id = %s ORDER BY id DESC LIMIT %s",
                [case.pk, count],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
            cursor.executemany(
                "INSERT INTO cases_incident_places (incident_id, place_id) VALUES (%s, %s)",
                [(pk, t[5]) for pk, t in zip(ids, texts, strict=True)],
            )
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM search_searchentry")
            before = cursor.fetchone()[0]
            cursor.executemany(
                entry_sql,
                [("incident", str(pk), "all", case.pk, t[0], t[1],
                  f"{fold_text(f'{t[0]} {t[1]} {t[2]}')} {scope_token(case.pk, 'all')}",
                  fold_text(t[0]), "", t[2], t[3], t[4], "")
                 for pk, t in zip(ids, texts, strict=True)],
            )
            cursor.execute(
                "SELECT id, record_id FROM search_searchentry WHERE id > %s", [before]
            )
            entry_of = {int(record_id): entry_id for entry_id, record_id in cursor.fetchall()}
            cursor.executemany(
                "INSERT INTO search_searchplace (entry_id, place_id) VALUES (%s, %s)",
                [(entry_of[pk], t[5]) for pk, t in zip(ids, texts, strict=True)],
            )
        done += count
        say(f"incidents {done:,}/{incidents:,} ({time.perf_counter() - started:.0f} s)")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"case": case.slug, "user": owner.get_username(), "items": items,
            "incidents": incidents, "places": len(place_ids),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    """Generate into the database of VESTIGE_DATA_DIR / DATABASE_URL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vestige.settings")
    from vestige.cli.base import setup_django

    setup_django()
    print(generate(args.items, args.incidents, args.seed, on_progress=print), file=sys.stdout)


if __name__ == "__main__":
    main()
