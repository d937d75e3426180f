#!/bin/sh
# make test-unit: every suite, the heavy ones one at a time.
#
# Swift Testing runs every test at once on a pool of as many threads as cores. On two cores the
# suites that transcribe (worker processes, `hark` processes, Whisper in process) then starve
# each other and trip their timeouts — on a CPU without AVX-512 a transcription takes four times
# as long. So the light module suites run together, and the suites of Hark, HarkServer and the
# CLI, then Whisper's, each on its own (suites still run their own tests in parallel). The
# virtual microphone must be running (scripts/virtual-mic.sh start). Runs everything, then fails
# if anything failed.
set -u
SWIFT=${SWIFT:-swift}
export HARK_REQUIRE_MODELS=1
failed=""
run() {
    echo "== $1"
    $SWIFT test --skip-build --filter "$1" || failed="$failed $1"
}
run '^(HarkCoreTests|HarkAudioTests|HarkVADTests|HarkBLASTests|HarkArchiveTests|HarkModelsTests)\.'
suites=$($SWIFT test list --skip-build 2>/dev/null | grep -E '^(HarkTests|HarkServerTests|harkTests)\.' | sed 's|/.*||' | sort -u)
[ -n "$suites" ] || { echo "no suites listed (is the build missing?)"; exit 1; }
for suite in $suites; do run "^$suite/"; done
run '^HarkWhisperTests\.'
if [ -n "$failed" ]; then echo "FAILED:$failed"; exit 1; fi
echo "all suites passed"
