# A `hark worker`'s memory after a greedy and a beam-5 job on the fixture (VmRSS now, VmHWM its peak).
# From the repository: python3 scripts/probe-worker-rss.py .build/release/hark
import subprocess, json, sys
p = subprocess.Popen([sys.argv[1], "worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
p.stdout.readline()
for beam in (1, 5):
    p.stdin.write(json.dumps({"type": "job", "id": beam, "file": "Tests/Fixtures/speech.wav", "beamSize": beam}) + "\n"); p.stdin.flush()
    p.stdout.readline()
status = open(f"/proc/{p.pid}/status").read()
print({l.split(':')[0]: l.split(':')[1].strip() for l in status.splitlines() if l.startswith(("VmRSS", "VmHWM"))})
p.stdin.close(); p.wait()
