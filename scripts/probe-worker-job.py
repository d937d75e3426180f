#!/usr/bin/env python3
"""One utterance through a running `hark worker`, end to end as the recorder sees it: the job line
written → its result line read (WAV read, mel, encoder, decoding, reply), median of 10 jobs after
one to warm up, per compute type; and the worker's RSS between jobs.
   usage: probe-worker-job.py HARK FILE [BEAM]"""
import json, statistics, subprocess, sys, time

def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0

def main(hark, path, beam=1):
    for compute_type in ("float32", "int8", "bfloat16"):
        worker = subprocess.Popen([hark, "worker", "--compute-type", compute_type], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
        worker.stdout.readline()                      # ready
        times = []
        for job in range(11):
            start = time.perf_counter()
            worker.stdin.write(json.dumps({"type": "job", "id": job + 1, "file": path, "beamSize": int(beam),
                                           "timestamps": False}) + "\n")
            worker.stdin.flush()
            while True:
                reply = json.loads(worker.stdout.readline())
                if reply["type"] != "started":
                    break
            if job > 0:
                times.append(time.perf_counter() - start)
        print(f"{compute_type:9} beam {beam}: job {1000 * statistics.median(times):.0f} ms median "
              f"(min {1000 * min(times):.0f}), RSS between jobs {rss(worker.pid):.0f} MB: {reply.get('text', reply)}")
        worker.stdin.close()
        worker.wait()

if __name__ == "__main__":
    main(*sys.argv[1:])
