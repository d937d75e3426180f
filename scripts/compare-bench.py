#!/usr/bin/env python3
"""Sets Hark's and faster-whisper's JSON-lines benchmark results side by side (same file, threads,
beam): wall time per compute type and the ratios that matter — Hark int8 and bfloat16 against
faster-whisper int8, Hark float32 against faster-whisper float32 — with peak RSS and whether the
texts agree.   usage: compare-bench.py RESULTS.jsonl"""
import collections, json, os, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
table = collections.defaultdict(dict)
for r in rows:
    key = (os.path.basename(r["file"]), r.get("threads"), r.get("beam", 1))
    table[key][(r["implementation"], r.get("compute_type", "float32"))] = r
for key in sorted(table):
    cell = table[key]
    def seconds(impl, ct):
        r = cell.get((impl, ct))
        return r["seconds"] if r else None
    parts = []
    for impl, ct in [("faster-whisper", "float32"), ("faster-whisper", "int8"), ("hark-swift", "float32"),
                     ("hark-swift", "int8"), ("hark-swift", "bfloat16")]:
        s = seconds(impl, ct)
        if s is not None:
            parts.append(f"{'fw' if impl == 'faster-whisper' else 'hark'} {ct} {s * 1000:.0f} ms")
    ratios = []
    for ct, ref in [("int8", "int8"), ("bfloat16", "int8"), ("float32", "float32")]:
        h, f = seconds("hark-swift", ct), seconds("faster-whisper", ref)
        if h and f:
            ratios.append(f"hark {ct}/fw {ref} {h / f:.2f}x")
    same = [f"{ct} text {'same' if cell[('hark-swift', ct)]['text'] == cell[('faster-whisper', ct)]['text'] else 'differs'}"
            for ct in ("float32", "int8") if ("hark-swift", ct) in cell and ("faster-whisper", ct) in cell]
    rss = [f"{ct} {r['peak_rss_mb']:.0f}" for (impl, ct), r in sorted(cell.items()) if impl == "hark-swift"]
    print(f"{key[0]:24} threads {key[1]} beam {key[2]}: " + ", ".join(parts))
    print(f"{'':24} " + "; ".join(ratios + same) + "; hark peak RSS MB: " + ", ".join(rss))
