#!/usr/bin/env python3
"""Hotwords as faster-whisper takes them, for Hark to match (Tests/Fixtures/whisper/hotwords.json):
the tokens it decodes with `hotwords`, alone and with an `initial_prompt`, greedy and beam 5,
float32, one 30 s window (without timestamps, no VAD, no conditioning on its own output).
Run by `make whisper-reference` (needs the reference environment; not part of CI)."""
import json, os
from faster_whisper import WhisperModel

MODELS = os.environ.get("HARK_MODELS_DIR", os.path.expanduser("~/.local/share/hark/models"))
model = WhisperModel(os.path.join(MODELS, "whisper-tiny.en"), device="cpu", compute_type="float32")
CASES = [("speech", "Tests/Fixtures/speech.wav", "save every word", None),
         ("speech", "Tests/Fixtures/speech.wav", "Hark, Silero, PortAudio", "Please save every word I say."),
         ("beckett", "Tests/Fixtures/vad/beckett.flac", "Samuel Beckett, Worstward Ho", None)]
cases = []
for name, path, hotwords, prompt in CASES:
    for beam in (1, 5):
        segments, _ = model.transcribe(path, beam_size=beam, temperature=0.0, without_timestamps=True,
                                       condition_on_previous_text=False, vad_filter=False, language="en",
                                       hotwords=hotwords, initial_prompt=prompt)
        segments = list(segments)
        cases.append({"name": name, "file": path, "hotwords": hotwords, "prompt": prompt, "beam": beam,
                      "tokens": [t for s in segments for t in s.tokens], "text": " ".join(s.text.strip() for s in segments)})
with open("Tests/Fixtures/whisper/hotwords.json", "w") as out:
    json.dump(cases, out, indent=1)
    out.write("\n")
print("wrote Tests/Fixtures/whisper/hotwords.json")
