#!/usr/bin/env bash
# capture-ratio.sh: Kassa's captures/s on PostgreSQL against pgbench's
# TPC-B-like tps on the same server, at each concurrency, in interleaved
# rounds (pgbench, then Kassa) so that both see the same machine. Prints
# each round with its ratio, and the median of the rounds' ratios.
#
#   KASSA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/kassa_bench?sslmode=disable \
#     tools/bench/capture-ratio.sh [rounds] [captures per run]
#
# pgbench's database is "pgbench" on the same server, initialised with
# pgbench -i -s 16 pgbench.
set -euo pipefail
rounds=${1:-3}
captures=${2:-3000}
: "${KASSA_TEST_POSTGRES_URL:?set it to the benchmark database}"
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)/api.test
go test -c -o "$bin" ./api/
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
echo "concurrency round pgbench_tps kassa_captures_per_s ratio"
for c in 1 16 64; do
	ratios=()
	for r in $(seq "$rounds"); do
		p=$(pgbench -h 127.0.0.1 -U postgres -b tpcb-like -c "$c" -j 2 -T 15 pgbench 2>/dev/null | awk '/^tps/ {print $3}')
		k=$(cd api && "$bin" -test.run '^$' -test.bench "Capture/store=postgres/concurrency=$c\$" -test.benchtime "${captures}x" | awk '/captures\/s/ {print $(NF-1)}')
		ratio=$(awk -v k="$k" -v p="$p" 'BEGIN {printf "%.2f", k/p}')
		echo "$c $r $p $k $ratio"
		ratios+=("$ratio")
	done
	echo "$c median ratio $(printf '%s\n' "${ratios[@]}" | median)"
done
