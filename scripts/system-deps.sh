#!/usr/bin/env bash
# Install the Debian packages Vestige needs, when they are missing.
#
#   scripts/system-deps.sh [all|test|run|venv|build]
#
#   all, test  chromium, ffmpeg, postgresql, libmagic1, openssl, fonts-dejavu-core, wget,
#              libpango-1.0-0, libpangoft2-1.0-0 (the default; wget is the capture benchmark's
#              baseline; pango is what WeasyPrint draws dossier PDFs with)
#   run        ffmpeg, libmagic1, pango and fonts-dejavu-core (Latin, Cyrillic and Armenian
#              glyphs for dossier PDFs): enough to run the app (`make run`)
#   venv       python3-venv: only when `python3 -m venv` cannot work
#   build      g++: pdqhash (image near-duplicates) builds from source at `pip install`
#
# Everything is checked first (command -v, file tests), so a second run costs nothing and touches
# no network. As root, what is missing is installed with apt-get (one `apt-get update`, then an
# install without recommends). As any other user, what is missing is printed with the command that
# installs it, and the script carries on: the tests that need it skip or fail with a clear message.
set -euo pipefail

profile=${1:-all}

have_cmd() { command -v "$1" >/dev/null 2>&1; }

have_glob() {
    local pattern=$1 match
    for match in $pattern; do
        [ -e "$match" ] && return 0
    done
    return 1
}

# package name -> whether it is already there
present() {
    case $1 in
        chromium) have_cmd chromium || [ -x /usr/bin/chromium ] ;;
        ffmpeg) have_cmd ffprobe && have_cmd ffmpeg ;;
        postgresql) have_glob '/usr/lib/postgresql/*/bin/initdb' \
            && have_glob '/usr/lib/postgresql/*/bin/pg_ctl' ;;
        libmagic1) have_glob '/usr/lib/*/libmagic.so.1' || have_glob '/lib/*/libmagic.so.1' \
            || have_glob '/usr/lib/libmagic.so.1' ;;
        openssl) have_cmd openssl ;;
        fonts-dejavu-core) [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] ;;
        wget) have_cmd wget ;;
        libpango-1.0-0) have_glob '/usr/lib/*/libpango-1.0.so.0' || have_glob '/usr/lib/libpango-1.0.so.0' ;;
        libpangoft2-1.0-0) have_glob '/usr/lib/*/libpangoft2-1.0.so.0' \
            || have_glob '/usr/lib/libpangoft2-1.0.so.0' ;;
        python3-venv) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
        g++) have_cmd g++ ;;
        *) echo "system-deps: unknown package $1" >&2; return 1 ;;
    esac
}

case $profile in
    all | test) wanted=(chromium ffmpeg postgresql libmagic1 openssl fonts-dejavu-core wget
        libpango-1.0-0 libpangoft2-1.0-0) ;;
    run) wanted=(ffmpeg libmagic1 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) ;;
    venv) wanted=(python3-venv) ;;
    build) wanted=(g++) ;;
    *)
        echo "usage: $0 [all|test|run|venv|build]" >&2
        exit 2
        ;;
esac

missing=()
for package in "${wanted[@]}"; do
    present "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing Debian packages: ${missing[*]}" >&2
    echo "system-deps: install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "system-deps: carrying on; the tests that need them will skip or fail clearly." >&2
    exit 0
fi

if ! have_cmd apt-get; then
    echo "system-deps: missing ${missing[*]} and there is no apt-get here; install them by hand." >&2
    exit 0
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for package in "${missing[@]}"; do
    present "$package" || still+=("$package")
done
if [ ${#still[@]} -ne 0 ]; then
    echo "system-deps: installed, but still not found: ${still[*]}" >&2
    exit 1
fi
echo "system-deps: done"
