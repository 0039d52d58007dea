-- Shared by every bench script: read environment, report one JSON line at the end.
-- BENCH_BODIES: a file with one request body (or bearer token) per line.
-- BENCH_CYCLE=1: start over at the end of the file; otherwise each line is used once
-- and the thread stops when they run out (single-use codes).
local M = {}
local threads = {}

function M.lines(path)
  local t = {}
  for line in io.lines(path) do
    if line ~= "" then t[#t + 1] = line end
  end
  return t
end

function M.setup(thread)
  table.insert(threads, thread)
end

function M.done(summary, latency, requests)
  local bad, exhausted = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("bad") or 0)
    exhausted = exhausted + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout + bad
  io.write(string.format(
    '\nBENCH_RESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p99_us":%d,"errors":%d,"status_errors":%d,"bad_bodies":%d,"exhausted":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), errors, e.status, bad, exhausted))
end

return M
