# How fast a running `hark worker` job stops on a cancel line (worker protocol 2): the same
# 16 s file at beam 5, run whole and cancelled after 0.1, 0.3 and 0.6 s. Run from the repository
# after `swift build -c release --product hark`:  python3 scripts/probe-worker-cancel.py
import subprocess, json, time, sys
p = subprocess.Popen([".build/release/hark", "worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
print("hello", p.stdout.readline().strip())
f = "Tests/Fixtures/speech.wav"
for delay in [None, 0.1, 0.3, 0.6]:
    for rep in range(3):
        t0 = time.monotonic()
        p.stdin.write(json.dumps({"type": "job", "id": 1, "file": f, "beamSize": 5, "timestamps": False}) + "\n"); p.stdin.flush()
        if delay is not None:
            time.sleep(delay); tc = time.monotonic()
            p.stdin.write(json.dumps({"type": "cancel", "id": 1}) + "\n"); p.stdin.flush()
        reply = json.loads(p.stdout.readline())
        t1 = time.monotonic()
        kind = reply["type"] + ("/" + reply["error"]["code"] if reply["type"] == "error" else "")
        print(f"cancel after {delay}: {kind}, job {1000*(t1-t0):.0f} ms" + (f", cancel→answer {1000*(t1-tc):.0f} ms" if delay is not None else ""))
p.stdin.close(); p.wait()
