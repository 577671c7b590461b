-- GraphQL answers errors with status 200, so wrk's non-2xx count misses them: each thread
-- counts bodies naming "errors" and the main state sums them at the end.
local threads = {}
function setup(thread) table.insert(threads, thread) end

graphql_errors = 0
function response(status, headers, body)
  if status ~= 200 or (body and string.find(body, '"errors"', 1, true)) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("graphql_errors") or 0) end
  io.write(string.format("khum_errors %d\n", total))
end
