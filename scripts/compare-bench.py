#!/usr/bin/env python3
"""Sets Hark's and a reference's JSON-lines benchmark results side by side (same file, threads,
beam) and prints the ratio of wall times.   usage: compare-bench.py RESULTS.jsonl"""
import json, os, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
key = lambda r: (os.path.basename(r["file"]), r.get("threads"), r.get("beam", 1))
hark = {key(r): r for r in rows if r["implementation"] == "hark-swift"}
for r in rows:
    if r["implementation"] == "hark-swift" or key(r) not in hark:
        continue
    h = hark[key(r)]
    print(f"{key(r)[0]:28} threads {key(r)[1]} beam {key(r)[2]}: hark {h['seconds']:.3f} s, {r['implementation']} "
          f"{r['seconds']:.3f} s -> {h['seconds'] / r['seconds']:.2f}x; load {h['load_seconds']:.2f} vs "
          f"{r['load_seconds']:.2f} s; peak RSS {h['peak_rss_mb']:.0f} vs {r['peak_rss_mb']:.0f} MB; same text: {h['text'] == r['text']}")
