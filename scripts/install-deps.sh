#!/bin/sh
# Installs the Debian 12 packages Hark builds and tests against.
# Idempotent: packages already present are left alone.
set -eu

packages="pkg-config portaudio19-dev libsndfile1-dev libsoxr-dev libopenblas-dev \
pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox libsox-fmt-all tmux libncurses-dev \
libssl-dev libsqlite3-dev zlib1g-dev chromium fonts-liberation fonts-dejavu-core nginx-light wrk curl python3-venv"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    echo "Installing:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
