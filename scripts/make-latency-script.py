#!/usr/bin/env python3
"""Writes .build/bench/latency.wav: 24 espeak-ng utterances of 2 to 10 s with 1.5 s of quiet
between them, for `make bench-latency` to play into the virtual microphone."""
import os, subprocess, tempfile, wave
import numpy as np

WORDS = ("the recorder saves every utterance and the workers transcribe each one while the next is "
         "still being spoken so that nothing waits for anything else and nothing is lost on the way").split()

def main(target=".build/bench/latency.wav"):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(24):
            count = 5 + (i * 7) % 24            # 5 … 28 words: about 2 to 10 s
            text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(count))
            raw, res = os.path.join(tmp, "r.wav"), os.path.join(tmp, "s.wav")
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", raw, text], check=True)
            subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", res], check=True)
            with wave.open(res) as w:
                parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
            parts.append(np.zeros(24000, dtype="<i2"))
    with wave.open(target, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
        w.writeframes(np.concatenate(parts).tobytes())

if __name__ == "__main__":
    main()
