#!/usr/bin/env python3
"""Word error rate of each implementation, compute type and beam in RESULTS.jsonl against the
words said (SET.json), over every recording they all transcribed.
   usage: score-wer.py SET.json RESULTS.jsonl"""
import collections, json, re, sys

def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())

def distance(said, heard):
    row = list(range(len(heard) + 1))
    for i in range(1, len(said) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(heard) + 1):
            above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (said[i - 1] != heard[j - 1]))
            diagonal = above
    return row[-1]

truth = {e["name"]: words(e["text"]) for e in json.load(open(sys.argv[1]))["entries"]}
rows = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{") and '"name"' in l]
runs = collections.defaultdict(dict)
for r in rows:
    runs[(r["implementation"], r["compute_type"], r["beam"])][r["name"]] = r
common = set.intersection(*(set(v) for v in runs.values())) if runs else set()
for key in sorted(runs):
    errors = sum(distance(truth[n], words(runs[key][n]["text"])) for n in common)
    said = sum(len(truth[n]) for n in common)
    seconds = sum(runs[key][n].get("seconds", 0) for n in common)
    print(f"{key[0]:15} {key[1]:9} beam {key[2]}: WER {100 * errors / max(1, said):5.2f} % ({errors} of {said} words, "
          f"{len(common)} recordings), {seconds:.1f} s")
