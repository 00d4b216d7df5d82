#!/usr/bin/env bash
# Public pages against static files (issue 12): nginx (Debian's package, started here with a
# throw-away configuration, not part of the product) serves the very bytes nqtrack answers for
# each public page, and wrk measures both, one after the other, in the same run.
# Usage: bench/static.sh BASE_URL (a running nqtrack, e.g. on `generate --scale national` data).
# Needs wrk and nginx. CONNECTIONS (50) and DURATION (8s) as in the issue.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/static.sh BASE_URL}
CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-8s}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is required: apt-get install nginx" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

province=$(curl -fs "$BASE/api/v1/org-units?kind=province&q=dak%20lak" | json 'd["items"][0]["id"]')
programme=$(curl -fs "$BASE/api/v1/programmes" | json '[p["id"] for p in d if p["code"]=="03/NQ-CP"][0]')
code=$(curl -fs "$BASE/api/v1/feedback/published?per_page=1" | json 'd["items"][0]["code"]')
pages="/ /programmes/$programme /feedback /feedback/stats /org/$province /feedback/track/$code"

mkdir -p "$dir/www" "$dir/logs"
for p in $pages; do
  f="$dir/www${p%/}/index.html"
  mkdir -p "$(dirname "$f")"
  curl -fs "$BASE$p" -o "$f"
done
cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  default_type text/html;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
    location / { try_files \$uri/index.html =404; }
  }
}
EOF
"$NGINX" -c "$dir/nginx.conf" -p "$dir" 
trap '"$NGINX" -c "$dir/nginx.conf" -p "$dir" -s stop; rm -rf "$dir"' EXIT
sleep 0.5

rps() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$1" | awk '/Requests\/sec/{print $2}'; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; date: $(date -u +%F); wrk -t2 -c$CONNECTIONS -d$DURATION"
echo "| page | bytes | nginx req/s | nqtrack req/s | ratio |"
echo "|---|---|---|---|---|"
for p in $pages; do
  n=$(rps "http://127.0.0.1:$port$p")
  q=$(rps "$BASE$p")
  size=$(curl -fs "$BASE$p" | wc -c)
  echo "| \`$p\` | $size | $n | $q | $(python3 -c "print(f'{$q/$n:.2f}')") |"
done
