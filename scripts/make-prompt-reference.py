#!/usr/bin/env python3
"""Prompts as faster-whisper takes them, for Hark to match (Tests/Fixtures/whisper/):
  encodings.json  how its tokenizer (Hugging Face tokenizers, the model's tokenizer.json) encodes texts;
  prompted.json   the tokens it decodes with an `initial_prompt`, greedy and beam 5, float32, one
                  30 s window (without timestamps, no VAD, no conditioning on its own output).
Run by `make whisper-reference` (needs the reference environment; not part of CI)."""
import json, os
import tokenizers
from faster_whisper import WhisperModel

MODELS = os.environ.get("HARK_MODELS_DIR", os.path.expanduser("~/.local/share/hark/models"))
tokenizer = tokenizers.Tokenizer.from_file(os.path.join(MODELS, "whisper-tiny.en", "tokenizer.json"))
TEXTS = [
    " Ever tried. Ever failed. No matter.",
    "Hello world",
    " It's what we'll say, they've said; I'd, you're, I'm, don't.",
    " In 1984 it cost $3.14 — or 2,500 €.",
    " café naïve façade Zoë “quoted” ‘single’",
    "two  spaces,   three, tab\tand\nnew line \n\n end ",
    " Hark, SQLite, PortAudio, libsndfile, OpenBLAS, Whisper-tiny.en",
    " 日本語のテキスト and Ελληνικά and русский",
    " emoji 🎙️ 👍🏽 !!! ??? ... ---",
    "'s 're 'll '' ' x",
]
with open("Tests/Fixtures/whisper/encodings.json", "w") as out:
    json.dump([{"text": t, "ids": tokenizer.encode(t, add_special_tokens=False).ids} for t in TEXTS], out, ensure_ascii=False, indent=1)
    out.write("\n")
print("wrote Tests/Fixtures/whisper/encodings.json")

model = WhisperModel(os.path.join(MODELS, "whisper-tiny.en"), device="cpu", compute_type="float32")
PROMPTS = [("speech", "Tests/Fixtures/speech.wav", "Please save every word I say. Recording speech is easy."),
           ("beckett", "Tests/Fixtures/vad/beckett.flac", "Samuel Beckett, Worstward Ho: ever tried, ever failed.")]
prompted = []
for name, path, prompt in PROMPTS:
    for beam in (1, 5):
        segments, _ = model.transcribe(path, beam_size=beam, temperature=0.0, without_timestamps=True,
                                       condition_on_previous_text=False, vad_filter=False, language="en",
                                       initial_prompt=prompt)
        segments = list(segments)
        prompted.append({"name": name, "file": path, "prompt": prompt, "beam": beam,
                         "tokens": [t for s in segments for t in s.tokens], "text": " ".join(s.text.strip() for s in segments)})
with open("Tests/Fixtures/whisper/prompted.json", "w") as out:
    json.dump(prompted, out, indent=1)
    out.write("\n")
print("wrote Tests/Fixtures/whisper/prompted.json")
