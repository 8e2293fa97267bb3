"""Generate the near-duplicate benchmark corpus: texts and small images with planted near-copies.

Run alone with ``.venv/bin/python benchmarks/gen_neardup_data.py --n 10000``; ``bench_neardup.py``
calls :func:`ensure` and reuses the cache under ``benchmarks/results/tmp/neardup-<n>-<seed>-v<V>/``.

Texts: a header (an event in one of the region's places, an actor's name, a date) and 3–5
paragraphs of 25–45 words drawn from a Zipf-distributed vocabulary of 30,000 made-up words, so
unrelated texts share common words but almost never three in a row. Images: 96×96 pixels drawn
procedurally (a two-colour gradient, 3–7 filled shapes, sometimes a word, sensor-like noise,
a slight blur), stored as JPEG.

A tenth of each kind are *planted near-copies* of an earlier item, with one to three transforms:

- texts: ``paraphrase`` (about 5% of words replaced, dropped or inserted), ``reorder`` (the
  paragraphs shuffled), ``translated_header`` (the header in Russian or Armenian, the place and
  actor written in that script), ``truncate`` (the last paragraph dropped);
- images: ``reencode`` (JPEG quality 15–35), ``resize`` (to 48–80 px), ``trim`` (1–3% cut from
  one to four sides), ``overlay`` (a caption bar or a logo box over up to a tenth of the image).

Files: ``texts.jsonl`` (one {"key", "text"} per line), ``images.npz`` (keys, the JPEG bytes
end to end, offsets), ``planted.json`` (copy key, original key, transforms), and
``generation.json`` (how long generating took).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).parent))
from gen_search_data import ACTORS, PLACES

GENERATOR_VERSION = 2
TMP = Path(__file__).resolve().parent / "results" / "tmp"
COPY_SHARE = 0.1
IMAGE_SIZE = 96
VOCABULARY = 30_000
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["ar", "en", "ol", "is", "um"]
TEXT_TRANSFORMS = ("paraphrase", "reorder", "translated_header", "truncate")
IMAGE_TRANSFORMS = ("reencode", "resize", "trim", "overlay")
# (English, Russian, Armenian) header templates.
HEADERS = [
    ("Shelling of {place} reported by {actor}", "Обстрел {place}: сообщает {actor}",
     "Ռմբակոծություն {place} հաղորդում է {actor}"),
    ("Checkpoint near {place} closed, statement by {actor}", "Блокпост у {place} закрыт, "
     "заявление {actor}", "Անցակետը {place} մոտ փակվել է {actor}"),
    ("Evacuation from {place}: testimony naming {actor}", "Эвакуация из {place}: показания "
     "о {actor}", "Տարհանում {place} վկայություն {actor}"),
]  # fmt: skip


def data_dir(n: int, seed: int) -> Path:
    return TMP / f"neardup-{n}-{seed}-v{GENERATOR_VERSION}"


def _vocabulary(seed: int) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)  # Zipf ranks must not follow the alphabet
    return ordered


def _zipf_weights(n: int) -> list[float]:
    return [1.0 / (rank + 1) ** 1.05 for rank in range(n)]


def _spelling(names: list[str], script: str) -> str:
    """The spelling of a name in Cyrillic or Armenian script, or the first if none."""
    low, high = (0x0400, 0x04FF) if script == "ru" else (0x0530, 0x058F)
    for name in names:
        if any(low <= ord(c) <= high for c in name):
            return name
    return names[0]


class TextMaker:
    """Texts and their near-copies, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.words = _vocabulary(seed)
        self.cum = list(np.cumsum(_zipf_weights(len(self.words))))

    def body(self, rng: random.Random) -> list[str]:
        paragraphs = []
        for _ in range(rng.randint(3, 5)):
            count = rng.randint(25, 45)
            paragraphs.append(" ".join(rng.choices(self.words, cum_weights=self.cum, k=count)))
        return paragraphs

    def make(self, rng: random.Random) -> dict[str, Any]:
        place = rng.choice(PLACES)
        actor = rng.choice(ACTORS)
        return {
            "header": rng.randrange(len(HEADERS)),
            "place": [place[0], *place[1]],
            "actor": actor,
            "date": f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "paragraphs": self.body(rng),
            "lang": "en",
        }

    @staticmethod
    def render(doc: dict[str, Any]) -> str:
        lang = doc["lang"]
        template = HEADERS[doc["header"]][{"en": 0, "ru": 1, "hy": 2}[lang]]
        if lang == "en":
            place, actor = doc["place"][0], doc["actor"][0]
        else:
            place, actor = _spelling(doc["place"], lang), _spelling(doc["actor"], lang)
        header = template.format(place=place, actor=actor) + f" ({doc['date']})"
        return "\n\n".join([header, *doc["paragraphs"]])

    def transform(self, doc: dict[str, Any], name: str, rng: random.Random) -> None:
        if name == "paraphrase":
            new = []
            for paragraph in doc["paragraphs"]:
                out = []
                for word in paragraph.split():
                    roll = rng.random()
                    if roll < 0.03:
                        out.append(rng.choice(self.words))
                    elif roll < 0.04:
                        continue
                    elif roll < 0.05:
                        out.extend([word, rng.choice(self.words)])
                    else:
                        out.append(word)
                new.append(" ".join(out))
            doc["paragraphs"] = new
        elif name == "reorder":
            rng.shuffle(doc["paragraphs"])
        elif name == "translated_header":
            doc["lang"] = rng.choice(["ru", "hy"])
        elif name == "truncate" and len(doc["paragraphs"]) > 3:
            doc["paragraphs"] = doc["paragraphs"][:-1]


def _plan(n: int, seed: int, transforms: tuple[str, ...]) -> list[tuple[int, int, list[str]]]:
    """(item, original or -1, transforms) for every item: a tenth are copies of earlier items."""
    rng = random.Random(seed)
    plan: list[tuple[int, int, list[str]]] = []
    for i in range(n):
        if i > 100 and rng.random() < COPY_SHARE:
            origin = rng.randrange(i)
            while plan[origin][1] != -1:  # copy an original, not a copy
                origin = rng.randrange(i)
            chosen = rng.sample(transforms, rng.randint(1, 3))
            plan.append((i, origin, sorted(chosen)))
        else:
            plan.append((i, -1, []))
    return plan


def generate_texts(n: int, seed: int, out: Path) -> list[dict[str, Any]]:
    maker = TextMaker(seed)
    plan = _plan(n, seed + 1, TEXT_TRANSFORMS)
    planted = []
    with open(out / "texts.jsonl.tmp", "w", encoding="utf-8") as handle:
        for i, origin, transforms in plan:
            source = origin if origin >= 0 else i
            doc = maker.make(random.Random(seed * 1_000_003 + source))
            rng = random.Random(seed * 7_000_001 + i)
            for name in transforms:
                maker.transform(doc, name, rng)
            handle.write(json.dumps({"key": f"t{i}", "text": maker.render(doc)}) + "\n")
            if origin >= 0:
                planted.append(
                    {"copy": f"t{i}", "original": f"t{origin}", "transforms": transforms}
                )
    os.replace(out / "texts.jsonl.tmp", out / "texts.jsonl")
    return planted


def draw_image(rng: np.random.Generator) -> Image.Image:
    """A small procedural picture: gradient, shapes, maybe a word, noise, slight blur."""
    size = IMAGE_SIZE
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx + np.sin(angle) * yy
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    base = c0[None, None, :] * (1 - ramp[..., None]) + c1[None, None, :] * ramp[..., None]
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(5, 12))):
        x0, y0 = (int(v) for v in rng.integers(-10, size, 2))
        w, h = (int(v) for v in rng.integers(12, size // 2 + 20, 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 4))
        if shape == 0:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=fill)
        elif shape == 1:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=fill)
        elif shape == 2:
            points = [tuple(int(v) for v in rng.integers(0, size, 2)) for _ in range(3)]
            draw.polygon(points, fill=fill)
        else:
            draw.line([x0, y0, x0 + w, y0 + h], fill=fill, width=int(rng.integers(2, 8)))
    if rng.random() < 0.4:
        word = "".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(3, 8))))
        draw.text((int(rng.integers(0, size // 2)), int(rng.integers(0, size - 12))), word,
                  fill=tuple(int(v) for v in rng.integers(0, 256, 3)),
                  font=ImageFont.load_default())  # fmt: skip
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 6, (size, size, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def transform_image(image: Image.Image, name: str, rng: np.random.Generator) -> Image.Image:
    size = image.size[0]
    if name == "reencode":
        quality = int(rng.integers(15, 36))
        return Image.open(io.BytesIO(_jpeg(image, quality))).convert("RGB")
    if name == "resize":
        side = int(rng.integers(48, 81))
        return image.resize((side, side), Image.Resampling.BILINEAR)
    if name == "trim":
        w, h = image.size
        cuts = [round(rng.uniform(0.005, 0.02) * s) if rng.random() < 0.6 else 0
                for s in (w, h, w, h)]  # fmt: skip
        if not any(cuts):
            cuts[int(rng.integers(0, 4))] = max(1, round(0.015 * w))
        return image.crop((cuts[0], cuts[1], w - cuts[2], h - cuts[3]))
    if name == "overlay":
        out = image.copy()
        draw = ImageDraw.Draw(out)
        w, h = out.size
        if rng.random() < 0.5:  # caption bar along the bottom
            bar = max(3, int(h * rng.uniform(0.03, 0.06)))
            draw.rectangle([0, h - bar, w, h], fill=(0, 0, 0))
            draw.text((2, h - bar), "@channel", fill=(255, 255, 255), font=ImageFont.load_default())
        else:  # a semi-transparent watermark box in a corner
            box = max(4, int(size * rng.uniform(0.12, 0.2)))
            x0 = 0 if rng.random() < 0.5 else w - box
            y0 = 0 if rng.random() < 0.5 else h - box
            mark = Image.new("RGB", (box, box), (255, 255, 255))
            ImageDraw.Draw(mark).text((1, box // 3), "TV", fill=(200, 0, 0))
            region = out.crop((x0, y0, x0 + box, y0 + box))
            out.paste(Image.blend(region, mark, float(rng.uniform(0.3, 0.5))), (x0, y0))
        return out
    raise ValueError(name)


def _image_chunk(args: tuple[int, list[tuple[int, int, list[str]]]]) -> list[bytes]:
    seed, rows = args
    blobs = []
    for i, origin, transforms in rows:
        source = origin if origin >= 0 else i
        image = draw_image(np.random.default_rng([seed, source]))
        rng = np.random.default_rng([seed, i, 1])
        for name in transforms:
            image = transform_image(image, name, rng)
        # Originals as a camera would save them; a re-encode already chose its quality.
        blobs.append(_jpeg(image, 92 if "reencode" not in transforms else 95))
    return blobs


def generate_images(n: int, seed: int, out: Path, workers: int) -> list[dict[str, Any]]:
    plan = _plan(n, seed + 2, IMAGE_TRANSFORMS)
    chunks = [(seed, plan[i : i + 1000]) for i in range(0, n, 1000)]
    blobs: list[bytes] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(_image_chunk, chunks):
            blobs.extend(part)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    keys = np.array([f"i{i}" for i in range(n)], dtype=str)
    with open(out / "images.npz.tmp", "wb") as handle:
        np.savez(handle, keys=keys, data=data, offsets=offsets)
    os.replace(out / "images.npz.tmp", out / "images.npz")
    return [
        {"copy": f"i{i}", "original": f"i{origin}", "transforms": transforms}
        for i, origin, transforms in plan
        if origin >= 0
    ]


def ensure(n: int, seed: int = 7, workers: int = 2) -> tuple[Path, float]:
    """The data folder for (n, seed), generated if missing; and the seconds spent generating."""
    out = data_dir(n, seed)
    if (out / "planted.json").exists():
        return out, 0.0
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    planted = {
        "texts": generate_texts(n, seed, out),
        "images": generate_images(n, seed, out, workers),
    }
    seconds = time.perf_counter() - started
    (out / "generation.json").write_text(json.dumps({"seconds": round(seconds, 1), "n": n}))
    (out / "planted.json").write_text(json.dumps(planted))
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="items of each kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    out, seconds = ensure(args.n, args.seed, args.workers)
    print(f"{out} ({f'generated in {seconds:.0f} s' if seconds else 'cached'})")


if __name__ == "__main__":
    main()
