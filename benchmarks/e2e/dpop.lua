-- wrk script: every request carries the token and a proof never sent before (replay detection stays on).
-- Environment: E2E_DIR (token.txt, proofs.txt), E2E_PATH, E2E_SCHEME ("DPoP" sends proofs, "Bearer" sends none).
local dir = os.getenv("E2E_DIR")
local path = os.getenv("E2E_PATH")
local scheme = os.getenv("E2E_SCHEME") or "DPoP"
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  token = io.open(dir .. "/token.txt"):read("*l")
  proofs = {}
  local total = 0
  for line in io.lines(dir .. "/proofs.txt") do
    total = total + 1
    -- each thread takes every n-th proof, so no two threads send the same one
    if scheme == "DPoP" and (total - 1) % tonumber(os.getenv("E2E_THREADS")) == id then
      table.insert(proofs, line)
    end
  end
  next_proof = 1
end

function request()
  local headers = { ["Authorization"] = scheme .. " " .. token, ["Content-Length"] = "0" }
  if scheme == "DPoP" then
    if next_proof > #proofs then
      -- out of fresh proofs: a replay, which the server refuses (counted as non-2xx)
      next_proof = 1
    end
    headers["DPoP"] = proofs[next_proof]
    next_proof = next_proof + 1
  end
  return wrk.format("POST", path, headers)
end
