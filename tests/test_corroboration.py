"""Near-duplicate suggestions and judgements, independent sources, contradicting counts."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from PIL import Image, ImageDraw, ImageFilter

from vestige.cases.graph import Claim, Incident, IncidentCount
from vestige.cases.services import set_member
from vestige.core.errors import PermissionDenied, UserError
from vestige.corroboration.contradictions import contradictions, stated_values
from vestige.corroboration.fingerprints import WARNING_PREFIX, compute_fingerprints
from vestige.corroboration.independence import (
    independent_sources,
    source_group,
    summary,
    url_publisher,
)
from vestige.corroboration.models import (
    ItemFingerprint,
    ItemRelation,
    NearDuplicateSuggestion,
    SuggestionStatus,
)
from vestige.corroboration.suggestions import judge, link_items, search_pending
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.verification.models import ProvenanceFinding

from .conftest import vestige

pytestmark = pytest.mark.django_db

REPORT = (
    "On the morning of 19 September 2023 artillery shells struck the residential quarter of "
    "Stepanakert near the central market. Witnesses said at least five civilians were killed "
    "and dozens were wounded while they queued for bread. The shelling lasted for about two "
    "hours and damaged the school, the maternity hospital and several apartment blocks on "
    "Azatamartikneri Avenue, according to the local emergency service."
)
# The same report republished with a new headline and a few words changed.
REPUBLISHED = (
    "BREAKING: On the morning of 19 September 2023 artillery shells struck the residential "
    "quarter of Stepanakert near the central market. Witnesses said at least five civilians "
    "were killed and dozens were wounded while they queued for bread. The shelling lasted for "
    "about two hours and damaged the school, the maternity hospital and several apartment "
    "blocks on Azatamartikneri Avenue, the emergency service said."
)
UNRELATED = (
    "The ministry published new rules for the registration of agricultural cooperatives in the "
    "northern districts. Farmers must submit land titles, a list of members and an audited "
    "balance sheet before the end of the financial year to qualify for subsidies."
)


def scene(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A photograph-like picture: a gradient sky, a few large soft-edged shapes."""
    rng = np.random.default_rng(seed)
    w, h = size
    gradient = np.linspace(0, 255, w, dtype=np.float64)[None, :].repeat(h, axis=0)
    base = np.stack([gradient, gradient[::-1, ::-1] * 0.6, np.full((h, w), 90.0)], axis=2)
    image = Image.fromarray(base.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x0, y0 = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 60))
        x1, y1 = x0 + int(rng.integers(60, 220)), y0 + int(rng.integers(50, 180))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(2))


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo_files() -> dict[str, bytes]:
    original = scene(2)
    w, h = original.size
    # A thin crop of the edges, made smaller and re-encoded as a lower-quality JPEG: a re-post.
    repost = original.crop((4, 4, w - 4, h - 4)).resize((400, 300))
    return {
        "original.png": encoded(original, "PNG"),
        "repost.jpg": encoded(repost, "JPEG", quality=60),
        "other.png": encoded(scene(3), "PNG"),
    }


def imported(case: Any, make_files: Any, files: dict[str, bytes]) -> dict[str, Item]:
    Importer(case, actor="tester", workers=1).run([make_files(files)])
    return {i.source_name or i.title: i for i in Item.objects.filter(case=case)}


def by_name(case: Any, name: str) -> Item:
    for item in Item.objects.filter(case=case):
        if name in (item.source_name, item.title) or item.source_path.endswith(name):
            return item
    raise AssertionError(f"no item {name}")


def pair(case: Any, first: str, second: str) -> NearDuplicateSuggestion | None:
    a, b = by_name(case, first), by_name(case, second)
    low, high = sorted([a, b], key=lambda i: str(i.pk))
    return NearDuplicateSuggestion.objects.filter(item_a=low, item_b=high).first()


@pytest.fixture
def people(case: Any, django_user_model: Any) -> dict[str, Any]:
    users = {}
    for name, role in (("rita", "reviewer"), ("vera", "viewer"), ("ivan", "investigator")):
        users[name] = django_user_model.objects.create_user(name, password="correct-horse-9")
        set_member(case.slug, name, role)
    return users


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- images and text


def test_image_crop_and_reencode_is_suggested_unrelated_is_not(case: Any, make_files: Any) -> None:
    imported(case, make_files, photo_files())
    original, repost, other = (
        by_name(case, n) for n in ("original.png", "repost.jpg", "other.png")
    )
    for item in (original, repost, other):
        algorithms = set(
            ItemFingerprint.objects.filter(item=item).values_list("algorithm", flat=True)
        )
        assert algorithms == {"pdq", "phash"}, item.title  # made at import
    found = pair(case, "original.png", "repost.jpg")
    assert found is not None and found.algorithm == "pdq"
    assert found.status == SuggestionStatus.PENDING
    assert found.distance is not None and found.distance <= 31
    assert 0.85 < found.score <= 1.0
    assert "phash_distance" in found.details
    assert pair(case, "original.png", "other.png") is None
    assert pair(case, "repost.jpg", "other.png") is None


def test_near_copy_of_a_text_is_suggested(case: Any, make_files: Any) -> None:
    imported(
        case,
        make_files,
        {
            "report.txt": REPORT.encode(),
            "republished.txt": REPUBLISHED.encode(),
            "rules.txt": UNRELATED.encode(),
        },
    )
    found = pair(case, "report.txt", "republished.txt")
    assert found is not None and found.algorithm == "minhash"
    assert 0.6 < found.score < 1.0 and found.distance is None
    assert pair(case, "report.txt", "rules.txt") is None


def slideshow(path: Path, seeds: list[int]) -> bytes:
    """An H.264 video of one picture a second, encoded by ffmpeg; its bytes."""
    frames = b"".join(np.asarray(scene(seed).resize((320, 240))).tobytes() * 10 for seed in seeds)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", "320x240", "-r", "10", "-i", "pipe:0", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", str(path)],
        input=frames, check=True,
    )  # fmt: skip
    return path.read_bytes()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="video fingerprints need ffmpeg")
def test_reencoded_video_is_suggested(case: Any, make_files: Any, tmp_path: Path) -> None:
    original = tmp_path / "original.mp4"
    slideshow(original, [31, 32, 33, 34])
    smaller = tmp_path / "smaller.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(original), "-vf", "scale=176:132",
         "-c:v", "libx264", "-crf", "34", str(smaller)],
        check=True,
    )  # fmt: skip
    imported(
        case,
        make_files,
        {
            "original.mp4": original.read_bytes(),
            "smaller.mp4": smaller.read_bytes(),
            "other.mp4": slideshow(tmp_path / "o.mp4", [41, 42, 43, 44]),
        },
    )
    row = ItemFingerprint.objects.get(item=by_name(case, "original.mp4"), algorithm="vpdq")
    assert row.details["times"] == [0.0, 1.0, 2.0, 3.0] and row.source == "frames"
    found = pair(case, "original.mp4", "smaller.mp4")
    assert found is not None and found.algorithm == "vpdq" and found.score >= 0.8
    assert found.details["query_fraction"] >= 0.8
    assert pair(case, "original.mp4", "other.mp4") is None


def test_unreadable_image_is_a_warning_not_silence(case: Any, make_files: Any) -> None:
    # A JPEG cut off after its headers: sniffed as an image, but no pixels can be decoded.
    truncated = encoded(scene(4), "JPEG", quality=90)[:400]
    imported(case, make_files, {"broken.jpg": truncated})
    item = by_name(case, "broken.jpg")
    warnings = [w for w in item.warnings if str(w).startswith(WARNING_PREFIX)]
    if not item.media_type.startswith("image/"):
        pytest.skip(f"sniffed as {item.media_type}")
    assert warnings and "pdq" in warnings[0]
    assert not ItemFingerprint.objects.filter(item=item, algorithm="pdq").exists()


# --------------------------------------------------------------------------- judgements


def test_judgements_are_kept_and_respected(
    case: Any, make_files: Any, people: dict[str, Any], user: Any
) -> None:
    imported(
        case,
        make_files,
        {"report.txt": REPORT.encode(), "republished.txt": REPUBLISHED.encode(), **photo_files()},
    )
    texts = pair(case, "report.txt", "republished.txt")
    photos = pair(case, "original.png", "repost.jpg")
    assert texts is not None and photos is not None
    with pytest.raises(PermissionDenied):
        judge(texts, people["vera"], "different")
    with pytest.raises(UserError):
        judge(texts, people["rita"], "maybe")
    judge(texts, people["rita"], "different", "same event, two separate reporters")
    judge(photos, people["rita"], "same")
    # Searching the whole case again finds both pairs again, but judged pairs stay judged.
    ItemFingerprint.objects.filter(case=case).update(searched_at=None)
    search_pending(case.pk, everything=True)
    texts.refresh_from_db()
    photos.refresh_from_db()
    assert texts.status == "different" and photos.status == "same"
    assert NearDuplicateSuggestion.objects.filter(case=case).count() == 2
    assert [j.note for j in texts.judgements.all()] == ["same event, two separate reporters"]
    # "Same" joins the items into one source; judging again keeps the history and undoes it.
    assert ItemRelation.objects.filter(
        item_a=photos.item_a, item_b=photos.item_b, relation="near_duplicate"
    ).exists()
    group = source_group(by_name(case, "repost.jpg"))
    assert {i.pk for i in group.items} == {photos.item_a_id, photos.item_b_id}
    assert any("judged the same by rita" in r for r in group.reasons)
    judge(photos, people["rita"], "unsure")
    assert not ItemRelation.objects.filter(item_a=photos.item_a, item_b=photos.item_b).exists()
    assert [j.verdict for j in photos.judgements.all()] == ["same", "unsure"]


def test_earliest_copy_finding_counts_items_judged_same(
    case: Any, make_files: Any, people: dict[str, Any]
) -> None:
    imported(case, make_files, photo_files())
    photos = pair(case, "original.png", "repost.jpg")
    assert photos is not None
    original, repost = by_name(case, "original.png"), by_name(case, "repost.jpg")
    assert not ProvenanceFinding.objects.filter(item=repost, kind="earliest_copy").exists()
    judge(photos, people["rita"], "same")
    finding = ProvenanceFinding.objects.get(item=repost, kind="earliest_copy")
    assert set(finding.details["judged_same"]) == {str(original.pk)}
    assert {c["item"] for c in finding.details["copies"]} == {str(original.pk), str(repost.pk)}
    judge(photos, people["rita"], "different")
    assert not ProvenanceFinding.objects.filter(item=repost, kind="earliest_copy").exists()


# --------------------------------------------------------------------------- independence


def test_url_publisher() -> None:
    assert url_publisher("https://www.azatutyun.am/a/32599999.html") == "azatutyun.am"
    assert url_publisher("https://t.me/s/nkrInfoCenter/1234") == "t.me/nkrinfocenter"
    assert url_publisher("https://twitter.com/someone/status/1") == "twitter.com/someone"
    assert url_publisher("https://www.youtube.com/watch?v=abc") == ""
    assert url_publisher("https://web.archive.org/web/2023/https://example.org/") == ""


def test_independent_sources(case: Any, make_files: Any, people: dict[str, Any], user: Any) -> None:
    imported(case, make_files, {**photo_files(), "report.txt": REPORT.encode()})
    original, repost = by_name(case, "original.png"), by_name(case, "repost.jpg")
    other, report = by_name(case, "other.png"), by_name(case, "report.txt")
    # Two copies of one photo: the re-post (judged the same) and an exact copy of the bytes.
    suggestion = pair(case, "original.png", "repost.jpg")
    assert suggestion is not None
    judge(suggestion, people["rita"], "same")
    exact = Item.objects.create(
        case=case,
        kind=original.kind,
        title="original (received again)",
        sha256=original.sha256,
        size=original.size,
        media_type=original.media_type,
        captured_at=original.captured_at,
        captured_by_label="tester",
    )
    # One more item from the uploader of the re-post; one item from nobody related.
    Item.objects.filter(pk=repost.pk).update(source_uploader="@KarabakhWitness")
    Item.objects.filter(pk=other.pk).update(source_uploader="karabakhwitness")
    claims = [
        Claim.objects.create(case=case, item=i, text=f"shelling seen in {i.title}")
        for i in (original, repost, exact, other, report)
    ]
    groups = independent_sources(claims)
    assert len(groups) == 2
    assert summary(groups) == "2 independent sources (5 items)"
    big, alone = groups
    assert {i.pk for i in big.items} == {original.pk, repost.pk, exact.pk, other.pk}
    assert [i.pk for i in alone.items] == [report.pk] and alone.reasons == []
    assert len(big.claims) == 4
    reasons = " | ".join(big.reasons)
    assert "exact copies (same SHA-256)" in reasons
    assert "judged the same by rita" in reasons
    assert "same uploader" in reasons
    assert big.label.lower().lstrip("@") == "karabakhwitness"
    # Linking the report by hand as a translation of the photo's caption joins it too.
    link_items(case, user, report, original, "translation", "Armenian original")
    assert summary(independent_sources(claims)) == "1 independent source (5 items)"


# --------------------------------------------------------------------------- contradictions


def _count_claim(case: Any, item: Item, incident: Incident, best: int, **extra: Any) -> Claim:
    claim = Claim.objects.create(
        case=case,
        item=item,
        text=f"{best} people were killed",
        content={
            "quantities": [
                {
                    "text": str(best),
                    "best": best,
                    "low": None,
                    "high": None,
                    "category": "killed",
                    "unit": "people",
                }
            ]
        },
        **extra,
    )
    claim.incidents.add(incident)
    return claim


def test_contradicting_death_counts_become_a_range(case: Any, make_files: Any) -> None:
    imported(
        case,
        make_files,
        {"report.txt": REPORT.encode(), "rules.txt": UNRELATED.encode(), **photo_files()},
    )
    report, rules = by_name(case, "report.txt"), by_name(case, "rules.txt")
    original = by_name(case, "original.png")
    incident = Incident.objects.create(case=case, title="Shelling of the market")
    IncidentCount.objects.create(incident=incident, category="killed", low=5, best=7, high=12)
    five = _count_claim(case, report, incident, 5)
    twelve = _count_claim(case, rules, incident, 12)
    twelve_again = _count_claim(case, original, incident, 12)
    _count_claim(case, original, incident, 300, status="rejected")
    injured = Claim.objects.create(
        case=case,
        item=report,
        text="dozens were wounded",
        content={"quantities": [{"low": 24, "high": 36, "category": "injured"}]},
    )
    injured.incidents.add(incident)
    (killed,) = contradictions(incident)
    assert killed.name == "killed" and killed.disputed
    assert (killed.minimum, killed.maximum, killed.display) == (5, 12, "5–12")
    assert killed.recorded is not None and killed.recorded.best == 7
    low, high = killed.values
    assert (
        low.display == "5"
        and low.claims == [five]
        and low.sources == ("1 independent source (1 item)")
    )
    assert set(high.claims) == {twelve, twelve_again}
    assert high.sources == "2 independent sources (2 items)"
    everything = {p.name: p for p in stated_values(incident)}
    assert not everything["injured"].disputed and everything["injured"].display == "24–36"


# --------------------------------------------------------------------------- web and CLI


def test_web_queue_judging_and_permissions(
    case: Any, make_files: Any, user: Any, outsider: Any, people: dict[str, Any]
) -> None:
    imported(case, make_files, photo_files())
    suggestion = pair(case, "original.png", "repost.jpg")
    assert suggestion is not None
    url = f"/cases/{case.slug}/near-duplicates/"
    judge_url = f"{url}{suggestion.pk}/judge"
    assert _client(outsider).get(url).status_code == 404
    assert _client(outsider).post(judge_url, {"verdict": "same"}).status_code == 404
    page = _client(people["vera"]).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-suggestion="{suggestion.pk}"' in html and "PDQ (image)" in html
    assert "judge-form" not in html  # a viewer may look, not judge
    assert _client(people["vera"]).post(judge_url, {"verdict": "same"}).status_code == 403
    assert _client(people["vera"]).post(f"{url}search").status_code == 403
    response = _client(people["rita"]).post(judge_url, {"verdict": "different", "note": "no"})
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == "different"
    pending = _client(people["rita"]).get(url).content.decode()
    assert f'data-suggestion="{suggestion.pk}"' not in pending
    judged = _client(people["rita"]).get(url + "?status=different").content.decode()
    assert f'data-suggestion="{suggestion.pk}"' in judged and "rita" in judged
    assert 'Different <span class="count">1</span>' in judged
    assert 'Awaiting judgement <span class="count">0</span>' in judged
    # Search button (EDIT) runs without error and changes no judgement.
    assert _client(user).post(f"{url}search").status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == "different"


def test_item_page_panel_and_links(
    case: Any, make_files: Any, user: Any, people: dict[str, Any]
) -> None:
    imported(case, make_files, {"report.txt": REPORT.encode(), "rules.txt": UNRELATED.encode()})
    report, rules = by_name(case, "report.txt"), by_name(case, "rules.txt")
    item_url = f"/cases/{case.slug}/items/{report.pk}/"
    html = _client(user).get(item_url).content.decode()
    assert "Near-duplicates and source" in html and "An independent source" in html
    link_url = f"/cases/{case.slug}/items/{report.pk}/links"
    form = {"other": str(rules.pk), "relation": "translation", "note": "Russian version"}
    assert _client(people["rita"]).post(link_url, form).status_code == 403  # needs EDIT
    assert _client(user).post(link_url, form).status_code == 302
    link = ItemRelation.objects.get(case=case)
    assert link.relation == "translation" and link.created_by_label
    html = _client(user).get(item_url).content.decode()
    assert "Counts as <strong>one source</strong>" in html and "Russian version" in html
    unlink = f"/cases/{case.slug}/links/{link.pk}/remove"
    assert _client(people["rita"]).post(unlink).status_code == 403
    assert _client(user).post(unlink).status_code == 302
    assert not ItemRelation.objects.filter(case=case).exists()


def test_incident_page_shows_sources_and_range(
    case: Any, make_files: Any, user: Any, outsider: Any
) -> None:
    imported(case, make_files, {"report.txt": REPORT.encode(), "rules.txt": UNRELATED.encode()})
    incident = Incident.objects.create(case=case, title="Shelling of the market")
    _count_claim(case, by_name(case, "report.txt"), incident, 5)
    _count_claim(case, by_name(case, "rules.txt"), incident, 12)
    url = f"/cases/{case.slug}/incidents/{incident.pk}/"
    assert _client(outsider).get(url).status_code == 404
    html = _client(user).get(url).content.decode()
    assert "2 independent sources (2 items)" in html
    assert 'data-property="killed"' in html and "5–12" in html and "claims differ" in html


def test_cli_near_duplicates(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in {
        **photo_files(),
        "report.txt": REPORT.encode(),
        "republished.txt": REPUBLISHED.encode(),
    }.items():
        (folder / name).write_bytes(data)
    vestige(["case", "create", "c1", "--title", "One"], cli_env, check=True)
    vestige(["import", str(folder), "--case", "c1"], cli_env, check=True)
    result = json.loads(vestige(["near-duplicates", "c1", "--json"], cli_env, check=True).stdout)
    assert result["fingerprints_made"] == 0  # all made at import
    pairs = {
        (s["algorithm"], frozenset((s["title_a"], s["title_b"]))) for s in result["suggestions"]
    }
    assert len(pairs) == 2
    assert {a for a, _ in pairs} == {"pdq", "minhash"}
    rebuilt = json.loads(
        vestige(["near-duplicates", "c1", "--rebuild", "--json"], cli_env, check=True).stdout
    )
    assert rebuilt["fingerprints_made"] == 8  # 3 images × (PDQ + pHash) + 2 texts
    assert len(rebuilt["suggestions"]) == 2
    text = vestige(["near-duplicates", "c1"], cli_env, check=True).stdout
    assert "pending" in text and "0 fingerprints made" in text
    assert vestige(["near-duplicates", "nope"], cli_env).returncode != 0


def test_compute_fingerprints_is_idempotent(case: Any, make_files: Any) -> None:
    imported(case, make_files, {"report.txt": REPORT.encode()})
    report = by_name(case, "report.txt")
    assert compute_fingerprints(report) == []
    again = compute_fingerprints(report, replace=True)
    assert [f.algorithm for f in again] == ["minhash"]
    assert ItemFingerprint.objects.filter(item=report).count() == 1
