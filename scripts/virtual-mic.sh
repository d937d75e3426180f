#!/usr/bin/env bash
# A virtual microphone for machines without a sound card: a PulseAudio null sink whose monitor is
# the default input. Anything played into the sink is "heard" by PortAudio in real time.
#   scripts/virtual-mic.sh start        start the daemon (idempotent)
#   scripts/virtual-mic.sh play FILE    play FILE into the microphone (returns when it has played)
#   scripts/virtual-mic.sh stop         stop the daemon
# Programs that record must see the same PULSE_RUNTIME_PATH (default /tmp/hark-pulse).
set -euo pipefail
export PULSE_RUNTIME_PATH="${PULSE_RUNTIME_PATH:-/tmp/hark-pulse}"
case "${1:-}" in
start)
    mkdir -p "$PULSE_RUNTIME_PATH"
    if pactl info >/dev/null 2>&1; then exit 0; fi
    pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n \
        --load="module-native-protocol-unix auth-anonymous=1" \
        --load="module-null-sink sink_name=vmic rate=48000 channels=1" \
        --load="module-always-sink" 2>/dev/null
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    pactl set-default-source vmic.monitor
    ;;
play)
    paplay --device=vmic "$2"
    ;;
stop)
    pulseaudio -k 2>/dev/null || true
    ;;
*)
    echo "usage: $0 start | play FILE | stop" >&2
    exit 2
    ;;
esac
