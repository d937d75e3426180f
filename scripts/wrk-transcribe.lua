-- wrk script: POSTs one WAV to /v1/audio/transcriptions as multipart/form-data and counts the
-- answers by status (200 transcribed, 429 queue full). Set WAV to the file's path.
local path = os.getenv("WAV")
local file = assert(io.open(path, "rb"), "set WAV to a .wav file")
local audio = file:read("*a")
file:close()

local boundary = "hark-wrk-boundary"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
  'Content-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n' ..
  "--" .. boundary .. "\r\n" ..
  'Content-Disposition: form-data; name="file"; filename="utterance.wav"\r\n' ..
  "Content-Type: audio/wav\r\n\r\n" .. audio .. "\r\n" ..
  "--" .. boundary .. "--\r\n"

local threads = {}
function setup(thread) table.insert(threads, thread) end

counts = {}   -- global: done() reads each thread's copy with thread:get
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local line = "statuses:"
  for status, n in pairs(total) do line = line .. " " .. status .. "=" .. n end
  print(line)
  print(string.format("seconds=%.1f requests=%d throughput=%.2f/s p50=%.0fms p95=%.0fms max=%.0fms",
    summary.duration / 1e6, summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency.max / 1000))
end
