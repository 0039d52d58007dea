-- Shared by every bench script: read environment, time the run, report one JSON line at the end.
-- BENCH_BODIES: a file with one request body (or bearer token) per line.
-- BENCH_CYCLE=1: start over at the end of the file; otherwise each line is used once (single-use
-- codes): when they run out the thread sends nothing more, waits for the answers still in flight,
-- and then ends the whole run at once (SIGINT to wrk's main thread, which then prints as usual),
-- so the rate is answers / time actually spent, never diluted by idle seconds.
-- Timing: LuaJIT's ffi reads CLOCK_MONOTONIC at the first request and at every answer; the rate
-- is answers / (last answer - first request). One wrk thread (-t1) is assumed for the early end.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk, bench_timespec *tp);
  int kill(int pid, int sig);
  int getpid(void);
]]
local M = {}
local threads = {}
local ts = ffi.new("bench_timespec")

--- Microseconds on the monotonic clock.
function M.now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

function M.lines(path)
  local t = {}
  for line in io.lines(path) do
    if line ~= "" then t[#t + 1] = line end
  end
  return t
end

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

-- wrk calls request() once on the first thread right after init() to check the script; that
-- request is never sent. Scripts answer it without using up a body, a token or a counter.
local verified = false
function M.is_verification()
  if index == 1 and not verified then
    verified = true
    return true
  end
  return false
end

-- Per-thread state (each wrk thread has its own Lua state; these are its globals).
t_first, t_last, sent, answered, drained, stopped = 0, 0, 0, 0, 0, 0

-- End the whole run now: SIGINT wakes wrk's main thread from its -d sleep (it then joins the
-- threads and calls done() as usual), and this thread stops its event loop.
local function finish()
  stopped = 1
  ffi.C.kill(ffi.C.getpid(), 2)
  wrk.thread:stop()
end

--- Call when a request is handed to wrk.
function M.sent()
  if t_first == 0 then t_first = M.now() end
  sent = sent + 1
end

--- Call at every answer; ends the run when the work ran out and every answer is in.
--- The first answer of a thread that did not contain BENCH_EXPECT, on stderr (run.ts shows it
--- beside the row), so an "errors" figure always comes with its cause.
function M.first_bad(status, body)
  io.stderr:write(string.format("BENCH_FIRST_BAD %d %s\n", status, string.sub(body or "", 1, 300):gsub("\n", " ")))
end

function M.answered()
  t_last = M.now()
  answered = answered + 1
  if drained == 1 and answered >= sent then finish() end
end

--- The single-use work ran out: send nothing more on this connection (an empty request writes
--- nothing and waits for nothing); the last answer ends the run.
function M.out_of_work()
  drained = 1
  if answered >= sent then finish() end
  return ""
end

function M.done(summary, latency, requests)
  local bad, drained_all, stopped_all, first, last = 0, 0, 0, nil, nil
  for _, t in ipairs(threads) do
    bad = bad + (t:get("bad") or 0)
    drained_all = drained_all + (t:get("drained") or 0)
    stopped_all = stopped_all + (t:get("stopped") or 0)
    local f, l = t:get("t_first") or 0, t:get("t_last") or 0
    if f > 0 and (first == nil or f < first) then first = f end
    if l > 0 and (last == nil or l > last) then last = l end
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout + bad
  local window = summary.duration
  if first and last and last > first then window = last - first end
  io.write(string.format(
    '\nBENCH_RESULT {"requests":%d,"duration_us":%d,"window_us":%d,"rps":%.1f,"p50_us":%d,"p99_us":%d,"errors":%d,"status_errors":%d,"bad_bodies":%d,"drained":%d,"stopped":%d}\n',
    summary.requests, summary.duration, window, summary.requests / (window / 1e6),
    latency:percentile(50), latency:percentile(99), errors, e.status, bad, drained_all, stopped_all))
end

return M
