#!/usr/bin/env bash
# End to end on loopback: the published sample, started twice (DPoP scheme; and again with the validated-token cache),
# each also serving the same endpoint behind plain JwtBearer (same app, same token signer). wrk drives each for
# DURATION seconds with a never-used proof per request, then the ratios are printed.
# usage: benchmarks/e2e/run.sh [duration seconds, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
threads=2
connections=32
proofs=300000

if ! command -v wrk >/dev/null 2>&1; then
  sudo=""; if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

dotnet publish samples/Arcp.DPoP.SampleApi -c Release -o "$work/api" --nologo -v q
dotnet build benchmarks/e2e/ProofGenerator -c Release --nologo -v q -o "$work/gen"

start() { # port, extra settings...
  local port=$1; shift
  env ASPNETCORE_ENVIRONMENT=Development Benchmark__CompareJwtBearer=true Logging__LogLevel__Default=Warning "$@" \
    dotnet "$work/api/Arcp.DPoP.SampleApi.dll" --contentRoot "$work/api" --urls "http://127.0.0.1:$port" >"$work/api-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null && return 0; sleep 0.1; done
  echo "the sample did not start on port $port" >&2; cat "$work/api-$port.log" >&2; exit 1
}

drive() { # port, path, scheme, data dir -> requests/s
  local port=$1 path=$2 scheme=$3 dir=$4
  E2E_DIR=$dir E2E_PATH=$path E2E_SCHEME=$scheme E2E_THREADS=$threads \
    wrk -t$threads -c$connections -d"${duration}s" -s benchmarks/e2e/dpop.lua "http://127.0.0.1:$port" >"$work/wrk.txt"
  local errors
  errors=$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+' "$work/wrk.txt" | grep -Eo '[0-9]+$' || echo 0)
  local rps
  rps=$(grep -Eo 'Requests/sec: +[0-9.]+' "$work/wrk.txt" | grep -Eo '[0-9.]+$')
  echo "  $scheme $path on :$port: $rps requests/s, $errors errors" >&2
  if [ "$errors" != "0" ]; then cat "$work/wrk.txt" >&2; fi
  echo "$rps"
}

run() { # label, port
  local label=$1 port=$2
  # warm up both endpoints (JIT, caches), then measure with fresh proofs
  "$work/gen/ProofGenerator" "http://127.0.0.1:$port" /bench/dpop/register 40000 "$work/warm-$port" >&2
  "$work/gen/ProofGenerator" "http://127.0.0.1:$port" /bench/bearer/register 1 "$work/bearer-$port" >&2
  duration=2 drive "$port" /bench/dpop/register DPoP "$work/warm-$port" >/dev/null
  duration=2 drive "$port" /bench/bearer/register Bearer "$work/bearer-$port" >/dev/null
  local bearer dpop
  bearer=$(drive "$port" /bench/bearer/register Bearer "$work/bearer-$port")
  "$work/gen/ProofGenerator" "http://127.0.0.1:$port" /bench/dpop/register "$proofs" "$work/data-$port" >&2
  dpop=$(drive "$port" /bench/dpop/register DPoP "$work/data-$port")
  echo "$label: DPoP/JwtBearer = $(awk -v a="$dpop" -v b="$bearer" 'BEGIN { printf "%.2f", a / b }') ($dpop / $bearer requests/s)"
}

start 5201
run "DPoP (every token validated)" 5201
start 5202 Authentication__Schemes__DPoP__CacheValidatedTokens=true
run "DPoP with CacheValidatedTokens" 5202
