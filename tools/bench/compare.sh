#!/usr/bin/env bash
# compare.sh: Kassa against this machine's limits and against Medusa, in
# interleaved rounds so that every figure of a round sees the same machine.
# Each round runs, at concurrency 16 on the local PostgreSQL:
#   - pgbench's TPC-B-like transaction (tps);
#   - the durable-commit ceiling: pgbench committing one-row INSERTs
#     (-c 16 -j 2, commits/s);
#   - Kassa's BenchmarkLifecycle over HTTP on SQLite and on PostgreSQL
#     (flows/s, and the largest p99 of the flow's operations);
#   - Kassa's BenchmarkAcceptPayment (the payment module as a library) on
#     PostgreSQL (flows/s);
#   - when node and npm are installed, Medusa's payment module (npm
#     packages @medusajs/payment and @medusajs/framework, installed in a
#     temporary directory outside the repository) doing the same flow
#     (tools/bench/medusa/flow.js).
# It prints each round, then each figure's and each ratio's median. The
# PostgreSQL lifecycle's share of the ceiling is flows/s × commits per
# flow ÷ the ceiling's commits/s (TestLifecycleCost pins the commits).
# For that lifecycle it also prints the CPU a flow took, in ms: Kassa's
# process (server and benchmark client) and the whole machine
# (PostgreSQL's backends too), and the machine's CPU a flow may take at
# 40 % of the ceiling: cores × 1000 ÷ (0.4 × ceiling ÷ commits per flow).
#
#   tools/bench/compare.sh [rounds] [flows per Kassa run] [seconds per pgbench run] [flows per Medusa run]
#
# Databases (created when missing, on 127.0.0.1:5432 as postgres):
# pgbench (scale 16), kassa_bench (each Kassa benchmark makes a fresh
# schema in it), medusa_bench. MEDUSA_VERSION picks Medusa (2.21.2);
# MEDUSA_DIR is where its packages are installed (npm install, once),
# by default a directory under the user's cache.
set -euo pipefail
rounds=${1:-3}
flows=${2:-1000}
secs=${3:-15}
medusa_flows=${4:-200}
medusa_version=${MEDUSA_VERSION:-2.21.2}
medusa_dir=${MEDUSA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kassa-bench/medusa-$medusa_version}
commits_per_flow=6 # TestLifecycleCost: one per write of the purchase
pg=(-h 127.0.0.1 -U postgres)
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

db() { # db NAME: creates database NAME unless it exists
	psql "${pg[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1 ||
		psql "${pg[@]}" -d postgres -qc "CREATE DATABASE $1"
}
db pgbench
if ! psql "${pg[@]}" -d pgbench -tAc "SELECT to_regclass('pgbench_accounts')" | grep -q pgbench_accounts; then
	pgbench "${pg[@]}" -i -q -s 16 pgbench >/dev/null 2>&1
fi
psql "${pg[@]}" -d pgbench -qc 'CREATE TABLE IF NOT EXISTS commit_ceiling (id bigserial PRIMARY KEY, v int NOT NULL)'
echo 'INSERT INTO commit_ceiling (v) VALUES (1);' >"$tmp/insert.sql"
db kassa_bench
export KASSA_TEST_POSTGRES_URL=${KASSA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/kassa_bench?sslmode=disable}

(cd "$root" && go test -c -o "$tmp/api.test" ./api/ && go test -c -o "$tmp/paymod.test" ./paymod/)

medusa=
if command -v node >/dev/null && command -v npm >/dev/null; then
	db medusa_bench
	mkdir -p "$medusa_dir"
	if [ ! -d "$medusa_dir/node_modules/@medusajs/payment" ]; then
		(cd "$medusa_dir" && echo '{"private": true}' >package.json &&
			npm install --no-audit --no-fund --ignore-scripts "@medusajs/framework@$medusa_version" "@medusajs/payment@$medusa_version" >&2)
	fi
	cp "$root/tools/bench/medusa/flow.js" "$medusa_dir/"
	medusa="postgres://postgres@127.0.0.1:5432/medusa_bench"
else
	echo "node or npm missing: Medusa is not run" >&2
fi

# field NAME: the value before the unit NAME on a benchmark's result line.
field() { awk -v u="$1" '/^Benchmark/ {for (i = 2; i <= NF; i++) if ($i == u) print $(i-1)}'; }
# maxp99: the largest of the operations' p99 latencies, in ms.
maxp99() { awk '/^Benchmark/ {m = 0; for (i = 2; i <= NF; i++) if ($i ~ /-p99-ms$/ && $(i-1) > m) m = $(i-1); print m}'; }
tps() { pgbench "${pg[@]}" "$@" -c 16 -j 2 -T "$secs" pgbench 2>/dev/null | awk '/^tps/ {print $3}'; }
bench() { # bench BINARY DIR PATTERN
	(cd "$root/$2" && "$tmp/$1" -test.run '^$' -test.bench "$3" -test.benchtime "${flows}x")
}
median() { sort -n | awk '{v[NR] = $1} END {if (NR) print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'; }

cols=(tpcb ceiling lc_sqlite lc_sqlite_p99 lc_pg lc_pg_p99 pay_pg medusa pay_over_medusa lc_pg_ceiling_share lc_pg_kassa_cpu_ms lc_pg_machine_cpu_ms cpu_ms_at_40pct)
echo "round ${cols[*]}"
declare -A all
for r in $(seq "$rounds"); do
	declare -A v=()
	v[tpcb]=$(tps -b tpcb-like)
	v[ceiling]=$(tps -n -f "$tmp/insert.sql")
	out=$(bench api.test api 'Lifecycle/store=sqlite/concurrency=16$')
	v[lc_sqlite]=$(field flows/s <<<"$out")
	v[lc_sqlite_p99]=$(maxp99 <<<"$out")
	out=$(bench api.test api 'Lifecycle/store=postgres/concurrency=16$')
	v[lc_pg]=$(field flows/s <<<"$out")
	v[lc_pg_p99]=$(maxp99 <<<"$out")
	v[lc_pg_kassa_cpu_ms]=$(field process-cpu-ms/op <<<"$out")
	v[lc_pg_machine_cpu_ms]=$(field machine-cpu-ms/op <<<"$out")
	v[pay_pg]=$(bench paymod.test paymod 'AcceptPayment/store=postgres/concurrency=16$' | field flows/s)
	v[medusa]=- v[pay_over_medusa]=-
	if [ -n "$medusa" ]; then
		v[medusa]=$(cd "$medusa_dir" && node flow.js "$medusa" "$medusa_flows" 16 2>/dev/null | awk '/^flows\/s/ {print $2}') || true
		if [ -n "${v[medusa]}" ]; then
			v[pay_over_medusa]=$(awk -v k="${v[pay_pg]}" -v m="${v[medusa]}" 'BEGIN {printf "%.1f", k/m}')
		else
			v[medusa]=-
		fi
	fi
	v[lc_pg_ceiling_share]=$(awk -v f="${v[lc_pg]}" -v c="${v[ceiling]}" -v n="$commits_per_flow" 'BEGIN {printf "%.3f", f*n/c}')
	v[cpu_ms_at_40pct]=$(awk -v cores="$(nproc)" -v c="${v[ceiling]}" -v n="$commits_per_flow" 'BEGIN {printf "%.2f", cores*1000/(0.4*c/n)}')
	line="$r"
	for c in "${cols[@]}"; do
		line+=" ${v[$c]:--}"
		all[$c]+="${v[$c]:--} "
	done
	echo "$line"
done
line="median"
for c in "${cols[@]}"; do
	m=$(tr ' ' '\n' <<<"${all[$c]}" | grep -v '^-\?$' | median)
	line+=" ${m:--}"
done
echo "$line"
