-- POST form bodies from BENCH_BODIES to BENCH_PATH (code exchange, introspection, router, echo, login).
-- BENCH_EXPECT: a string every good response body contains (else counted as an error).
-- BENCH_EXPECT_STATUS: the HTTP status of every good response (else counted as an error; e.g. 303 for a login).
-- Without BENCH_CYCLE=1 each body is sent once and the run ends when all are answered (common.lua).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local bodies, i, cycle, expect, expect_status, path, cookie
local shown = false
bad = 0

function init(args)
  bodies = common.lines(os.getenv("BENCH_BODIES"))
  cycle = os.getenv("BENCH_CYCLE") == "1"
  expect = os.getenv("BENCH_EXPECT")
  expect_status = tonumber(os.getenv("BENCH_EXPECT_STATUS") or "")
  path = os.getenv("BENCH_PATH")
  cookie = os.getenv("BENCH_COOKIE")
  i = 0
end

function request()
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  if common.is_verification() then return wrk.format("POST", path, headers, bodies[1]) end
  i = i + 1
  if i > #bodies then
    if cycle then i = 1 else return common.out_of_work() end
  end
  common.sent()
  return wrk.format("POST", path, headers, bodies[i])
end

function response(status, headers, body)
  if expect and expect ~= "" and not string.find(body, expect, 1, true) then
    if bad == 0 then common.first_bad(status, body) end
    bad = bad + 1
  elseif expect_status and status ~= expect_status then
    -- wrk already counts a status of 400 or more as an error: shown here once, counted once.
    if not shown then common.first_bad(status, body) end
    shown = true
    if status < 400 then bad = bad + 1 end
  end
  common.answered()
end
