#!/usr/bin/env python3
"""Load on `hark serve`'s /v1/realtime: N clients of OpenAI's own `openai` package stream the speech
fixture at real time, at once, and we measure how long after each sentence ends its final
transcript arrives. For N = 1, 2, … it starts a fresh server allowing N connections, and stops at the
first N whose finals miss the target (p95 ≤ --target s) or that loses anything: an error event,
a missing transcript, or audio the client could not send on time (the server reads at the client's
pace and pushes back when full, so dropped audio would show as send lag or an error, never silently).
Then, with the largest good N running, one more client connects and we report what it gets.

Run with the test Python (make test-env): .build/test-venv/bin/python scripts/bench-realtime.py HARK
  [--from-clients 1] [--max-clients 16] [--loops 2] [--target 1.5] [--stagger 0]
Prints one JSON line per N and a summary; `make bench-realtime` runs it on the release build.
"""
import argparse, asyncio, base64, json, math, os, re, shutil, statistics, subprocess, sys, tempfile, time
from typing import Any, cast

from openai import AsyncOpenAI

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "Tests", "Fixtures", "speech")
RATE = 24000
CHUNK_MS = 100
TRANSCRIPTION = "conversation.item.input_audio_transcription"


def pcm16(path: str, loops: int) -> bytes:
    once = subprocess.run(["sox", path, "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed", "-L", "-"],
                          check=True, capture_output=True).stdout
    return once * loops


def sentence_ends(loops: int) -> list[float]:
    known = json.load(open(FIXTURE + ".json"))
    return [loop * known["duration"] + s["end"] for loop in range(loops) for s in known["speech"]]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def tree_rss_kb(pid: int) -> int:
    """The server's resident memory with its worker processes."""
    total, pending = 0, [pid]
    while pending:
        p = pending.pop()
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p}/status").read()).group(1))
            for task in os.listdir(f"/proc/{p}/task"):
                pending += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except (OSError, AttributeError):
            pass
    return total


class Server:
    def __init__(self, hark: str, connections: int, token: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="hark-bench-realtime-")
        self.log = open(os.path.join(self.folder, "serve.log"), "w+")
        self.process = subprocess.Popen([hark, "serve", "--port", "0", "--out", os.path.join(self.folder, "sessions"),
                                         "--realtime-connections", str(connections)],
                                        env={**os.environ, "HARK_TOKEN": token}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.log.seek(0)
            found = re.search(r"listening on http://[^\s:]+:(\d+)", self.log.read())
            if found:
                self.port = int(found.group(1))
                return
            time.sleep(0.1)
        raise SystemExit("hark serve did not start: see " + self.log.name)

    def stop(self) -> None:
        self.process.send_signal(2)
        self.process.wait(60)
        shutil.rmtree(self.folder, ignore_errors=True)


async def stream(base_url: str, token: str, audio: bytes, ends: list[float], delay: float) -> dict[str, Any]:
    """One client: returns each sentence's final latency, errors and how late its audio went out."""
    await asyncio.sleep(delay)
    client = AsyncOpenAI(base_url=base_url, api_key=token)
    finals: list[tuple[float, str]] = []
    deltas = 0
    errors: list[str] = []
    lag = 0.0
    start = 0.0
    step = RATE * 2 * CHUNK_MS // 1000
    async with client.realtime.connect(model="whisper-1", extra_query={"intent": "transcription"}) as conn:
        await conn.session.update(session=cast(Any, {"type": "transcription", "audio": {"input": {
            "format": {"type": "audio/pcm", "rate": RATE}, "transcription": {"model": "whisper-1", "language": "en"},
            "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}}}}))

        async def send() -> None:
            nonlocal start, lag
            start = time.monotonic()
            for offset in range(0, len(audio), step):
                lag = max(lag, time.monotonic() - (start + offset / (RATE * 2)))
                await conn.input_audio_buffer.append(audio=base64.b64encode(audio[offset:offset + step]).decode())
                await asyncio.sleep(max(0.0, start + (offset + step) / (RATE * 2) - time.monotonic()))

        sender = None
        done_at = None
        while done_at is None or time.monotonic() < done_at:
            if sender is not None and sender.done() and done_at is None:
                sender.result()
                done_at = time.monotonic() + 5.0   # the last sentence's hangover and transcription
            try:
                event = await asyncio.wait_for(conn.recv(), 0.25)
            except asyncio.TimeoutError:
                continue
            now = time.monotonic()
            if event.type == "session.updated" and sender is None:
                sender = asyncio.create_task(send())
            elif event.type == f"{TRANSCRIPTION}.delta":
                deltas += 1
            elif event.type == f"{TRANSCRIPTION}.completed":
                finals.append((now - start, event.transcript))
            elif event.type in ("error", f"{TRANSCRIPTION}.failed"):
                errors.append(json.dumps(event.model_dump(exclude_none=True))[:300])
    # Each final belongs to the first sentence that ended before it arrived and has no final yet.
    latencies: list[float] = []
    remaining = list(ends)
    for arrived, _ in finals:
        ended = [e for e in remaining if e <= arrived]
        if ended:
            latencies.append(arrived - ended[0])
            remaining.remove(ended[0])
    return {"latencies": latencies, "missing": len(remaining), "extra": len(finals) - len(latencies),
            "errors": errors, "send_lag": lag, "deltas": deltas, "texts": [t for _, t in finals]}


async def one_more(base_url: str, token: str) -> dict[str, Any]:
    """A client past the limit: what it is told, and how the socket ends."""
    client = AsyncOpenAI(base_url=base_url, api_key=token)
    got: dict[str, Any] = {}
    try:
        async with client.realtime.connect(model="whisper-1", extra_query={"intent": "transcription"}) as conn:
            while True:
                event = await asyncio.wait_for(conn.recv(), 10)
                if event.type == "error":
                    got["error"] = {"type": event.error.type, "code": event.error.code, "message": event.error.message}
    except Exception as closed:  # the websockets library's ConnectionClosed carries the close frame
        frame = getattr(closed, "rcvd", None)
        got["close"] = {"code": getattr(frame, "code", None), "reason": getattr(frame, "reason", None)} if frame else repr(closed)
    return got


async def run(hark: str, n: int, audio: bytes, ends: list[float], stagger: float, probe: bool) -> dict[str, Any]:
    token = f"bench-{os.getpid()}"
    server = Server(hark, n, token)
    base_url = f"http://127.0.0.1:{server.port}/v1"
    try:
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, tree_rss_kb(server.process.pid))
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        clients = [asyncio.create_task(stream(base_url, token, audio, ends, i * stagger)) for i in range(n)]
        extra = None
        if probe:
            await asyncio.sleep(2 + n * stagger)
            extra = await one_more(base_url, token)
        results = await asyncio.gather(*clients, return_exceptions=True)
        watcher.cancel()
    finally:
        server.stop()
    failed = [repr(r) for r in results if isinstance(r, BaseException)]
    good = [r for r in results if isinstance(r, dict)]
    latencies = [x for r in good for x in r["latencies"]]
    row = {"clients": n, "finals": len(latencies), "expected": n * len(ends),
           "missing": sum(r["missing"] for r in good), "errors": sum(len(r["errors"]) for r in good) + len(failed),
           "max_send_lag_s": round(max([r["send_lag"] for r in good] or [0]), 3),
           "server_peak_rss_mb": round(peak / 1024),
           # Partial text is best effort: under load partial runs are skipped, finals go first.
           "deltas_per_final": round(sum(r["deltas"] for r in good) / max(1, len(latencies)), 1),
           "p50_s": round(statistics.median(latencies), 3) if latencies else None,
           "p95_s": round(percentile(latencies, 95), 3) if latencies else None,
           "max_s": round(max(latencies), 3) if latencies else None}
    if failed or any(r["errors"] for r in good):
        row["error_samples"] = (failed + [e for r in good for e in r["errors"]])[:3]
    if extra is not None:
        row["one_more_client"] = extra
    return row


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("hark")
    ap.add_argument("--from-clients", type=int, default=1, help="first N tried (the ones below are taken to hold)")
    ap.add_argument("--max-clients", type=int, default=16)
    ap.add_argument("--loops", type=int, default=2, help="times the 16 s fixture plays per client (4 sentences each)")
    ap.add_argument("--target", type=float, default=1.5, help="p95 of end of sentence → final, seconds")
    ap.add_argument("--stagger", type=float, default=0.0,
                    help="seconds between client starts; 0 (the default) is the worst case: all stop speaking together")
    args = ap.parse_args()
    audio, ends = pcm16(FIXTURE + ".wav", args.loops), sentence_ends(args.loops)

    def holds(row: dict[str, Any]) -> bool:
        return (row["errors"] == 0 and row["missing"] == 0 and row["max_send_lag_s"] < 0.5
                and row["p95_s"] is not None and row["p95_s"] <= args.target)

    best = 0
    for n in range(args.from_clients, args.max_clients + 1):
        row = await run(args.hark, n, audio, ends, args.stagger, probe=False)
        row["holds"] = holds(row)
        print(json.dumps(row), flush=True)
        if not row["holds"]:
            break
        best = n
    if best:
        row = await run(args.hark, best, audio, ends, args.stagger, probe=True)
        print(json.dumps({"at_limit": best, **row}), flush=True)
    print(f"largest N with finals p95 ≤ {args.target} s after end of speech and nothing lost: {best}"
          f" (2 cores here: {os.cpu_count()} CPUs)", flush=True)
    return 0 if best else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
