#!/usr/bin/env python3
"""Reference numbers for Hark's Swift Whisper, from faster-whisper (CTranslate2) on the same model.

For each test recording (16 kHz PCM16 files committed under Tests/Fixtures), writes to
Tests/Fixtures/whisper/:
  <name>.features.f32   log-mel features of faster-whisper's FeatureExtractor, float32, 80 × N,
                        for every 10th frame of the 30 s window (frames listed in reference.json)
  reference.json        greedy tokens and text (beam_size=1, temperature=0, without_timestamps,
                        condition_on_previous_text=False), no-speech probability and average
                        log-probability; beam-5 tokens and text with the same options; the same
                        two with compute_type int8 (int8Greedy, int8Beam5), which Hark's int8 and
                        bfloat16 must hear no worse; and the words said, where known.
Run by `make whisper-reference` (needs the reference environment; not part of CI).
"""
import json, os, subprocess, sys, tempfile, wave
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.feature_extractor import FeatureExtractor

MODEL = os.environ.get("HARK_WHISPER_MODEL", os.path.expanduser("~/.local/share/hark/models/whisper-tiny.en"))
FILES = {
    "beckett": "Tests/Fixtures/vad/beckett.flac",
    "endgame_nagg_nell": "Tests/Fixtures/vad/endgame_nagg_nell.flac",
    "espeak_noise": "Tests/Fixtures/vad/espeak_noise.flac",
    "speech": "Tests/Fixtures/speech.wav",
    # A segment Hark cut live (the fixture played through the virtual microphone): short, and
    # ending 0.2 s after its speech, where the window's last feature frame matters.
    "live_segment": "Tests/Fixtures/whisper/live_segment.flac",
}
# The words said in the recordings, where known (espeak-ng's scripts, Beckett's words).
SAID = {
    "beckett": "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.",
    "espeak_noise": "Noise does not fool a good detector. Every word still reaches the session folder.",
    "speech": "The quick brown fox jumps over the lazy dog. Please save every word I say today. "
              "Recording speech is easier than it looks. One more sentence, and then we are done.",
    "live_segment": "Recording speech is easier than it looks.",
}
OUT = "Tests/Fixtures/whisper"
OPTIONS = dict(temperature=0.0, without_timestamps=True, condition_on_previous_text=False, vad_filter=False,
               language="en")

def read(path):
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "a.wav")
        subprocess.run(["sox", path, "-b", "16", wav], check=True)
        with wave.open(wav) as w:
            assert w.getframerate() == 16000 and w.getnchannels() == 1
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768

def main():
    os.makedirs(OUT, exist_ok=True)
    model = WhisperModel(MODEL, device="cpu", compute_type="float32", cpu_threads=2)
    int8 = WhisperModel(MODEL, device="cpu", compute_type="int8", cpu_threads=2)
    extractor = FeatureExtractor()
    result = {"model": MODEL, "options": OPTIONS, "featureStride": 10, "files": []}
    for name, path in FILES.items():
        audio = read(path)
        features = extractor(audio)                      # 80 × frames, whole file
        window = np.zeros((80, 3000), dtype=np.float32)  # pad_or_trim to 30 s, as transcribe does
        window[:, :min(3000, features.shape[1])] = features[:, :3000]
        frames = list(range(0, 3000, 10))
        window[:, frames].T.astype("<f4").tofile(os.path.join(OUT, f"{name}.features.f32"))
        entry = {"name": name, "file": path, "samples": len(audio), "featureFrames": int(features.shape[1]),
                 "frames": frames}
        for label, beam in (("greedy", 1), ("beam5", 5)):
            segments, _ = model.transcribe(audio, beam_size=beam, **OPTIONS)
            segments = list(segments)
            entry[label] = {
                "tokens": [t for s in segments for t in s.tokens],
                "text": "".join(s.text for s in segments).strip(),
                "noSpeechProb": [s.no_speech_prob for s in segments],
                "avgLogprob": [s.avg_logprob for s in segments],
            }
        for label, beam in (("int8Greedy", 1), ("int8Beam5", 5)):
            segments, _ = int8.transcribe(audio, beam_size=beam, **OPTIONS)
            entry[label] = {"text": "".join(s.text for s in segments).strip()}
        if name in SAID:
            entry["said"] = SAID[name]
        print(f"{name}: {entry['greedy']['text']!r}")
        result["files"].append(entry)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

if __name__ == "__main__":
    main()
