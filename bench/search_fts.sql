-- pgbench: PostgreSQL full-text search (tsvector over unaccented text, GIN index, ranked) on the
-- same queries as bench/search.lua: what most peers use, as a yardstick.
\set r random(1, 8)
SELECT id FROM bench_fts, plainto_tsquery('simple', unaccent((ARRAY['chu ky so', 'dữ liệu quy hoạch', 'dich vu cong ho so', 'sóng di động', 'tro ly ao', 'ky nang so can bo', 'phan anh so 123457', 'doanh nghiep khoa hoc'])[:r])) q WHERE v @@ q ORDER BY ts_rank(v, q) DESC LIMIT 20;
