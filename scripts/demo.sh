#!/usr/bin/env bash
# The main job: a live recording session. Records from the default microphone for a while; on a
# machine with no capture device, starts a PulseAudio null sink as a virtual microphone and plays
# a speech recording into it, so the whole live path (PortAudio callback → ring → VAD → segments)
# still runs for real.
#   scripts/demo.sh [SECONDS]      (default 22)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-22}"
hark=".build/release/hark"
export HARK_SESSIONS_DIR="${HARK_SESSIONS_DIR:-$PWD/demo-sessions}"

player=""
if ! "$hark" devices 2>/dev/null | grep -q "(default)"; then
    export PULSE_RUNTIME_PATH="${PULSE_RUNTIME_PATH:-/tmp/hark-pulse}"
    echo "No capture device here: starting a PulseAudio virtual microphone and playing Tests/Fixtures/speech.wav into it."
    scripts/virtual-mic.sh start
    # Start talking a moment after the recorder has opened the microphone.
    ( sleep 1.5; scripts/virtual-mic.sh play Tests/Fixtures/speech.wav ) &
    player=$!
fi

"$hark" devices
echo
echo "Recording for $seconds s (Ctrl-C stops early; the utterance in progress is kept)…"
status=0
"$hark" record --duration "$seconds" --keep-audio || status=$?
[ -n "$player" ] && wait "$player" 2>/dev/null || true
echo
"$hark" sessions show latest
exit $status
