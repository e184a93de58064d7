-- wrk script for bench/oneclick.py: RFC 8058 one-click POSTs, each to its own token.
-- Usage: wrk ... -s bench/oneclick.lua URL -- PATH_PREFIX TOKEN_FILE THREADS [METHOD]
-- METHOD is POST (the default: the one-click body) or GET (the page a scanner fetches).
-- Each thread takes every THREADS-th line of TOKEN_FILE (its own slice) and walks it
-- once; `wrapped` in the summary says whether a thread ran out and reused tokens
-- (a reused token is the idempotent no-op, so a run that wraps is not a fair run).

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  prefix = args[1]
  local path, nthreads = args[2], tonumber(args[3])
  tokens = {}
  local i = 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % nthreads == id then tokens[#tokens + 1] = line end
      i = i + 1
    end
  end
  pos, wrapped, non2xx, responses = 0, 0, 0, 0
  method = args[4] or "POST"
  if method == "GET" then
    body, headers = nil, {}
  else
    body = "List-Unsubscribe=One-Click"
    headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  end
end

function request()
  pos = pos + 1
  if pos > #tokens then
    pos, wrapped = 1, wrapped + 1
  end
  return wrk.format(method, prefix .. tokens[pos] .. "/", headers, body)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local non2xx_total, wrapped_total, responses_total = 0, 0, 0
  for _, t in ipairs(threads) do
    non2xx_total = non2xx_total + t:get("non2xx")
    wrapped_total = wrapped_total + t:get("wrapped")
    responses_total = responses_total + t:get("responses")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "responses": %d, "duration_us": %d, "non2xx": %d, '
    .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
    .. '"status_errors": %d, "wrapped": %d, "latency_us": {"mean": %.1f, "p50": %d, '
    .. '"p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, responses_total, summary.duration, non2xx_total,
    e.connect, e.read, e.write, e.timeout, e.status, wrapped_total,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
