# Hark — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine (as root).
SWIFT ?= swift
TSAN_SCRATCH := .build-tsan

.PHONY: deps build release demo test test-unit test-tsan bench fixtures clean

deps:            ## Debian packages Hark builds and tests against
	scripts/install-deps.sh

build: deps
	$(SWIFT) build --build-tests

release: deps
	$(SWIFT) build -c release --product hark

demo: release    ## the main job: a live recording session (virtual microphone where there is none)
	scripts/demo.sh

test: test-unit test-tsan

test-unit: build ## every test, including live capture through the virtual microphone
	scripts/virtual-mic.sh start
	$(SWIFT) test --skip-build

test-tsan: deps  ## the ring's concurrent stress test under ThreadSanitizer; any report fails
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path $(TSAN_SCRATCH) --sanitize=thread \
		--filter SampleRingTests

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

fixtures:        ## regenerate Tests/Fixtures/speech.wav and its known speech regions (espeak-ng)
	python3 scripts/make-speech-fixture.py

clean:
	rm -rf .build $(TSAN_SCRATCH)
