#!/usr/bin/env python3
"""Reference numbers for Hark's Swift Silero VAD, from the official implementation.

Writes Tests/Fixtures/vad/*.flac (16 kHz mono PCM16, lossless) and reference.json holding, per
file, every chunk's probability from onnxruntime running silero-vad 6.2.3's `silero_vad.onnx`
(through silero-vad's own OnnxWrapper, one thread), and the regions `get_speech_timestamps`
returns with default and with custom parameters.

Audio: real recordings from PyPI moonshine-voice 0.1.5 `assets/` (resampled with
scipy.signal.resample_poly in float64, then PCM16), and espeak-ng speech in white noise.
The tests read the committed PCM16 files, so the references are computed on exactly those samples.

Run by `make silero-reference` (needs network access to PyPI; not part of CI).
"""
import hashlib, json, os, subprocess, sys, tempfile, wave, zipfile
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly
import torch
from silero_vad import load_silero_vad, get_speech_timestamps

OUT = "Tests/Fixtures/vad"
MOONSHINE = ("moonshine-voice==0.1.5", "moonshine_voice-0.1.5-py3-none-manylinux_2_34_x86_64.whl",
             "1ed9e0ccf94be4845d69e7fa862dcf4c8b5801a758796966494c694f48184496")
RECORDINGS = ["beckett.wav", "endgame_nagg_nell.wav"]   # two_cities.wav (44 s) is left out for size
CUSTOM = dict(threshold=0.6, neg_threshold=0.3, min_speech_duration_ms=100, min_silence_duration_ms=300,
              speech_pad_ms=50, max_speech_duration_s=5.0)

def moonshine_assets(cache):
    wheel = os.path.join(cache, MOONSHINE[1])
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", cache, MOONSHINE[0]], check=True)
    digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
    if digest != MOONSHINE[2]:
        sys.exit(f"{wheel}: sha256 {digest}, expected {MOONSHINE[2]}")
    return zipfile.ZipFile(wheel)

def read_wav(data):
    with wave.open(data) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768

def to_pcm16(x):
    return np.clip(np.round(x * 32768), -32768, 32767).astype("<i2")

def save_flac(name, pcm, folder):
    wav = os.path.join(folder, name + ".wav")
    with wave.open(wav, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(pcm.tobytes())
    subprocess.run(["sox", wav, os.path.join(OUT, name + ".flac")], check=True)

def espeak_in_noise(folder):
    rng = np.random.default_rng(11)
    parts = []
    for i, text in enumerate(["Noise does not fool a good detector.",
                              "Every word still reaches the session folder."]):
        raw = os.path.join(folder, f"e{i}.wav")
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", raw, text], check=True)
        res = os.path.join(folder, f"e{i}-16k.wav")
        subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", res], check=True)
        parts += [np.zeros(int(1.2 * 16000)), read_wav(res)[1] * 0.5]
    parts.append(np.zeros(16000))
    x = np.concatenate(parts)
    return x + rng.normal(0, 0.02, len(x))   # about -34 dBFS of white noise

def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    model = load_silero_vad(onnx=True)   # silero_vad.onnx through silero-vad's OnnxWrapper
    files = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.environ.get("HARK_PIP_CACHE", os.path.join(".build", "wheels"))
        os.makedirs(cache, exist_ok=True)
        assets = moonshine_assets(cache)
        sources = []
        for name in RECORDINGS:
            rate, x = read_wav(assets.open(f"moonshine_voice/assets/{name}"))
            ratio = Fraction(16000, rate)
            y = x if rate == 16000 else resample_poly(x, ratio.numerator, ratio.denominator)
            sources.append((name.removesuffix(".wav"), to_pcm16(y.astype(np.float32).astype(np.float64))))
        sources.append(("espeak_noise", to_pcm16(espeak_in_noise(tmp))))
        for name, pcm in sources:
            save_flac(name, pcm, tmp)
            audio = torch.from_numpy(pcm.astype(np.float32) / 32768)
            model.reset_states()
            probs = []
            for start in range(0, len(audio), 512):
                chunk = audio[start:start + 512]
                if len(chunk) < 512:
                    chunk = torch.nn.functional.pad(chunk, (0, 512 - len(chunk)))
                probs.append(float(model(chunk, 16000).item()))
            files.append({
                "name": name, "file": name + ".flac", "samples": len(pcm), "probabilities": probs,
                "timestamps": get_speech_timestamps(audio, model),
                "customTimestamps": get_speech_timestamps(audio, model, **CUSTOM),
            })
            print(f"{name}: {len(pcm) / 16000:.2f} s, {len(probs)} chunks")
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"model": "silero-vad 6.2.3 silero_vad.onnx (onnxruntime)", "custom": CUSTOM, "files": files}, f)
        f.write("\n")

if __name__ == "__main__":
    main()
