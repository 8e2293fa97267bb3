"""Near-duplicate detection on real texts, images made with Pillow and videos made with ffmpeg."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from vestige.core.errors import ExtractionError
from vestige.core.neardup import (
    FormatError,
    HammingIndex,
    ImageIndex,
    TextIndex,
    VideoIndex,
    compare_videos,
    image_fingerprint,
    video_fingerprint,
)
from vestige.core.neardup.hamming import hamming
from vestige.core.neardup.image import load_image, pdq_distance
from vestige.core.neardup.text import (
    candidate_probability,
    choose_bands,
    folded_words,
    jaccard,
    members,
    shingles,
)

# ---------------------------------------------------------------------------------------------
# Texts

REPORT = """Shelling of Stepanakert reported by Arayik Harutyunyan on 19 September 2023

Artillery fire began shortly after noon and continued into the evening across the northern
districts of the town, where residents sheltered in basements without electricity or water.

A maternity hospital and two schools were damaged; witnesses described at least three impacts
near the central market and said that an ambulance was struck while collecting the wounded.

Local officials counted eleven civilian casualties by nightfall and appealed to international
observers to visit the area, record the damage and interview the families who had lost homes.

Roads towards the Lachin corridor remained closed, and humanitarian convoys carrying flour,
medicine and fuel were turned back at the checkpoint for the fourth consecutive day."""

UNRELATED = [
    """Minutes of the municipal water board: the committee approved the annual maintenance
    budget for the pumping station, discussed tariffs for agricultural users and postponed the
    decision on replacing the filtration membranes until the engineering survey is finished.""",
    """The football club announced a new training ground on the outskirts of the city, with two
    full-size pitches, a gymnasium and dormitories for the youth academy, to be completed before
    the start of next season according to the club's press office.""",
    """Recipe: soak the chickpeas overnight, simmer them with bay leaves for an hour, then blend
    with tahini, lemon juice, garlic and a little of the cooking water until smooth; serve with
    warm bread, olive oil and a pinch of paprika.""",
]


def paraphrase(text: str, every: int, seed: int) -> str:
    """Replace every ``every``-th word with another word, as a light rewording does."""
    rng = random.Random(seed)
    words = text.split(" ")
    substitutes = ["several", "many", "reportedly", "the", "heavy", "nearby", "local", "also"]
    for i in range(rng.randrange(every), len(words), every):
        words[i] = rng.choice(substitutes)
    return " ".join(words)


def body(text: str) -> list[str]:
    return text.split("\n\n")


@pytest.fixture
def text_index() -> TextIndex:
    index = TextIndex()
    index.add("report", REPORT)
    for i, text in enumerate(UNRELATED):
        index.add(f"other-{i}", text)
    return index


def test_paraphrased_text_matches(text_index: TextIndex) -> None:
    edited = paraphrase(REPORT, every=14, seed=3)
    assert edited != REPORT
    matches = text_index.query(edited)
    assert [m.key for m in matches] == ["report"]
    assert 0.5 <= matches[0].score < 1.0
    assert matches[0].algorithm == "minhash-lsh"
    assert matches[0].version.startswith("1/k3/p128/")


def test_reordered_paragraphs_match(text_index: TextIndex) -> None:
    header, *paragraphs = body(REPORT)
    reordered = "\n\n".join([header, *reversed(paragraphs)])
    matches = text_index.query(reordered)
    assert matches[0].key == "report"
    assert matches[0].score > 0.8


@pytest.mark.parametrize(
    "header",
    [
        "Обстрел Степанакерта: сообщает Араик Арутюнян, 19 сентября 2023",
        "Ստեփանակերտի ռմբակոծությունը, Արայիկ Հարությունյան, 19 սեպտեմբերի 2023",
    ],
)
def test_translated_header_matches(text_index: TextIndex, header: str) -> None:
    translated = "\n\n".join([header, *body(REPORT)[1:]])
    matches = text_index.query(translated)
    assert matches and matches[0].key == "report"


def test_transliterated_names_fold_to_the_same_shingles() -> None:
    latin = shingles("Stepanakert Nikol Pashinyan")
    assert np.array_equal(shingles("Степанакерт Никол Пашинян"), latin)
    assert np.array_equal(shingles("Ստեփանակերտ Նիկոլ Փաշինյան"), latin)
    assert folded_words("Əliyev") == folded_words("Aliyev")


def test_unrelated_texts_do_not_match(text_index: TextIndex) -> None:
    assert [m.key for m in text_index.query(UNRELATED[0])] == ["other-0"]  # only itself
    stranger = "Quarterly earnings rose on strong demand for cloud services and new devices."
    assert text_index.query(stranger) == []
    assert text_index.query("") == []


def test_heavy_rewrite_falls_below_threshold(text_index: TextIndex) -> None:
    rewritten = paraphrase(REPORT, every=4, seed=5)
    assert jaccard(shingles(rewritten), shingles(REPORT)) < 0.5
    assert text_index.query(rewritten) == []
    # The relation is still there, only weak: the exhaustive pass sees it at a lower floor.
    assert text_index.exhaustive(rewritten, min_score=0.1)[0].key == "report"


def test_membership_of_millions_of_shingles_matches_numpy() -> None:
    rng = np.random.default_rng(4)
    universe = np.unique(rng.integers(0, 2**32, 300, dtype=np.uint64).astype(np.uint32))
    common = np.repeat(universe[:5], 40_000)  # shingles shared by many texts pass the filter
    values = np.concatenate([rng.integers(0, 2**32, 500_000).astype(np.uint32), common])
    assert np.array_equal(members(values, universe), np.isin(values, universe))


def test_band_choice_reaches_target_recall() -> None:
    bands, rows = choose_bands(128, threshold=0.5, recall=0.97)
    assert bands * rows <= 128
    assert candidate_probability(0.5, bands, rows) >= 0.97
    # One more row per band would miss the target: the choice is the most selective that works.
    assert candidate_probability(0.5, 128 // (rows + 1), rows + 1) < 0.97


def test_lsh_finds_every_pair_the_exhaustive_pass_finds() -> None:
    rng = random.Random(42)
    vocabulary = [f"w{i}" for i in range(3000)]
    originals = [" ".join(rng.choices(vocabulary, k=120)) for _ in range(150)]
    index = TextIndex()
    for i, text in enumerate(originals):
        index.add(f"o{i}", text)
    index.build()  # the originals in the sorted band table, the copies in the unsorted tail
    for i in range(0, 150, 3):  # near-copies at various edit rates
        index.add(f"c{i}", paraphrase(originals[i], every=rng.choice([6, 9, 15, 40]), seed=i))
    total = found = 0
    for i in range(0, 150, 3):
        truth = {m.key for m in index.exhaustive(originals[i])}
        got = {m.key for m in index.query(originals[i], k=100)}
        assert got <= truth  # exact re-check: nothing below the threshold comes back
        total += len(truth)
        found += len(truth & got)
    assert total > 50
    assert found / total >= 0.95
    before = [index.query(originals[i], k=100) for i in range(0, 150, 3)]
    index.build()  # everything in the table now: the same answers
    assert before == [index.query(originals[i], k=100) for i in range(0, 150, 3)]


def test_text_index_round_trips_through_a_file(tmp_path: Path, text_index: TextIndex) -> None:
    path = tmp_path / "texts.npz"
    text_index.save(path)
    loaded = TextIndex.load(path)
    edited = paraphrase(REPORT, every=14, seed=3)
    assert loaded.query(edited) == text_index.query(edited)
    assert len(loaded) == len(text_index)


def test_index_files_refuse_pickles_and_foreign_formats(tmp_path: Path) -> None:
    pickled = tmp_path / "evil.npz"
    np.savez(pickled, header=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(FormatError):
        TextIndex.load(pickled)
    images = tmp_path / "images.npz"
    ImageIndex().save(images)
    with pytest.raises(FormatError, match="expected 'vestige-text-index/1'"):
        TextIndex.load(images)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FormatError):
        ImageIndex.load(tmp_path / "junk.npz")


# ---------------------------------------------------------------------------------------------
# Images


def photo(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A photo-like picture: gradient sky, overlapping shapes, texture, soft focus."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1)) / (w + h) + 0.5
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    pixels = top[None, None] * (1 - ramp[..., None]) + bottom[None, None] * ramp[..., None]
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = (int(v) for v in rng.integers(-40, max(w, h), 2))
        dx, dy = (int(v) for v in rng.integers(20, 140, 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + dx, y + dy], fill=fill)
        else:
            draw.rectangle([x, y, x + dx, y + dy], fill=fill)
    noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, 5, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(1.5)
    )


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def watermark(image: Image.Image) -> Image.Image:
    out = image.copy()
    w, h = out.size
    box = (w - w // 6, h - h // 6, w, h)
    mark = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), (255, 255, 255))
    ImageDraw.Draw(mark).text((4, 4), "@chan", fill=(200, 0, 0))
    out.paste(Image.blend(out.crop(box), mark, 0.45), box[:2])
    return out


def trim(image: Image.Image, share: float) -> Image.Image:
    w, h = image.size
    dx, dy = round(w * share), round(h * share)
    return image.crop((dx, dy, w - dx, h - dy))


@pytest.fixture(scope="module")
def image_index() -> ImageIndex:
    index = ImageIndex()
    for seed in range(1, 9):
        index.add(f"photo-{seed}", image_fingerprint(photo(seed)))
    return index


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda im: jpeg(im, 12), id="jpeg-quality-12"),
        pytest.param(lambda im: im.resize((160, 120)), id="half-size"),
        pytest.param(lambda im: jpeg(im.resize((120, 90)), 30), id="thumbnail-reencoded"),
        pytest.param(lambda im: trim(im, 0.02), id="trim-2-percent"),
        pytest.param(lambda im: watermark(im), id="watermark"),
        pytest.param(lambda im: jpeg(trim(watermark(im), 0.01), 40), id="trim-watermark-jpeg"),
    ],
)
def test_edited_copies_of_an_image_match(image_index: ImageIndex, variant) -> None:  # type: ignore[no-untyped-def]
    copy = variant(photo(3))
    matches = image_index.query(image_fingerprint(copy, dihedral=True))
    assert matches, "the copy was not found"
    best = matches[0]
    assert best.key == "photo-3"
    assert best.distance is not None and best.distance <= 31
    assert best.algorithm == "pdq" and best.version.startswith("pdq-1.0/")
    assert best.details["transform"] == "original"
    assert best.details["phash_distance"] <= 20
    assert all(m.key == "photo-3" for m in matches)


def test_rotated_and_mirrored_copies_match_through_dihedral_hashes(
    image_index: ImageIndex,
) -> None:
    for transpose in (Image.Transpose.ROTATE_90, Image.Transpose.FLIP_LEFT_RIGHT):
        copy = photo(5).transpose(transpose)
        plain = image_index.query(image_fingerprint(copy), dihedral=False)
        assert [m.key for m in plain] != ["photo-5"]
        matches = image_index.query(image_fingerprint(copy, dihedral=True))
        assert matches[0].key == "photo-5"
        assert matches[0].details["transform"] != "original"


def test_unrelated_images_do_not_match(image_index: ImageIndex) -> None:
    for seed in (100, 101, 102, 103):
        assert image_index.query(image_fingerprint(photo(seed), dihedral=True)) == []
    distance = pdq_distance(image_fingerprint(photo(100)), image_fingerprint(photo(101)))
    assert distance > 80


def test_flat_images_are_flagged_as_low_quality() -> None:
    index = ImageIndex()
    assert index.query(image_fingerprint(photo(7))) == []  # empty index
    flat = Image.new("RGB", (200, 150), (90, 90, 90))
    index.add("flat", image_fingerprint(flat))
    index.add("photo", image_fingerprint(photo(7)))
    matches = index.query(image_fingerprint(flat.resize((100, 75))))
    assert [m.key for m in matches] == ["flat"]
    assert matches[0].details["low_quality"] is True
    assert index.query(image_fingerprint(photo(7)))[0].details["low_quality"] is False


def test_exif_orientation_is_applied_before_hashing(tmp_path: Path) -> None:
    upright = photo(7)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # pixels as a phone stores them
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": undoes the counter-clockwise storage
    path = tmp_path / "phone.jpg"
    stored.save(path, "JPEG", quality=90, exif=exif)
    assert load_image(path).size == upright.size
    assert pdq_distance(image_fingerprint(path), image_fingerprint(upright)) <= 31


def test_image_index_round_trips_through_a_file(tmp_path: Path, image_index: ImageIndex) -> None:
    path = tmp_path / "images.npz"
    image_index.save(path)
    loaded = ImageIndex.load(path)
    query = image_fingerprint(jpeg(photo(2), 20))
    assert loaded.query(query) == image_index.query(query)


def random_hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**63, size=(n, 4), dtype=np.int64).view(np.uint64) * np.uint64(
        2
    ) + rng.integers(0, 2, size=(n, 4), dtype=np.int64).view(np.uint64)


def flip_bits(words: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    out = words.copy()
    for bit in rng.choice(256, count, replace=False):
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def test_multi_index_search_finds_exactly_what_brute_force_finds() -> None:
    rng = np.random.default_rng(9)
    base = random_hashes(rng, 3000)
    index = HammingIndex(256, 31)
    index.add_many([f"h{i}" for i in range(3000)], base)
    index.build()
    # Neighbours at every distance up to the limit and just beyond, some added after the build
    # (they live in the brute-force tail until the next rebuild).
    queries = []
    for distance in range(0, 40):
        source = int(rng.integers(0, 3000))
        neighbour = flip_bits(base[source], distance, rng)
        queries.append(neighbour)
        if distance % 5 == 0:
            index.add(f"late{distance}", flip_bits(neighbour, 1, rng))
    queries_array = np.stack(queries)
    q_rows, rows, distances = index.search(queries_array)
    got = set(zip(q_rows.tolist(), rows.tolist(), strict=True))
    everything = index.hashes()
    expected = set()
    for q, query in enumerate(queries_array):
        for row in np.flatnonzero(hamming(everything, query) <= 31).tolist():
            expected.add((q, row))
    assert got == expected
    assert len({q for q, _ in got}) >= 32  # every query within 31 found its source
    assert (distances <= 31).all()
    # A batch larger than one block gives the same pairs as one query at a time.
    many = np.stack([flip_bits(base[i], int(rng.integers(0, 40)), rng) for i in range(600)])
    q_rows, rows, _ = index.search(many)
    one_by_one = {(q, int(r)) for q in range(600) for r in index.search(many[q : q + 1])[1]}
    assert set(zip(q_rows.tolist(), rows.tolist(), strict=True)) == one_by_one
    assert len(one_by_one) > 300
    with pytest.raises(ValueError, match="up to 31"):
        index.search(queries_array, max_distance=40)
    # The single-query path gives the same rows, closest first, with the same distances.
    for q, query in enumerate(queries_array):
        rows_one, distances_one = index.search_one(query)
        assert set(rows_one) == {r for qq, r in got if qq == q}
        assert distances_one == sorted(distances_one)
        assert distances_one == hamming(everything[rows_one], query).tolist()


def test_popcount_of_candidates_is_exact_up_to_all_bits_different() -> None:
    index = HammingIndex(256, 31)
    rng = np.random.default_rng(4)
    base = random_hashes(rng, 200)
    ones = np.full((1, 4), np.iinfo(np.uint64).max, dtype=np.uint64)
    xor = np.concatenate([base, ones, np.zeros((1, 4), dtype=np.uint64)])
    expected = np.array([bin(int(w)).count("1") for w in xor.reshape(-1)]).reshape(-1, 4).sum(1)
    assert index._distances(xor).tolist() == expected.tolist()
    assert expected[-2] == 256 and expected[-1] == 0
    for words in (1, 2, 6, 8):  # other widths take the same or the plain path
        wide = np.concatenate([random_hashes(rng, 50)] * 2, axis=1)[:, :words]
        wide[0] = np.iinfo(np.uint64).max
        want = [sum(bin(int(w)).count("1") for w in row) for row in wide]
        assert HammingIndex(64 * words, 3)._distances(wide).tolist() == want


# ---------------------------------------------------------------------------------------------
# Video

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed: video tests need it"
)


def slideshow(path: Path, seeds: list[int], seconds_each: float = 1.0) -> Path:
    """An H.264 video of Pillow pictures, each shown ``seconds_each``, encoded by ffmpeg."""
    fps = 10
    frames = b"".join(
        np.asarray(photo(seed), dtype=np.uint8).tobytes() * int(fps * seconds_each)
        for seed in seeds
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", "320x240", "-r", str(fps), "-i", "pipe:0", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", str(path)],
        input=frames, check=True,
    )  # fmt: skip
    return path


@needs_ffmpeg
def test_reencoded_video_matches_and_other_video_does_not(tmp_path: Path) -> None:
    original = slideshow(tmp_path / "original.mp4", [11, 12, 13, 14, 15, 16])
    reencoded = tmp_path / "reencoded.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(original), "-vf", "scale=176:132",
         "-c:v", "libx264", "-crf", "36", "-r", "25", str(reencoded)],
        check=True,
    )  # fmt: skip
    other = slideshow(tmp_path / "other.mp4", [21, 22, 23, 24, 25, 26])
    clip = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(original), "-t", "3",
         "-c:v", "libx264", str(clip)],
        check=True,
    )  # fmt: skip

    fingerprint = video_fingerprint(original)
    assert len(fingerprint.hashes) == 6
    assert fingerprint.times == (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
    index = VideoIndex()
    index.add("original", fingerprint)
    index.add("other", video_fingerprint(other))

    matches = index.query(video_fingerprint(reencoded))
    assert [m.key for m in matches] == ["original"]
    assert matches[0].score >= 0.8
    assert matches[0].algorithm == "vpdq-frames"

    clip_matches = index.query(video_fingerprint(clip))
    assert [m.key for m in clip_matches] == ["original"]
    details = clip_matches[0].details
    assert details["query_fraction"] == 1.0  # every frame of the clip is in the original
    assert details["target_fraction"] == pytest.approx(0.5)  # half the original is in the clip

    forward, backward = compare_videos(video_fingerprint(other), fingerprint)
    assert forward < 0.2 and backward < 0.2


@needs_ffmpeg
def test_scene_sampling_takes_one_frame_per_shot(tmp_path: Path) -> None:
    video = slideshow(tmp_path / "shots.mp4", [31, 32, 33, 34], seconds_each=2.0)
    fingerprint = video_fingerprint(video, scene=0.1)
    assert len(fingerprint.hashes) == 4
    assert fingerprint.times == pytest.approx((0.0, 2.0, 4.0, 6.0), abs=0.15)
    assert fingerprint.sampling == "scene>0.1"


@needs_ffmpeg
def test_unreadable_video_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(ExtractionError, match=r"ffmpeg could not read broken\.mp4"):
        video_fingerprint(broken)
