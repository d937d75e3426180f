#!/usr/bin/env python3
"""Streams a WAV to a Realtime transcription session through the official `openai` package and
prints what comes back, one JSON object per line: every server event's type, item, text, and its
arrival time in seconds since the first audio was sent ("t"). Used by Hark's tests and by
`make bench-realtime`; works against OpenAI's own endpoint too.

  realtime-client.py speech.wav [--base-url http://127.0.0.1:8765/v1] [--api-key TOKEN]
                     [--rate 24000] [--speed 1.0] [--no-vad] [--commit] [--save]
"""
import argparse, asyncio, base64, json, subprocess, sys, time
from typing import Any, cast

from openai import AsyncOpenAI


def pcm16(path: str, rate: int) -> bytes:
    # sox resamples to what the session declares (24 kHz is the API's rate).
    return subprocess.run(["sox", path, "-t", "raw", "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed", "-L", "-"],
                          check=True, capture_output=True).stdout


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("wav")
    ap.add_argument("--base-url", default="http://127.0.0.1:8765/v1")
    ap.add_argument("--api-key", default="none")
    ap.add_argument("--rate", type=int, default=24000)
    ap.add_argument("--speed", type=float, default=1.0, help="1 = real time; 0 = as fast as the socket takes it")
    ap.add_argument("--chunk-ms", type=int, default=100)
    ap.add_argument("--no-vad", action="store_true", help="turn_detection null: only commits cut")
    ap.add_argument("--commit", action="store_true", help="commit after the last audio")
    ap.add_argument("--save", action="store_true", help="ask the server to keep the utterances as a session (Hark's ?save=true)")
    ap.add_argument("--tail", type=float, default=15.0, help="seconds to wait for the last transcripts")
    args = ap.parse_args()
    audio = pcm16(args.wav, args.rate)
    step = args.rate * 2 * args.chunk_ms // 1000

    client = AsyncOpenAI(base_url=args.base_url, api_key=args.api_key)
    start = time.monotonic()

    def emit(**fields: Any) -> None:
        print(json.dumps({"t": round(time.monotonic() - start, 3), **fields}), flush=True)

    async with client.realtime.connect(model="whisper-1", extra_query={"intent": "transcription", **({"save": "true"} if args.save else {})}) as conn:
        detection = None if args.no_vad else {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                                              "silence_duration_ms": 500}
        await conn.session.update(session=cast(Any, {"type": "transcription", "audio": {"input": {
            "format": {"type": "audio/pcm", "rate": args.rate},
            "transcription": {"model": "whisper-1", "language": "en"}, "turn_detection": detection}}}))

        async def send() -> None:
            nonlocal start
            start = time.monotonic()
            for offset in range(0, len(audio), step):
                await conn.input_audio_buffer.append(audio=base64.b64encode(audio[offset:offset + step]).decode())
                if args.speed > 0:
                    due = start + (offset + step) / (args.rate * 2) / args.speed
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
            emit(type="client.audio_sent", seconds=len(audio) / (args.rate * 2))
            if args.commit:
                await conn.input_audio_buffer.commit()

        sender = None
        pending: set = set()
        sent_at = None
        while True:
            if sender is not None and sender.done():
                sent_at = sent_at or time.monotonic()
                waited = time.monotonic() - sent_at
                # Done: nothing pending 2 s after the audio ended (an item may still be cut from
                # its tail), or `tail` seconds in any case.
                if waited > args.tail or (not pending and waited > 2.0):
                    break
            try:
                event = await asyncio.wait_for(conn.recv(), 0.25)
            except asyncio.TimeoutError:
                continue
            kind = event.type
            fields: dict = {"type": kind}
            for name in ("item_id", "delta", "transcript", "audio_start_ms", "audio_end_ms"):
                value = getattr(event, name, None)
                if value is not None:
                    fields[name] = value
            if kind == "error":
                fields["error"] = {"type": event.error.type, "code": event.error.code, "message": event.error.message}
            if kind == "conversation.item.input_audio_transcription.completed":
                fields["usage"] = event.usage.model_dump() if event.usage is not None else None
            emit(**fields)
            if kind in ("session.updated", "transcription_session.updated") and sender is None:
                sender = asyncio.create_task(send())
            elif kind == "input_audio_buffer.committed":
                pending.add(event.item_id)
            elif kind in ("conversation.item.input_audio_transcription.completed",
                          "conversation.item.input_audio_transcription.failed"):
                pending.discard(event.item_id)
        if sender is not None:
            await sender
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
