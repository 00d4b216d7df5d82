-- wrk script: POST one heartbeat per request, to entries FIRST..FIRST+COUNT-1 in turn, with the
-- token in TOKEN (environment). Figures change with each call.
local first = tonumber(os.getenv("FIRST") or "1")
local count = tonumber(os.getenv("COUNT") or "1000")
local token = os.getenv("TOKEN") or ""
local counter = 0
request = function()
  counter = counter + 1
  local id = first + (counter % count)
  local body = string.format('{"records": %d, "checked": 100, "valid": %d, "complete": %d}', 1000 + counter % 500, 90 + counter % 10, 900 + counter % 100)
  return wrk.format("POST", "/api/v1/catalogue/" .. id .. "/heartbeat",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.2fms p95=%.2fms p99=%.2fms requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, errors))
end
