-- Refresh with rotation: each answer's new refresh token goes back in the queue, like a client
-- that always keeps the newest one. BENCH_BODIES holds the starting refresh tokens (one chain
-- per grant, more chains than connections); BENCH_AUTH is the form suffix with client credentials.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local queue, head, tail, auth, path
bad, starved = 0, 0

function init(args)
  queue = common.lines(os.getenv("BENCH_BODIES"))
  head, tail = 1, #queue
  auth = os.getenv("BENCH_AUTH")
  path = os.getenv("BENCH_PATH")
end

function request()
  local tok
  if common.is_verification() then
    return wrk.format("POST", path, { ["Content-Type"] = "application/x-www-form-urlencoded" }, "grant_type=refresh_token")
  end
  if head <= tail then
    tok = queue[head]
    queue[head] = nil
    head = head + 1
  else
    -- Every chain is in flight (fewer chains than connections): counted as an error.
    starved = starved + 1
    tok = "none"
  end
  common.sent()
  return wrk.format("POST", path, { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "grant_type=refresh_token&refresh_token=" .. tok .. auth)
end

function response(status, headers, body)
  local tok = string.match(body, '"refresh_token":"([^"]+)"')
  if status == 200 and tok then
    tail = tail + 1
    queue[tail] = tok
  else
    bad = bad + 1
  end
  common.answered()
end
