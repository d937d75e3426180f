#!/usr/bin/env python3
"""Whole processes, as a user runs them, on one recording: `hark transcribe --compute-type T FILE`
against a faster-whisper script doing the same (model load, decode, VAD off, beam 1, int8 and
float32), median wall time of 3 runs each, and the word error rate of each against the words
said.   usage: bench-transcribe-process.py HARK REF_PYTHON MODEL_DIR FILE WORDS_FILE"""
import re, statistics, subprocess, sys, time

FW = """
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type=sys.argv[2], cpu_threads=2)
segments, _ = model.transcribe(sys.argv[3], beam_size=1, language="en", vad_filter=False)
print(" ".join(s.text.strip() for s in segments))
"""

def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())

def wer(said, heard):
    row = list(range(len(heard) + 1))
    for i in range(1, len(said) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(heard) + 1):
            above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (said[i - 1] != heard[j - 1]))
            diagonal = above
    return row[-1] / max(1, len(said))

def timed(command):
    runs, text = [], ""
    for _ in range(3):
        start = time.perf_counter()
        text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), text

def main(hark, python, model, path, words_file):
    said = words(open(words_file).read())
    results = {}
    for label, command in [("faster-whisper float32", [python, "-c", FW, model, "float32", path]),
                           ("faster-whisper int8", [python, "-c", FW, model, "int8", path])] + \
                          [(f"hark {t}", [hark, "transcribe", "--model", model, "--compute-type", t, path])
                           for t in ("float32", "int8", "bfloat16")]:
        seconds, text = timed(command)
        results[label] = seconds
        print(f"{label:24} {seconds:6.2f} s   WER {100 * wer(said, words(text)):5.2f} %")
    for hark in ("hark int8", "hark bfloat16", "hark float32"):
        print(f"{hark} / faster-whisper int8: {results[hark] / results['faster-whisper int8']:.2f}x, "
              f"/ faster-whisper float32: {results[hark] / results['faster-whisper float32']:.2f}x")

if __name__ == "__main__":
    main(*sys.argv[1:6])
