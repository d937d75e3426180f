#!/usr/bin/env python3
"""Writes .build/bench/wer/set.json: recordings with the words said in them, for the accuracy
figures of `make bench-whisper`: the Whisper fixtures whose text is known, the 24 espeak-ng
utterances of the latency script cut out one by one (run make-latency-script.py first), and
"A Tale of Two Cities" read aloud (44 s, installed by `make models`)."""
import json, os, wave

OUT = ".build/bench/wer"
MODELS = os.environ.get("HARK_MODELS_DIR") or os.path.join(
    os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "hark/models")
FIXTURES = [
    ("beckett", "Tests/Fixtures/vad/beckett.flac", "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better."),
    ("espeak_noise", "Tests/Fixtures/vad/espeak_noise.flac",
     "Noise does not fool a good detector. Every word still reaches the session folder."),
    ("speech", "Tests/Fixtures/speech.wav", "The quick brown fox jumps over the lazy dog. Please save every word I say "
     "today. Recording speech is easier than it looks. One more sentence, and then we are done."),
    ("live_segment", "Tests/Fixtures/whisper/live_segment.flac", "Recording speech is easier than it looks."),
]
TWO_CITIES = ("It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
              "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
              "it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had "
              "everything before us, we had nothing before us, we were all going direct to Heaven, we were all going "
              "direct the other way - in short, the period was so far like the present period, that some of its "
              "noisiest authorities insisted on its being received, for good or for evil, in the superlative degree "
              "of comparison only.")

def main():
    os.makedirs(OUT, exist_ok=True)
    entries = [{"name": n, "file": f, "text": t} for n, f, t in FIXTURES]
    script = json.load(open(".build/bench/latency.json"))
    with wave.open(".build/bench/latency.wav") as w:
        rate, audio = w.getframerate(), w.readframes(w.getnframes())
    for i, line in enumerate(script["speech"]):
        start, end = max(0, int((line["start"] - 0.3) * rate)), int((line["end"] + 0.3) * rate)
        path = os.path.join(OUT, f"utterance{i + 1:02}.wav")
        with wave.open(path, "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
            w.writeframes(audio[2 * start:2 * end])
        entries.append({"name": f"utterance{i + 1:02}", "file": path, "text": line["text"]})
    entries.append({"name": "two_cities", "file": os.path.join(MODELS, "test-audio/two_cities.wav"), "text": TWO_CITIES})
    json.dump({"entries": entries}, open(os.path.join(OUT, "set.json"), "w"), indent=1)

if __name__ == "__main__":
    main()
