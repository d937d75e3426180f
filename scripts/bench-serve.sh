#!/bin/sh
# Load on `hark serve`'s /v1/audio/transcriptions with wrk: short utterances from concurrent
# clients. Prints throughput and latency (wrk), answers by status, and the server's memory.
#   1. "steady": as many clients as workers — nothing waits, so latency is the job's own;
#   2. "queued": workers + queue clients — every request is taken, and waits its turn;
#   3. "overload": 32 clients — the queue fills, the rest get 429, and memory must stay flat.
# Usage: scripts/bench-serve.sh [HARK_BINARY] (default .build/release/hark)
set -eu
HARK=${1:-.build/release/hark}
PORT=${PORT:-18790}
SECONDS_EACH=${SECONDS_EACH:-30}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

# One utterance of 2.7 s, the first sentence of the test speech.
sox Tests/Fixtures/speech.wav "$WORK/utterance.wav" trim 0.7 2.7

"$HARK" serve --port "$PORT" --out "$WORK/sessions" --beam-size 1 --queue 8 >"$WORK/serve.log" 2>&1 &
SERVER=$!
until grep -q "listening on" "$WORK/serve.log"; do sleep 0.2; done
WORKERS=$(( $(nproc) / 2 )); [ "$WORKERS" -ge 1 ] || WORKERS=1

rss() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }
sample() {   # the server's RSS (kB) every half second while wrk runs: the largest seen
  max=0
  # (a finished wrk stays a zombie until `wait`, and kill -0 succeeds on zombies)
  while [ "$(awk '/^State:/ {print $2}' /proc/"$1"/status 2>/dev/null)" = S ] ||
        [ "$(awk '/^State:/ {print $2}' /proc/"$1"/status 2>/dev/null)" = R ]; do r=$(rss); [ "$r" -gt "$max" ] && max=$r; sleep 0.5; done
  echo "$max"
}

URL="http://127.0.0.1:$PORT/v1/audio/transcriptions"
curl -s -F file=@"$WORK/utterance.wav" "$URL" >/dev/null   # workers load their model first
echo "server RSS after warm-up: $(rss) kB; workers: $WORKERS; queue: 8"
for scenario in "steady $WORKERS" "queued $((WORKERS + 8))" "overload 32"; do
  set -- $scenario
  echo "== $1: $2 clients, ${SECONDS_EACH} s"
  THREADS=2; [ "$2" -ge 2 ] || THREADS=1   # wrk wants a connection per thread at least
  WAV="$WORK/utterance.wav" wrk -t "$THREADS" -c "$2" -d "${SECONDS_EACH}s" --timeout 60s -s scripts/wrk-transcribe.lua "$URL" >"$WORK/wrk.txt" &
  WRK=$!
  MAX=$(sample $WRK)
  wait $WRK || true
  grep -E "statuses:|seconds=|Non-2xx|PANIC" "$WORK/wrk.txt" || true
  echo "server RSS: max $MAX kB during the run, $(rss) kB after; worker RSS: $(for w in $(pgrep -P $SERVER); do awk '/VmRSS/ {printf "%s kB ", $2}' /proc/$w/status; done)"
done
