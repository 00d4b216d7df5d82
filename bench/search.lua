-- wrk: the search API, cycling through the same queries as bench/search_fts.sql (PostgreSQL
-- full-text search), typed as people type them: with and without diacritics.
-- SEARCH_DISTINCT=1: a query drawn at random instead (two or three of 80 words of the generated
-- texts: 6,400 pairs and 512,000 triples, each thread with its own seed), so that the answers
-- come from the index rather than from the search's cache of answers.
local queries = {
  "chu%20ky%20so", "d%E1%BB%AF%20li%E1%BB%87u%20quy%20ho%E1%BA%A1ch", "dich%20vu%20cong%20ho%20so",
  "s%C3%B3ng%20di%20%C4%91%E1%BB%99ng", "tro%20ly%20ao", "ky%20nang%20so%20can%20bo",
  "phan%20anh%20so%20123457", "doanh%20nghiep%20khoa%20hoc",
}
local words = {
  "chu", "ky", "so", "du", "lieu", "quy", "hoach", "dich", "vu", "cong", "ho", "song", "di",
  "dong", "tro", "ly", "ao", "nang", "can", "bo", "doanh", "nghiep", "khoa", "hoc", "xa",
  "phuong", "tinh", "mot", "cua", "thu", "tuc", "truc", "tuyen", "chung", "thuc", "khai",
  "sinh", "mang", "internet", "cap", "quang", "camera", "den", "duong", "dien", "ket", "qua",
  "he", "thong", "phan", "mem", "ung", "dung", "tai", "khoan", "dinh", "danh", "dien", "tu",
  "thanh", "toan", "hoc", "phi", "truong", "y", "te", "benh", "vien", "dat", "dai", "nong",
  "nghiep", "san", "pham", "ocop", "giao", "thong", "trang", "thong", "tin",
}
local i = 0
local distinct = os.getenv("SEARCH_DISTINCT") ~= nil
local suffix = os.getenv("SEARCH_TYPE") and ("&type=" .. os.getenv("SEARCH_TYPE")) or ""
local seeded = false
request = function()
  i = i + 1
  local q = queries[(i % #queries) + 1]
  if distinct then
    if not seeded then
      math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
      seeded = true
    end
    local n = math.random(2, 3)
    local t = {}
    for _ = 1, n do t[#t + 1] = words[math.random(#words)] end
    q = table.concat(t, "%20")
  end
  return wrk.format("GET", "/api/v1/search?q=" .. q .. suffix)
end
dofile("bench/p95.lua")
