-- wrk: the search API, cycling through the same queries as bench/search_fts.sql (PostgreSQL
-- full-text search), typed as people type them: with and without diacritics.
local queries = {
  "chu%20ky%20so", "d%E1%BB%AF%20li%E1%BB%87u%20quy%20ho%E1%BA%A1ch", "dich%20vu%20cong%20ho%20so",
  "s%C3%B3ng%20di%20%C4%91%E1%BB%99ng", "tro%20ly%20ao", "ky%20nang%20so%20can%20bo",
  "phan%20anh%20so%20123457", "doanh%20nghiep%20khoa%20hoc",
}
local i = 0
local suffix = os.getenv("SEARCH_TYPE") and ("&type=" .. os.getenv("SEARCH_TYPE")) or ""
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/search?q=" .. queries[(i % #queries) + 1] .. suffix)
end
dofile("bench/p95.lua")
