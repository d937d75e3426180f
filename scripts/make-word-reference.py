#!/usr/bin/env python3
"""Word timestamps as faster-whisper computes them (word_timestamps=True), for Hark to match:
Tests/Fixtures/whisper/words.json, float32, greedy (beam 1, temperature 0), without timestamps, no VAD,
no conditioning on its own output, files of one 30 s window at most:
  whisper-tiny.en  Tests/Fixtures/speech.wav, vad/beckett.flac, whisper/live_segment.flac (English);
  whisper-base     whisper/languages/{de,fr,es}.flac (language detected) and speech.wav (language="en").
Each case: model, file, language, the decoded text `tokens` (all segments'), `segments` [{seek, start, end,
text, tokens}] and `words` [{word, start, end, probability}], all segments' Segment.words in order, as
transcribe() returns them (after its post-processing: rounding to 0.01 s, boundary and punctuation fixes).
With word timestamps faster-whisper seeks to the last word's end after a window, so a file may take a
second (short) window; `segments[].seek` says where each came from (in 10 ms mel frames).
For tiny.en speech.wav, `debug` holds CTranslate2's raw alignment of the first window, called as
find_alignment calls it: num_frames (the window's mel frames, not halved; align halves it), sot_sequence,
text_tokens, `alignments` [[text_index, time_index]] (DTW path; rows: text tokens then <|endoftext|>,
time in 20 ms encoder frames), `text_token_probs`, tokenizer.split_to_word_tokens(text + [eot]) as `words`
and `word_tokens`, and find_alignment's result before post-processing as `aligned` (start/end unrounded).
Run by `make whisper-reference` (needs the reference environment; not part of CI)."""
import json, os, re
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio, pad_or_trim
from faster_whisper.tokenizer import Tokenizer

MODELS = os.environ.get("HARK_MODELS_DIR", os.path.expanduser("~/.local/share/hark/models"))
OPTIONS = dict(beam_size=1, temperature=0.0, without_timestamps=True, condition_on_previous_text=False,
               vad_filter=False, word_timestamps=True)
CASES = [("whisper-tiny.en", "Tests/Fixtures/speech.wav", "en"),
         ("whisper-tiny.en", "Tests/Fixtures/vad/beckett.flac", "en"),
         ("whisper-tiny.en", "Tests/Fixtures/whisper/live_segment.flac", "en"),
         ("whisper-base", "Tests/Fixtures/whisper/languages/de.flac", None),
         ("whisper-base", "Tests/Fixtures/whisper/languages/fr.flac", None),
         ("whisper-base", "Tests/Fixtures/whisper/languages/es.flac", None),
         ("whisper-base", "Tests/Fixtures/speech.wav", "en")]
DEBUG_CASE = ("whisper-tiny.en", "Tests/Fixtures/speech.wav")


def debug_alignment(model, path, language, first_segment):
    """CTranslate2's align() on the first window, with the inputs generate_segments/find_alignment give it."""
    audio = decode_audio(path, sampling_rate=model.feature_extractor.sampling_rate)
    features = model.feature_extractor(audio)
    content_frames = features.shape[-1] - 1
    num_frames = min(model.feature_extractor.nb_max_frames, content_frames)   # segment_size at seek 0
    encoder_output = model.encode(pad_or_trim(features[:, :num_frames]))
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
    text_tokens = [t for t in first_segment.tokens if t < tokenizer.eot]
    result = model.model.align(encoder_output, tokenizer.sot_sequence, [text_tokens], num_frames,
                               median_filter_width=7)[0]
    words, word_tokens = tokenizer.split_to_word_tokens(text_tokens + [tokenizer.eot])
    aligned = model.find_alignment(tokenizer, [text_tokens], encoder_output, num_frames)[0]
    return {"num_frames": num_frames, "content_frames": content_frames, "sot_sequence": tokenizer.sot_sequence,
            "text_tokens": text_tokens, "tokens_per_second": model.tokens_per_second,
            "alignments": [[int(i), int(j)] for i, j in result.alignments],
            "text_token_probs": [float(p) for p in result.text_token_probs],
            "words": words, "word_tokens": word_tokens,
            "aligned": [{"word": w["word"], "tokens": w["tokens"], "start": float(w["start"]),
                         "end": float(w["end"]), "probability": float(w["probability"])} for w in aligned]}


cases, models = [], {}
for folder, path, language in CASES:
    if folder not in models:
        models[folder] = WhisperModel(os.path.join(MODELS, folder), device="cpu", compute_type="float32")
    model = models[folder]
    segments, info = model.transcribe(path, language=language, **OPTIONS)
    segments = list(segments)
    assert info.duration <= 30.0, f"{path} is {info.duration} s, more than one window"
    case = {"model": folder, "file": path, "duration": info.duration, "language": info.language,
            "detected": language is None,
            "tokens": [t for s in segments for t in s.tokens],
            "segments": [{"seek": s.seek, "start": s.start, "end": s.end, "text": s.text, "tokens": s.tokens}
                         for s in segments],
            "words": [{"word": w.word, "start": w.start, "end": w.end, "probability": w.probability}
                      for s in segments for w in s.words]}
    assert all(t < model.hf_tokenizer.token_to_id("<|endoftext|>") for t in case["tokens"]), "not text tokens only"
    if (folder, path) == DEBUG_CASE:
        case["debug"] = debug_alignment(model, path, info.language, segments[0])
        assert len(case["debug"]["aligned"]) > 0
    cases.append(case)
    print(folder, path, info.language, len(segments), "segments,", len(case["words"]), "words |",
          " ".join(s.text.strip() for s in segments))

text = json.dumps({"compute_type": "float32", "options": OPTIONS, "cases": cases}, ensure_ascii=False, indent=1)
text = re.sub(r"\[[-\d.,e\s]*\]", lambda m: re.sub(r"\s+", "", m.group(0)).replace(",", ", "), text)  # number lists on one line
with open("Tests/Fixtures/whisper/words.json", "w") as out:
    out.write(text + "\n")
print("wrote Tests/Fixtures/whisper/words.json", len(text.encode()), "bytes")
