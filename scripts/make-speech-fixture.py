#!/usr/bin/env python3
"""Makes Tests/Fixtures/speech.wav: espeak-ng sentences separated by known silences, with faint
noise, 16 kHz mono PCM16, and speech.json with each sentence's start and end in seconds.

The boundaries are where each trimmed sentence's samples begin and end in the file, so they are
exact by construction. Run by `make fixtures`; the outputs are committed so tests do not depend on
the installed espeak-ng version."""
import json, subprocess, sys, tempfile, wave, os
import numpy as np

RATE = 16000
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Please save every word I say today.",
    "Recording speech is easier than it looks.",
    "One more sentence, and then we are done.",
]
GAPS = [1.0, 1.4, 1.1, 1.6, 1.5]   # before each sentence, and after the last
NOISE_RMS = 0.0008                 # about -62 dBFS: a quiet room

def speak(text, folder, index):
    raw = os.path.join(folder, f"s{index}.wav")
    out = os.path.join(folder, f"s{index}-16k.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", raw, text], check=True)
    subprocess.run(["sox", raw, "-r", str(RATE), "-c", "1", "-b", "16", out], check=True)
    with wave.open(out) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
    loud = np.nonzero(np.abs(x) > 0.01)[0]
    return x[loud[0]:loud[-1] + 1]

def main(target):
    rng = np.random.default_rng(7)
    parts, regions, position = [], [], 0
    with tempfile.TemporaryDirectory() as folder:
        for i, text in enumerate(SENTENCES):
            gap = np.zeros(int(GAPS[i] * RATE))
            speech = speak(text, folder, i)
            parts += [gap, speech]
            start = position + len(gap)
            regions.append({"text": text, "start": start / RATE, "end": (start + len(speech)) / RATE})
            position = start + len(speech)
    parts.append(np.zeros(int(GAPS[-1] * RATE)))
    audio = np.concatenate(parts)
    audio = audio + rng.normal(0, NOISE_RMS, len(audio))
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
    with wave.open(target + ".wav", "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE); w.writeframes(pcm.tobytes())
    with open(target + ".json", "w") as f:
        json.dump({"sampleRate": RATE, "duration": len(audio) / RATE, "speech": regions}, f, indent=2)
        f.write("\n")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/speech")
