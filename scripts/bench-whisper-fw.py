#!/usr/bin/env python3
"""faster-whisper's wall time per file on the same model as Hark (the given compute type and beam,
temperature 0, without timestamps, no VAD), model loaded once, median of 3 runs. One JSON line
per file; `make bench-whisper` sets them beside Hark's.
   usage: bench-whisper-fw.py THREADS BEAM COMPUTE_TYPE MODEL_DIR FILE..."""
import json, resource, sys, time, wave
import numpy as np
from faster_whisper import WhisperModel

def main(threads, beam, compute_type, model_dir, files):
    start = time.perf_counter()
    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads)
    load = time.perf_counter() - start
    for path in files:
        with wave.open(path) as w:
            audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            segments, _ = model.transcribe(audio, beam_size=beam, temperature=0.0, without_timestamps=True,
                                           condition_on_previous_text=False, vad_filter=False, language="en")
            text = "".join(s.text for s in segments).strip()
            runs.append(time.perf_counter() - t)
        print(json.dumps({"implementation": "faster-whisper", "compute_type": compute_type, "file": path,
                          "threads": threads, "beam": beam,
                          "load_seconds": load, "seconds": sorted(runs)[1], "runs": runs, "text": text,
                          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:])
