#!/usr/bin/env bash
# Installs the Debian packages SSCard needs, when they are missing.
# The list grows with the project; each entry says what needs it.
set -euo pipefail

packages=(
    libssl-dev   # CardCrypto: OpenSSL libcrypto (3DES, SM4) through the COpenSSL module
    pkg-config   # SwiftPM finds libcrypto's flags with it
    openssl      # tests cross-check the ciphers against its command line
    libpcsclite-dev  # CardTransportPCSC: pcsc-lite through the CPCSCLite module
    pcscd            # PC/SC tests start their own pcscd
    vsmartcard-vpcd  # the vpcd reader driver that `sscard serve` plugs the virtual card into
    pcsc-tools       # scriptor, a third-party client in the tests
    opensc           # opensc-tool, another one
    python3-pyscard  # pyscard, a third one
    python3-venv     # the virtual environment for python-emv's emvtool (make venv)
    libsqlite3-dev   # BackOfficeStore: GRDB links the system SQLite and includes its header
    chromium         # the web kiosk's test: a real headless browser (nothing downloads one)
    chromium-driver  # Selenium drives it through chromedriver
    fonts-wqy-microhei  # a CJK font, so that the browser draws the page's Chinese (screenshots)
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "SSCard needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
