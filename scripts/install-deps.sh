#!/usr/bin/env bash
# Installs the Debian packages Signet builds with and the independent verifiers its tests use.
# Idempotent: installs only what is missing, so `make run` / `make test` stay fast on a ready machine.
set -euo pipefail
BUILD_PKGS=(build-essential cmake pkg-config libssl-dev libxml2-dev libxml2-utils libxmlsec1-dev zlib1g-dev
  libsqlite3-dev libboost-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libgtest-dev libgmock-dev clang libclang-rt-14-dev)
TEST_PKGS=(openssl xmlsec1 rnp gnupg zip unzip python3 curl gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 binutils-mingw-w64-i686
  msitools wixl gcab sbsigntool python3-pefile python3-olefile)
want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${TEST_PKGS[@]}"); fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
