#!/usr/bin/env python3
"""CTranslate2's Whisper encoder on one 30 s window, as faster-whisper runs it (its own log-mel
features of the file, padded to 3000 frames), median of 9 runs after a warm-up. One JSON line;
`make bench-whisper` sets it beside `hark-benchmarks encoder`.
   usage: bench-encoder-fw.py THREADS COMPUTE_TYPE MODEL_DIR FILE"""
import json, sys, time, wave
import numpy as np
import ctranslate2
from faster_whisper import WhisperModel

def main(threads, compute_type, model_dir, path):
    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads)
    with wave.open(path) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    features = model.feature_extractor(audio)
    window = np.zeros((features.shape[0], 3000), dtype=np.float32)
    window[:, :min(3000, features.shape[1])] = features[:, :3000]
    storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(window[None]))
    model.model.encode(storage, to_cpu=True)
    runs = []
    for _ in range(9):
        t = time.perf_counter()
        model.model.encode(storage, to_cpu=True)
        runs.append(time.perf_counter() - t)
    print(json.dumps({"implementation": "faster-whisper", "compute_type": compute_type, "threads": threads,
                      "encoder_ms": sorted(runs)[4] * 1000, "min_ms": min(runs) * 1000}))

if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])
