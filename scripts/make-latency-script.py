#!/usr/bin/env python3
"""Writes .build/bench/latency.wav: 24 espeak-ng utterances of 2 to 10 s with 1.5 s of quiet
between them, for `make bench-latency` to play into the virtual microphone; and latency.json:
each utterance's text and where its sound starts and ends (10 ms frames above -50 dBFS)."""
import json, os, subprocess, tempfile, wave
import numpy as np

WORDS = ("the recorder saves every utterance and the workers transcribe each one while the next is "
         "still being spoken so that nothing waits for anything else and nothing is lost on the way").split()

def main(target=".build/bench/latency.wav"):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    parts, script, at = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(24):
            count = 5 + (i * 7) % 24            # 5 … 28 words: about 2 to 10 s
            text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(count))
            raw, res = os.path.join(tmp, "r.wav"), os.path.join(tmp, "s.wav")
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", raw, text], check=True)
            subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", res], check=True)
            with wave.open(res) as w:
                audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
            frames = audio[: len(audio) // 160 * 160].astype(np.float64).reshape(-1, 160) / 32768
            loud = np.flatnonzero(np.sqrt((frames ** 2).mean(axis=1)) > 10 ** (-50 / 20))
            script.append({"text": text, "start": (at + loud[0] * 160) / 16000, "end": (at + (loud[-1] + 1) * 160) / 16000})
            parts += [audio, np.zeros(24000, dtype="<i2")]
            at += len(audio) + 24000
    with wave.open(target, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
        w.writeframes(np.concatenate(parts).tobytes())
    with open(os.path.splitext(target)[0] + ".json", "w") as f:
        json.dump({"sampleRate": 16000, "speech": script}, f, indent=1)

if __name__ == "__main__":
    main()
