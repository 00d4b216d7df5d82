-- wrk script: POST one public submission per request, each with its own title.
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"kind":"report","category":"public_services","title":"Phan anh so ' .. counter ..
    '","body":"Cong dich vu cong bao loi khi nop ho so truc tuyen vao buoi sang.","submitter_kind":"citizen"}'
  return wrk.format("POST", "/api/v1/feedback", {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.2fms p95=%.2fms p99=%.2fms requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, errors))
end
