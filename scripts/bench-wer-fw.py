#!/usr/bin/env python3
"""faster-whisper's transcripts of the accuracy set (make-wer-set.py), one JSON line per
recording, for score-wer.py to set beside Hark's: whole files (its own 30 s windows), temperature
0, without timestamps, no VAD.   usage: bench-wer-fw.py COMPUTE_TYPE BEAM MODEL_DIR SET.json"""
import json, subprocess, sys, tempfile, time, wave
import numpy as np
from faster_whisper import WhisperModel

def read(path):
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["sox", path, "-r", "16000", "-c", "1", "-b", "16", tmp.name], check=True)
        with wave.open(tmp.name) as w:
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768

def main(compute_type, beam, model_dir, set_path):
    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=2)
    for entry in json.load(open(set_path))["entries"]:
        audio = read(entry["file"])
        start = time.perf_counter()
        segments, _ = model.transcribe(audio, beam_size=int(beam), temperature=0.0, without_timestamps=True,
                                       condition_on_previous_text=False, vad_filter=False, language="en")
        text = "".join(s.text for s in segments).strip()
        print(json.dumps({"implementation": "faster-whisper", "compute_type": compute_type, "beam": int(beam),
                          "name": entry["name"], "text": text, "seconds": time.perf_counter() - start}), flush=True)

if __name__ == "__main__":
    main(*sys.argv[1:5])
