-- wrk: routing suggestions for open feedback items, cycling through the ids in $IDS.
local ids = {}
for id in string.gmatch(os.getenv("IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/feedback/" .. ids[(i % #ids) + 1] .. "/suggestions")
end
dofile("bench/p95.lua")
