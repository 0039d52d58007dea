-- GET BENCH_PATH with "Authorization: Bearer <token>", cycling through the tokens in BENCH_BODIES.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local tokens, i, path, expect
bad = 0

function init(args)
  tokens = common.lines(os.getenv("BENCH_BODIES"))
  path = os.getenv("BENCH_PATH")
  expect = os.getenv("BENCH_EXPECT")
  i = 0
end

function request()
  if common.is_verification() then return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[1] }) end
  i = i % #tokens + 1
  common.sent()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
end

function response(status, headers, body)
  if expect and expect ~= "" and not string.find(body, expect, 1, true) then
    if bad == 0 then common.first_bad(status, body) end
    bad = bad + 1
  end
  common.answered()
end
