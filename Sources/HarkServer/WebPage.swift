/// The page `hark serve` shows at `/`: one file, no build step, no third-party scripts. With a
/// token, open it as `/#token=TOKEN` (kept in the tab's sessionStorage, never sent in the URL
/// except to the event stream and audio, which browsers fetch without headers).
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hark</title>
<style>
  :root { --bg:#111418; --panel:#1b2027; --text:#e6e9ee; --dim:#8b95a3; --rec:#e5484d; --ok:#46a758; --accent:#3e8ed0; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:14px 20px; background:var(--panel); }
  h1 { font-size:20px; margin:0 12px 0 0; letter-spacing:.5px; }
  button { font:inherit; border:0; border-radius:6px; padding:8px 18px; cursor:pointer; color:#fff; background:var(--accent); }
  button#record { min-width:120px; font-weight:600; }
  button#record.recording, button#dictate.recording { background:var(--rec); }
  button#dictate { background:#2b3440; }
  select { font:inherit; background:var(--bg); color:var(--text); border:1px solid #333; border-radius:6px; padding:6px; }
  #status { color:var(--dim); }
  main { display:grid; grid-template-columns: 2fr 1fr; gap:18px; padding:18px 20px; }
  section { background:var(--panel); border-radius:8px; padding:14px 16px; min-height:120px; }
  h2 { font-size:14px; text-transform:uppercase; color:var(--dim); margin:0 0 10px; letter-spacing:.8px; }
  .meter { height:14px; background:#0b0d10; border-radius:7px; overflow:hidden; margin:6px 0 12px; }
  .meter > div { height:100%; width:0; background:var(--ok); transition:width 80ms linear; }
  #vad.speech { color:var(--ok); font-weight:600; }
  ol { list-style:none; padding:0; margin:0; }
  li.segment { display:grid; grid-template-columns: 42px 70px 1fr; gap:8px; padding:6px 0; border-top:1px solid #262c35; }
  li.segment .state { color:var(--dim); font-size:12px; }
  li.segment .text.pending { color:var(--dim); font-style:italic; }
  li.segment .text.partial { font-style:normal; color:var(--text); }
  li.segment .text .unstable { color:var(--dim); }
  li.session { padding:6px 0; border-top:1px solid #262c35; cursor:pointer; }
  li.session:hover { color:var(--accent); }
  audio { height:28px; width:100%; }
  #searchForm input { width:100%; font:inherit; background:var(--bg); color:var(--text); border:1px solid #333; border-radius:6px; padding:7px 10px; }
  #searchNote { color:var(--dim); font-size:13px; margin:6px 0; }
  li.hit { padding:6px 0; border-top:1px solid #262c35; }
  li.hit .where { color:var(--dim); font-size:12px; }
  li.hit .where a { color:var(--accent); }
  li.hit mark { background:#6b5a12; color:#fff; border-radius:3px; padding:0 2px; }
  li.session.open { color:var(--accent); }
  #error { color:var(--rec); padding:0 20px; }
</style>
</head>
<body>
<header>
  <h1>Hark</h1>
  <button id="record">Record</button>
  <button id="dictate" title="Stream this browser's microphone to the server (/v1/realtime); saved as a session">🎙 Record from this browser</button>
  <label>VAD <select id="mode"></select></label>
  <span id="status">connecting…</span>
</header>
<div id="error"></div>
<main>
  <section>
    <h2>Live</h2>
    <div>Level <span id="levelText">–</span></div>
    <div class="meter"><div id="level"></div></div>
    <div>Voice: <span id="vad">silence</span></div>
    <h2 style="margin-top:16px">Segments <span id="sessionName"></span></h2>
    <ol id="segments"></ol>
    <h2 style="margin-top:16px">From this browser</h2>
    <ol id="dictation"></ol>
  </section>
  <section>
    <h2>Search</h2>
    <form id="searchForm" role="search"><input id="q" type="search" placeholder='words, "a phrase", prefix*' aria-label="Search what was said"></form>
    <div id="searchNote"></div>
    <ol id="hits"></ol>
    <h2 style="margin-top:16px">Sessions</h2>
    <ol id="sessions"></ol>
  </section>
</main>
<script>
const hashToken = new URLSearchParams(location.hash.slice(1)).get("token");
if (hashToken) { sessionStorage.setItem("harkToken", hashToken); history.replaceState(null, "", location.pathname); }
const token = sessionStorage.getItem("harkToken");
const $ = id => document.getElementById(id);
const withToken = url => token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;
let recording = false, currentSession = null;

async function api(method, path, body) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = (response.headers.get("content-type") || "").includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error(data && data.error ? data.error.message : "HTTP " + response.status);
  return data;
}
function showError(error) { $("error").textContent = error ? String(error.message || error) : ""; }

function showStatus(status) {
  recording = status.recording;
  $("record").textContent = recording ? "■ Stop" : "● Record";
  $("record").classList.toggle("recording", recording);
  $("status").textContent = recording ? "recording " + status.sessionID : "idle · " + status.input;
  const modes = [];
  for (const d of status.availableVADModes) for (const s of ["low", "normal", "high"]) modes.push(d + (s === "normal" ? "" : ":" + s));
  const select = $("mode");
  if (select.options.length !== modes.length) select.innerHTML = modes.map(m => `<option>${m}</option>`).join("");
  select.value = status.vadMode;
}

function segmentRow(id) {
  let row = document.querySelector(`li.segment[data-id="${id}"]`);
  if (!row) {
    row = document.createElement("li");
    row.className = "segment"; row.dataset.id = id;
    row.innerHTML = `<span>#${id}</span><span class="state">saved</span><span class="text pending">…</span>`;
    $("segments").appendChild(row);
  }
  return row;
}
function setText(id, text, state) {
  const row = segmentRow(id);
  row.querySelector(".state").textContent = state;
  const cell = row.querySelector(".text");
  cell.textContent = text; cell.classList.toggle("pending", state !== "done"); cell.classList.remove("partial");
}
// The utterance being spoken: stable words as they are, the unstable tail dimmed, until the final.
function setPartial(e) {
  const row = segmentRow(e.segmentID), cell = row.querySelector(".text");
  if (row.dataset.final) return;
  row.querySelector(".state").textContent = e.tentativeFinal ? "pausing" : "speaking";
  const stable = document.createElement("span"), unstable = document.createElement("span");
  stable.className = "stable"; stable.textContent = e.stable;
  unstable.className = "unstable"; unstable.textContent = e.unstable;
  cell.replaceChildren(stable, unstable);
  cell.classList.add("pending", "partial");
}

const handlers = {
  recordingStarted: e => { currentSession = e.sessionID; $("segments").innerHTML = ""; $("sessionName").textContent = e.sessionID; refresh(); },
  recordingStopped: () => { refresh(); loadSessions(); },
  audioLevel: e => { const db = 20 * Math.log10(Math.max(e.rms, 1e-5));
                     $("levelText").textContent = db.toFixed(1) + " dB"; $("level").style.width = Math.max(0, Math.min(100, (db + 70) * 100 / 70)) + "%"; },
  speechDetected: e => { $("vad").textContent = e.isSpeech ? "SPEECH " + e.probability.toFixed(2) : "silence";
                         $("vad").classList.toggle("speech", e.isSpeech); },
  segmentSaved: e => segmentRow(e.segment.id),
  transcriptionQueued: e => { const row = segmentRow(e.segmentID);
                              if (row.querySelector(".text.partial")) row.querySelector(".state").textContent = "queued";
                              else setText(e.segmentID, "…", "queued"); },
  transcriptionPartial: e => setPartial(e),
  transcriptionComplete: e => { segmentRow(e.segmentID).dataset.final = "1"; setText(e.segmentID, e.text || "(no speech)", "done"); loadSessions(); },
  transcriptionFailed: e => { segmentRow(e.segmentID).dataset.final = "1"; setText(e.segmentID, "failed: " + e.reason, "failed"); },
  vadModeChanged: () => refresh(),
  recorderError: e => showError(e.message),
  audioDropped: e => showError("audio dropped: " + JSON.stringify(e)),
};
function connect() {
  const source = new EventSource(withToken("/api/events"));
  for (const [name, handle] of Object.entries(handlers)) source.addEventListener(name, m => handle(JSON.parse(m.data)));
  source.onopen = () => { showError(""); refresh(); };
  source.onerror = () => $("status").textContent = "reconnecting…";
}

async function refresh() { try { showStatus(await api("GET", "/api/recorder")); } catch (e) { showError(e); } }

async function loadSessions() {
  try {
    const sessions = await api("GET", "/api/sessions");
    $("sessions").innerHTML = "";
    for (const s of sessions) {
      const li = document.createElement("li");
      li.className = "session";
      li.dataset.id = s.id;
      li.textContent = `${s.id} · ${s.segments} segments · ${s.transcribed} transcribed`;
      li.onclick = () => openSession(s.id, li);
      $("sessions").appendChild(li);
    }
  } catch (e) { showError(e); }
}
async function openSession(id, li) {
  const manifest = await api("GET", "/api/sessions/" + encodeURIComponent(id));
  const list = document.createElement("ol");
  for (const seg of manifest.segments) {
    const item = document.createElement("li");
    const t = seg.transcription;
    item.innerHTML = `<div>#${seg.id} ${t && t.state === "done" ? "" : "(" + (t ? t.state : "untranscribed") + ")"}</div>`;
    item.querySelector("div").append(t && t.text ? " " + t.text : "");
    const audio = document.createElement("audio");
    audio.controls = true; audio.preload = "none";
    audio.src = withToken(`/api/sessions/${encodeURIComponent(id)}/segments/${seg.id}`);
    item.appendChild(audio);
    list.appendChild(item);
  }
  li.replaceChildren(li.firstChild, list);
}

// Search: /api/search with the box's text (FTS5 syntax); each hit shows its words marked,
// plays its segment, and opens its session in the list below.
function clock(seconds) {
  const m = Math.floor(seconds / 60), s = (seconds - m * 60).toFixed(1);
  return `${String(m).padStart(2, "0")}:${s.padStart(4, "0")}`;
}
function hitRow(hit) {
  const li = document.createElement("li");
  li.className = "hit";
  const where = document.createElement("div");
  where.className = "where";
  const link = document.createElement("a");
  link.href = "#"; link.textContent = hit.session;
  link.onclick = async ev => {
    ev.preventDefault();
    let row = document.querySelector(`li.session[data-id="${CSS.escape(hit.session)}"]`);
    if (!row) { await loadSessions(); row = document.querySelector(`li.session[data-id="${CSS.escape(hit.session)}"]`); }
    if (row) { await openSession(hit.session, row); row.classList.add("open"); row.scrollIntoView({ block: "nearest" }); }
  };
  where.append(link, ` · ${clock(hit.start)}${hit.language && hit.language !== "en" ? " · " + hit.language : ""}`);
  const text = document.createElement("div");
  text.className = "text";
  let at = 0;
  for (const [from, to] of hit.matches) {
    text.append(hit.text.slice(at, from));
    const mark = document.createElement("mark");
    mark.textContent = hit.text.slice(from, to);
    text.append(mark);
    at = to;
  }
  text.append(hit.text.slice(at));
  const audio = document.createElement("audio");
  audio.controls = true; audio.preload = "none"; audio.src = withToken(hit.audio);
  li.append(where, text, audio);
  return li;
}
$("searchForm").onsubmit = async ev => {
  ev.preventDefault();
  const q = $("q").value.trim();
  $("hits").replaceChildren();
  $("searchNote").textContent = "";
  if (!q) return;
  try {
    const page = await api("GET", "/api/search?limit=50&q=" + encodeURIComponent(q));
    $("searchNote").textContent = page.hits.length ? `${page.hits.length}${page.hasMore ? "+" : ""} found` : "Nothing matches.";
    for (const hit of page.hits) $("hits").appendChild(hitRow(hit));
  } catch (e) { $("searchNote").textContent = String(e.message || e); }
};

$("record").onclick = async () => {
  $("record").disabled = true;
  try { showStatus(await api("POST", recording ? "/api/recorder/stop" : "/api/recorder/start")); showError(""); }
  catch (e) { showError(e); }
  $("record").disabled = false;
  loadSessions();
};
$("mode").onchange = async () => { try { showStatus(await api("PUT", "/api/recorder/vad-mode", { mode: $("mode").value })); } catch (e) { showError(e); } };

// Dictation from this browser: its microphone → an AudioWorklet (PCM16, 100 ms frames) → the
// OpenAI-compatible /v1/realtime socket, which cuts, saves and transcribes the utterances. The
// token goes as a subprotocol: browsers cannot set headers on a WebSocket.
const pcm16Worklet = `class PCM16 extends AudioWorkletProcessor {
  constructor() {
    super(); this.frame = new Int16Array(2400); this.filled = 0;
    // Asked on stop: the part-filled frame goes too, then "flushed".
    this.port.onmessage = () => {
      if (this.filled) { const rest = this.frame.slice(0, this.filled); this.port.postMessage(rest.buffer, [rest.buffer]); this.filled = 0; }
      this.port.postMessage("flushed");
    };
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (input) for (let i = 0; i < input.length; i++) {
      const v = Math.max(-1, Math.min(1, input[i]));
      this.frame[this.filled++] = v < 0 ? v * 32768 : v * 32767;
      if (this.filled === this.frame.length) { this.port.postMessage(this.frame.buffer, [this.frame.buffer]); this.frame = new Int16Array(2400); this.filled = 0; }
    }
    return true;
  }
}
registerProcessor("pcm16", PCM16);`;
let dictation = null;

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
function dictationRow(item) {
  let row = document.querySelector(`#dictation li[data-item="${item}"]`);
  if (!row) {
    row = document.createElement("li");
    row.className = "segment"; row.dataset.item = item;
    row.innerHTML = `<span>#${item.replace("item_", "")}</span><span class="state">speaking</span><span class="text partial pending"></span>`;
    $("dictation").appendChild(row);
  }
  return row;
}
const dictationHandlers = {
  "input_audio_buffer.speech_started": e => dictationRow(e.item_id),
  "input_audio_buffer.committed": e => { const row = dictationRow(e.item_id); if (!row.dataset.final) row.querySelector(".state").textContent = "queued"; },
  "conversation.item.input_audio_transcription.delta": e => {
    const row = dictationRow(e.item_id);
    if (!row.dataset.final) row.querySelector(".text").textContent += e.delta;
  },
  "conversation.item.input_audio_transcription.completed": e => {
    const row = dictationRow(e.item_id), cell = row.querySelector(".text");
    row.dataset.final = "1"; row.querySelector(".state").textContent = "done";
    cell.textContent = e.transcript || "(no speech)"; cell.classList.remove("partial", "pending");
    loadSessions();
  },
  "conversation.item.input_audio_transcription.failed": e => {
    const row = dictationRow(e.item_id);
    row.dataset.final = "1"; row.querySelector(".state").textContent = "failed"; row.querySelector(".text").textContent = e.error.message;
  },
  error: e => showError(e.error.message),
};

async function startDictation() {
  const media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
  // The context runs at the API's rate, so the browser resamples the microphone.
  const context = new AudioContext({ sampleRate: 24000 });
  await context.audioWorklet.addModule(URL.createObjectURL(new Blob([pcm16Worklet], { type: "text/javascript" })));
  const node = new AudioWorkletNode(context, "pcm16");
  context.createMediaStreamSource(media).connect(node);
  await context.resume();
  const protocols = ["realtime"].concat(token ? ["openai-insecure-api-key." + token] : []);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/realtime?intent=transcription&save=true`, protocols);
  dictation = { media, context, node, ws };
  ws.onopen = () => ws.send(JSON.stringify({ type: "session.update", session: { type: "transcription", audio: { input: {
    format: { type: "audio/pcm", rate: 24000 }, transcription: { model: "whisper-1" },
    turn_detection: { type: "server_vad", threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 } } } } }));
  ws.onmessage = m => { const e = JSON.parse(m.data); const handle = dictationHandlers[e.type]; if (handle) handle(e); };
  ws.onclose = e => { if (e.code !== 1000) showError("The realtime connection closed (" + e.code + (e.reason ? ": " + e.reason : "") + ")."); stopDictation(false); };
  node.port.onmessage = m => {
    if (m.data === "flushed") { if (node.onflushed) node.onflushed(); return; }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "input_audio_buffer.append", audio: base64(m.data) }));
  };
}

// Stops the microphone; what is being said is committed, and the socket closes once its text is in.
async function stopDictation(commit) {
  if (!dictation) return;
  const { media, context, node, ws } = dictation;
  dictation = null;
  if (commit) {
    // The last part-frame (up to 100 ms) is sent before the commit, not dropped.
    const flushed = new Promise(resolve => { node.onflushed = resolve; setTimeout(resolve, 500); });
    node.port.postMessage("flush");
    await flushed;
  }
  media.getTracks().forEach(t => t.stop());
  context.close();
  if (commit && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify({ type: "input_audio_buffer.commit" }));
    const waiting = () => document.querySelectorAll("#dictation li:not([data-final])").length > 0;
    for (let i = 0; i < 50 && waiting(); i++) await new Promise(r => setTimeout(r, 200));
  }
  // Closed on every path: a socket left open would hold one of the server's realtime places.
  if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
  showDictation();
  loadSessions();
}
function showDictation() {
  $("dictate").textContent = dictation ? "■ Stop browser recording" : "🎙 Record from this browser";
  $("dictate").classList.toggle("recording", !!dictation);
}
$("dictate").onclick = async () => {
  $("dictate").disabled = true;
  try { if (dictation) await stopDictation(true); else { await startDictation(); showError(""); } }
  catch (e) { showError(e); stopDictation(false); }
  $("dictate").disabled = false;
  showDictation();
};

refresh(); loadSessions(); connect();
</script>
</body>
</html>
"""#
}
