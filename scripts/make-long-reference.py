#!/usr/bin/env python3
"""faster-whisper's transcript of the 44 s "A Tale of Two Cities" reading (make models installs it),
whole file, same model, for Hark's long-recording test: Tests/Fixtures/whisper/two_cities.json.

Whole-file transcription with faster-whisper's own seeking (no VAD filter), greedy and beam 5,
with timestamps: the words Hark's `hark transcribe` must keep, word by word.
Run by `make whisper-reference` (needs the reference environment; not part of CI).
"""
import json, os
from faster_whisper import WhisperModel

MODELS = os.environ.get("HARK_MODELS_DIR", os.path.expanduser("~/.local/share/hark/models"))
AUDIO = os.path.join(MODELS, "test-audio", "two_cities.wav")
model = WhisperModel(os.path.join(MODELS, "whisper-tiny.en"), device="cpu", compute_type="float32")
reference = {"model": "whisper-tiny.en", "file": "test-audio/two_cities.wav",
             "options": {"language": "en", "vad_filter": False, "temperature": 0.0, "compute_type": "float32"}}
for name, beam in (("greedy", 1), ("beam5", 5)):
    segments, _ = model.transcribe(AUDIO, beam_size=beam, language="en", vad_filter=False, temperature=0.0)
    reference[name] = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text.strip()} for s in segments]
with open("Tests/Fixtures/whisper/two_cities.json", "w") as out:
    json.dump(reference, out, indent=1)
    out.write("\n")
print("wrote Tests/Fixtures/whisper/two_cities.json")
