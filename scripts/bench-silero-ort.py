#!/usr/bin/env python3
"""onnxruntime's cost per Silero VAD chunk on a 16 kHz file: silero-vad 6.2.3's `silero_vad.onnx`,
one thread, the per-chunk loop with the 64-sample context and state carried (as silero-vad's
OnnxWrapper does). Prints one JSON line; `make bench-silero` sets it beside Hark's figure."""
import json, sys, time, wave
import numpy as np
import onnxruntime as ort
from importlib.resources import files

def main(path, repeats=7):
    with wave.open(path) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = str(files("silero_vad").joinpath("data/silero_vad.onnx"))
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    chunks = len(x) // 512
    sr = np.array(16000, dtype=np.int64)
    runs = []
    for _ in range(repeats):
        state = np.zeros((2, 1, 128), dtype=np.float32)
        context = np.zeros((1, 64), dtype=np.float32)
        start = time.perf_counter()
        for i in range(chunks):
            chunk = x[i * 512:(i + 1) * 512][None, :]
            inputs = np.concatenate([context, chunk], axis=1)
            out, state = session.run(None, {"input": inputs, "state": state, "sr": sr})
            context = inputs[:, -64:]
        runs.append((time.perf_counter() - start) / chunks * 1e6)
    print(json.dumps({"implementation": f"onnxruntime {ort.__version__}", "file": path, "chunks": chunks,
                      "streaming_us_per_chunk": round(float(np.median(runs)), 2),
                      "streaming_runs": [round(r, 2) for r in runs]}))

if __name__ == "__main__":
    main(sys.argv[1])
