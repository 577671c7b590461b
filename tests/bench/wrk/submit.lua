-- submitNeed with a fresh idempotency key on every request (a repeat would be answered from
-- the first submission without writing, which would flatter the write path).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
local auth = os.getenv("WRK_AUTHORIZATION")
if auth and auth ~= "" then wrk.headers["authorization"] = auth end

local prefix = os.getenv("WRK_KEY_PREFIX") or "bench"
local villages = { "16010101", "16010102", "16010103", "16010104" }
local counter = 0
local query = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode status } }"

function request()
  counter = counter + 1
  local body = string.format(
    '{"query":"%s","variables":{"i":{"villageCode":"%s","description":"ផ្លូវលំភូមិ លេខ %d ខូចខាត","sector":"ECONOMIC","idempotencyKey":"%s-%d"}}}',
    query, villages[(counter % #villages) + 1], counter, prefix, counter)
  return wrk.format(nil, nil, nil, body)
end

dofile(os.getenv("WRK_SCRIPTS") .. "/errors.lua")
