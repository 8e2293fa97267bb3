"""The demo's heritage sites: four real, public monuments with approximate coordinates and
their names in Armenian, Azerbaijani, Russian and English, observed through DRAWINGS that
Vestige makes itself (clearly labelled on the picture: no real imagery is used).

One confirmed worsening (the Ghazanchetsots Cathedral, shelled in October 2020, a widely
reported event) raises an alert; one observation waits for a second reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from PIL import Image, ImageDraw

from ..cases.models import Case
from ..evidence.importing import Importer, display_path
from ..evidence.models import Item
from ..heritage import services
from ..heritage.models import HeritageSite, Observation
from ..heritage.services import NameSpec

REVIEWER = "demo reviewer"
MARK = "DEMO DRAWING - not real imagery"
NOTE = "Demonstration observation made by the demo loader on a drawn picture, not evidence."


@dataclass(frozen=True)
class DemoObservation:
    date: str
    condition: str
    image: str = ""  # file name of a drawing in the demo folder
    confirm: bool = True
    note: str = NOTE


@dataclass(frozen=True)
class DemoSite:
    name: str
    site_type: str
    period: str
    latitude: float
    longitude: float
    names: tuple[NameSpec, ...]
    description: str
    baseline: str = ""
    observations: tuple[DemoObservation, ...] = field(default=())


SITES = (
    DemoSite(
        "Ghazanchetsots Cathedral", "church", "1868–1887", 39.7589, 46.7507,
        (NameSpec("Սուրբ Ամենափրկիչ Ղազանչեցոց մայր տաճար", "hy"),
         NameSpec("Qazançı kilsəsi", "az"), NameSpec("Собор Газанчецоц", "ru"),
         NameSpec("Holy Saviour Cathedral", "en")),
        "Armenian Apostolic cathedral in Shushi/Shusha. Reported hit twice on 8 October 2020.",
        baseline="demo-heritage-ghazanchetsots-before.png",
        observations=(
            DemoObservation("2019", "intact", "demo-heritage-ghazanchetsots-before.png"),
            DemoObservation("2020-10-08", "damaged", "demo-heritage-ghazanchetsots-after.png"),
        ),
    ),
    DemoSite(
        "Yukhari Govhar Agha Mosque", "mosque", "1883–1885", 39.7601, 46.7490,
        (NameSpec("Yuxarı Gövhər ağa məscidi", "az"), NameSpec("Верхняя мечеть Гевхар-аги", "ru"),
         NameSpec("Վերին Գովհար աղա մզկիթ", "hy"), NameSpec("Upper Govhar Agha Mosque", "en")),
        "Mosque in Shusha/Shushi with two minarets; restoration reported after 2020.",
        baseline="demo-heritage-govhar-agha.png",
        observations=(
            DemoObservation("2019", "damaged", "demo-heritage-govhar-agha.png"),
            DemoObservation("2022", "intact", confirm=False,
                            note=NOTE + " Restoration reported; waits for a second reviewer."),
        ),
    ),
    DemoSite(
        "Dadivank Monastery", "monastery", "9th–13th century", 40.1617, 46.2883,
        (NameSpec("Դադիվանք", "hy"), NameSpec("Xudavəng monastırı", "az"),
         NameSpec("Дадиванк", "ru"), NameSpec("Dadivank", "en")),
        "Armenian monastery in the Kalbajar/Karvachar district.",
        observations=(DemoObservation("2020-11", "intact"),),
    ),
    DemoSite(
        "Agdam Juma Mosque", "mosque", "1868–1870", 39.9929, 46.9272,
        (NameSpec("Ağdam Cümə məscidi", "az"), NameSpec("Агдамская Джума-мечеть", "ru"),
         NameSpec("Աղդամի Ջումա մզկիթ", "hy"), NameSpec("Agdam Juma Mosque", "en")),
        "Mosque in Agdam, the town left in ruins after the war of the 1990s.",
        observations=(DemoObservation("2020-11", "damaged"),),
    ),
)


def _sky_and_ground(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    draw.rectangle((0, 0, width, int(height * 0.7)), fill=(170, 200, 230))
    draw.rectangle((0, int(height * 0.7), width, height), fill=(120, 140, 90))


def _mark(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """The label on every drawing, so that nobody mistakes it for a photograph."""
    draw.rectangle((0, height - 28, width, height), fill=(0, 0, 0))
    draw.text((10, height - 22), MARK, fill=(255, 255, 0))


def draw_church(damaged: bool) -> Image.Image:
    """A white stone church with a drum and conical dome; ``damaged`` loses the dome top and
    blackens the roof, as after shelling."""
    width, height = 640, 420
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    _sky_and_ground(draw, width, height)
    stone = (235, 232, 220)
    draw.rectangle((200, 170, 440, 300), fill=stone, outline=(90, 90, 90))
    draw.rectangle((280, 110, 360, 170), fill=stone, outline=(90, 90, 90))
    draw.polygon([(270, 110), (370, 110), (320, 50)], fill=(90, 110, 130))
    draw.rectangle((305, 240, 335, 300), fill=(80, 60, 40))
    for x in (225, 395):
        draw.rectangle((x, 200, x + 20, 235), fill=(60, 70, 90))
    if damaged:
        draw.polygon([(270, 110), (370, 110), (345, 75), (300, 90)], fill=(40, 35, 30))
        draw.rectangle((280, 50, 360, 92), fill=(170, 200, 230))
        draw.ellipse((330, 120, 400, 190), fill=(50, 45, 40))
        draw.rectangle((200, 170, 440, 182), fill=(60, 55, 50))
        for x, y in ((150, 290), (470, 285), (420, 300)):
            draw.ellipse((x, y, x + 40, y + 18), fill=(150, 145, 135))
    _mark(draw, width, height)
    return image


def draw_mosque() -> Image.Image:
    """A mosque with a dome and two minarets."""
    width, height = 640, 420
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    _sky_and_ground(draw, width, height)
    brick = (200, 150, 110)
    draw.rectangle((220, 190, 420, 300), fill=brick, outline=(90, 60, 40))
    draw.pieslice((250, 120, 390, 260), 180, 360, fill=(150, 170, 160))
    for x in (180, 440):
        draw.rectangle((x, 90, x + 22, 300), fill=brick, outline=(90, 60, 40))
        draw.polygon([(x - 4, 90), (x + 26, 90), (x + 11, 60)], fill=(150, 170, 160))
    draw.rectangle((305, 245, 335, 300), fill=(80, 60, 40))
    _mark(draw, width, height)
    return image


# file name: (drawing, what it shows, the date it stands for)
DRAWINGS = {
    "demo-heritage-ghazanchetsots-before.png": (
        lambda: draw_church(False), "the Ghazanchetsots Cathedral before", "2019"),
    "demo-heritage-ghazanchetsots-after.png": (
        lambda: draw_church(True), "the Ghazanchetsots Cathedral after shelling", "2020-10-08"),
    "demo-heritage-govhar-agha.png": (draw_mosque, "the Yukhari Govhar Agha Mosque", "2019"),
}


def write_drawings(folder: Path) -> list[Path]:
    """Write the drawings (same bytes on every run, rewritten only when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (draw, _, _) in DRAWINGS.items():
        path = folder / name
        if not path.exists():
            draw().save(path, format="PNG")
        paths.append(path)
    return paths


def _import(case: Case, folder: Path, actor: str) -> dict[str, Item]:
    """Import the drawings (duplicates are recognised by hash) and label them as drawings."""
    paths = write_drawings(folder)
    summary = Importer(case, actor=actor, note="demonstration material", workers=1).run(paths)
    by_path = {outcome.path: outcome for outcome in summary.outcomes}
    items: dict[str, Item] = {}
    for path in paths:
        outcome = by_path.get(display_path(path))
        if outcome is None or not outcome.ok or not outcome.item_id:
            continue
        item = Item.objects.get(pk=outcome.item_id, case=case)
        _, what, when = DRAWINGS[path.name]
        wanted = {
            "title": f"DEMONSTRATION MATERIAL — drawing of {what}",
            "description": "DEMONSTRATION MATERIAL: a drawing made by Vestige, not a "
                           "photograph or satellite image of the site.",
            "claimed_date": when,
        }
        changed = [name for name, value in wanted.items() if getattr(item, name) != value]
        for name in changed:
            setattr(item, name, wanted[name])
        if changed:
            item.save(update_fields=changed)
        items[path.name] = item
    return items


def load_demo_heritage(case: Case, actor: str, folder: Path, user: Any = None) -> dict[str, int]:
    """Create the demo's heritage sites once; returns what this run made."""
    made = {"sites": 0, "observations": 0, "alerts": 0}
    if HeritageSite.objects.filter(case=case, name=SITES[0].name).exists():
        return made
    items = _import(case, folder, actor)
    with transaction.atomic():
        for spec in SITES:
            if HeritageSite.objects.filter(case=case, name=spec.name).exists():
                continue
            baseline = [items[spec.baseline].pk] if spec.baseline in items else []
            site = services.create_site(
                case, spec.name, site_type=spec.site_type, period=spec.period,
                description=spec.description, latitude=spec.latitude,
                longitude=spec.longitude, names=spec.names, item_ids=baseline, user=user,
                label=actor,
            )
            made["sites"] += 1
            for seen in spec.observations:
                evidence = [items[seen.image].pk] if seen.image in items else []
                observation: Observation = services.propose_observation(
                    site, date=seen.date, condition=seen.condition, item_ids=evidence,
                    note=seen.note, user=user, label=actor,
                )
                made["observations"] += 1
                if seen.confirm:
                    alert = services.confirm(observation, None, label=REVIEWER,
                                             note="Demo: confirmed by a second reviewer.")
                    made["alerts"] += alert is not None
    return made
