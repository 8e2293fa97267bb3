"""Export bundles check with standard tools alone (`sha256sum -c`, `openssl`) and with
`vestige verify-bundle`; a changed byte anywhere is caught."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import vestige
from .test_import import jpeg_with_gps


@pytest.fixture
def bundle(cli_env: dict[str, str], tmp_path: Path) -> Path:
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "photo.jpg").write_bytes(jpeg_with_gps())
    (source / "sub" / "Степанакерт statement.txt").write_text("Դեկտեմբեր 2022\n")
    (source / "sub" / "notes with spaces.txt").write_text("notes\n")
    vestige(["init"], cli_env, check=True)
    vestige(["case", "create", "bundle", "--title", "Bundle test"], cli_env, check=True)
    vestige(["import", str(source), "--case", "bundle"], cli_env, check=True)
    out = tmp_path / "bundle.zip"
    result = vestige(["export", "bundle", "--out", str(out)], cli_env, check=True)
    assert "3 items" in result.stdout
    return out


def _extract(bundle: Path, target: Path) -> Path:
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-q", str(bundle), "-d", str(target)], check=True)
    else:
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(target)
    return target


def _openssl_verify(folder: Path) -> subprocess.CompletedProcess[str]:
    """The README's signature check, run in an unpacked bundle."""
    return subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "public-key.pem",
            "-rawin",
            "-in",
            "manifest.json",
            "-sigfile",
            "manifest.json.sig",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
    )


def test_bundle_checks_with_sha256sum_and_openssl(bundle: Path, tmp_path: Path) -> None:
    folder = _extract(bundle, tmp_path / "unpacked")
    # Exactly the commands the README shows.
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert sums.stdout.count(": OK") == 6  # 3 originals, custody log, key, manifest
    signature = _openssl_verify(folder)
    assert signature.returncode == 0, signature.stdout + signature.stderr
    assert "Signature Verified Successfully" in signature.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {i["path"].rsplit("/", 1)[1] for i in manifest["items"]} == {
        "photo.jpg",
        "Степанакерт statement.txt",
        "notes with spaces.txt",
    }
    log = [json.loads(line) for line in (folder / "custody.jsonl").read_text().splitlines()]
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert {e["action"] for e in log} == {"imported", "exported"}
    assert manifest["custody"]["head_hash"] == log[-1]["event_hash"]

    # A changed byte in an original fails sha256sum; a changed manifest fails openssl.
    original = folder / manifest["items"][0]["path"]
    original.write_bytes(original.read_bytes() + b"x")
    assert (
        subprocess.run(
            ["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=folder, capture_output=True
        ).returncode
        != 0
    )
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text() + " ")
    assert _openssl_verify(folder).returncode != 0


def test_verify_bundle_accepts_a_good_bundle(bundle: Path, cli_env: dict[str, str]) -> None:
    result = vestige(["verify-bundle", str(bundle)], cli_env)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok: 6 files")
    key = vestige(["keys", "show"], cli_env, check=True).stdout
    pinned = bundle.parent / "published.pem"
    pinned.write_text(key)
    assert vestige(["verify-bundle", str(bundle), "--key", str(pinned)], cli_env).returncode == 0


def _rewrite(bundle: Path, target: Path, change: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, change.get(info.filename, source.read(info.filename)))
        for name, data in change.items():
            if name not in source.namelist():
                out.writestr(name, data)
    return target


def test_verify_bundle_names_what_changed(
    bundle: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        log = archive.read("custody.jsonl").decode().splitlines()
    first = manifest["items"][0]["path"]

    changed = _rewrite(bundle, tmp_path / "changed.zip", {first: b"forged"})
    out = vestige(["verify-bundle", str(changed)], cli_env)
    assert out.returncode == 1 and f"{first}: expected SHA-256" in out.stdout

    event = json.loads(log[1])
    event["actor"] = "forger"
    log[1] = json.dumps(event)
    edited = _rewrite(
        bundle, tmp_path / "log.zip", {"custody.jsonl": ("\n".join(log) + "\n").encode()}
    )
    out = vestige(["verify-bundle", str(edited)], cli_env)
    assert out.returncode == 1
    assert "custody.jsonl: expected SHA-256" in out.stdout
    assert "custody event #2" in out.stdout and "contents changed" in out.stdout

    extra = _rewrite(bundle, tmp_path / "extra.zip", {"originals/planted.txt": b"planted"})
    out = vestige(["verify-bundle", str(extra)], cli_env)
    assert out.returncode == 1 and "not listed in SHA256SUMS" in out.stdout

    other_key = tmp_path / "other.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "k")], check=True
    )
    subprocess.run(
        ["openssl", "pkey", "-in", str(tmp_path / "k"), "-pubout", "-out", str(other_key)],
        check=True,
    )
    out = vestige(["verify-bundle", str(bundle), "--key", str(other_key)], cli_env)
    assert out.returncode == 1 and "not by the trusted key" in out.stdout


def test_traversal_paths_are_refused(tmp_path: Path, cli_env: dict[str, str]) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../outside.txt", b"x")
    out = vestige(["verify-bundle", str(evil)], cli_env)
    assert out.returncode == 1 and "unsafe paths" in out.stdout
