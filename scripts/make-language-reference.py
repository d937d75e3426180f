#!/usr/bin/env python3
"""Multilingual Whisper as faster-whisper runs it, for Hark to match: Tests/Fixtures/whisper/languages.json,
on the multilingual `base` model, float32, one file after another:
  detect      the language faster-whisper's transcribe() detects (language=None, its defaults: one 30 s
              window, threshold 0.5, no VAD): language, probability, and the top 5 of all 99 as [code, p];
  transcribe  tokens and text, greedy and beam 5, with the detected language (temperature 0, without
              timestamps, no VAD, no conditioning on its own output), and the prompt it decoded after:
              sot_sequence (<|startoftranscript|>, language, task) and prompt (that + <|notimestamps|>);
  translate   the same with task="translate", for the clips not in English.
Files: the espeak-ng clips of scripts/make-language-audio.sh (texts read from it), Tests/Fixtures/speech.wav,
and the models folder's test-audio/two_cities.wav (44 s, 48 kHz; detection and its first window only).
Run by `make whisper-reference` (needs the reference environment; not part of CI)."""
import json, os, re
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

MODELS = os.environ.get("HARK_MODELS_DIR", os.path.expanduser("~/.local/share/hark/models"))
model = WhisperModel(os.path.join(MODELS, "whisper-base"), device="cpu", compute_type="float32")
OPTIONS = dict(temperature=0.0, without_timestamps=True, condition_on_previous_text=False, vad_filter=False)

with open("scripts/make-language-audio.sh") as script:
    SAID = dict(re.findall(r'^say (\w+) "(.*)"$', script.read(), re.M))
with open("Tests/Fixtures/speech.json") as fixture:
    SAID["speech"] = " ".join(s["text"] for s in json.load(fixture)["speech"])
# (name, path as stored, path to read, tasks, whole file or first window only)
FILES = [(code, f"Tests/Fixtures/whisper/languages/{code}.flac", f"Tests/Fixtures/whisper/languages/{code}.flac",
          ("transcribe", "translate"), True) for code in ("de", "fr", "es", "ru")]
FILES += [("speech", "Tests/Fixtures/speech.wav", "Tests/Fixtures/speech.wav", ("transcribe",), True),
          ("two_cities", "test-audio/two_cities.wav", os.path.join(MODELS, "test-audio", "two_cities.wav"), ("transcribe",), False)]

entries = []
for name, stored, path, tasks, whole in FILES:
    _, info = model.transcribe(path, **OPTIONS)   # detection happens here, before any decoding
    entry = {"name": name, "file": stored}
    if name in SAID:
        entry["said"] = SAID[name]
    entry["detect"] = {"language": info.language, "probability": info.language_probability,
                       "top5": [[code, p] for code, p in info.all_language_probs[:5]]}
    for task in tasks:
        runs = []
        for beam in (1, 5) if whole else (1,):
            segments, run_info = model.transcribe(path, task=task, beam_size=beam, **OPTIONS)
            assert run_info.language == info.language
            segments = list(segments) if whole else [next(iter(segments))]   # without timestamps: one segment a window
            tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=task, language=info.language)
            runs.append({"beam": beam, "sot_sequence": tokenizer.sot_sequence,
                         "prompt": model.get_prompt(tokenizer, [], without_timestamps=True),
                         "tokens": [t for s in segments for t in s.tokens],
                         "text": " ".join(s.text.strip() for s in segments)})
        entry[task if whole else task + "FirstWindow"] = runs
    entries.append(entry)
    print(name, info.language, round(info.language_probability, 3), "|", entry.get("transcribe", entry.get("transcribeFirstWindow"))[-1]["text"])

with open("Tests/Fixtures/whisper/languages.json", "w") as out:
    json.dump({"model": "whisper-base", "compute_type": "float32", "options": OPTIONS, "files": entries},
              out, ensure_ascii=False, indent=1)
    out.write("\n")
print("wrote Tests/Fixtures/whisper/languages.json")
