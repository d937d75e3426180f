# Hark — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine (as root).
SWIFT ?= swift
TSAN_SCRATCH := .build-tsan

.PHONY: deps build release demo test test-unit test-tsan fixtures clean

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

fixtures:        ## regenerate Tests/Fixtures/speech.wav and its known speech regions (espeak-ng)
	python3 scripts/make-speech-fixture.py

clean:
	rm -rf .build $(TSAN_SCRATCH)
