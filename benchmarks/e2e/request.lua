-- wrk script for benchmarks/e2e/run.sh (one thread: wrk -t1). Sends POST E2E_PATH with the headers of one line of the
-- request file E2E_FILE per request (the format: benchmarks/e2e/ProofGenerator/Program.cs), never the same line twice.
-- The whole file is read in init(), before wrk starts its clock; per request the work is one table read and one
-- string concatenation, the same for the DPoP and the JwtBearer side. When the file runs out it sends a request
-- the server answers with 404 and reports "exhausted": run.sh then fails the round rather than count a replay.
local file = os.getenv("E2E_FILE")
local path = os.getenv("E2E_PATH") or "/agents/register"
local values, prefix, exhausted_request
local next_value, count = 1, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(file, "r"))
  local fixed = f:read("*l")
  local name = f:read("*l")
  values = {}
  for line in f:lines() do
    count = count + 1
    values[count] = line
  end
  f:close()
  local host = wrk.host .. ":" .. wrk.port
  prefix = "POST " .. path .. " HTTP/1.1\r\nHost: " .. host .. "\r\nContent-Length: 0\r\n"
  if fixed ~= "" then
    prefix = prefix .. fixed .. "\r\n"
  end
  prefix = prefix .. name .. ": "
  exhausted_request = "POST /e2e-request-file-exhausted HTTP/1.1\r\nHost: " .. host .. "\r\nContent-Length: 0\r\n\r\n"
  exhausted = 0
  lines = count
end

function request()
  local value = values[next_value]
  if value == nil then
    exhausted = 1
    return exhausted_request
  end
  next_value = next_value + 1
  return prefix .. value .. "\r\n\r\n"
end

function done(summary, latency, requests)
  local thread = threads[1]
  io.write(string.format("e2e: lines=%d exhausted=%d\n", thread:get("lines"), thread:get("exhausted")))
end
