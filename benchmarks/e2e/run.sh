#!/usr/bin/env bash
# End to end on loopback, the way a user would compare: the sample API (samples/Arcp.DPoP.SampleApi, published in
# Release, configured from environment variables only) answering POST /agents/register behind DPoP, against a plain
# JwtBearer app of its own (benchmarks/e2e/JwtBearerApp: the same MVC endpoint and record), both trusting the same
# ES256 issuer key, which this script makes.
#
# Method (docs/performance.md#end-to-end): wrk -t1 -c16; every request file (one never-used proof per DPoP request,
# the bearer header per JwtBearer request) is made before the round it serves, never during one; a warm-up per side,
# not counted; then rounds of one A and one B, A first in odd rounds and B first in even ones (E2E_ORDER=ab: always A
# first, as before); a round fails unless every answer was 2xx, no socket error happened and its file was not exhausted.
# Printed per round: requests/s, the server's CPU per request, wrk's and the whole machine's CPU share; per
# configuration: medians, min/max, and one line "ratio=<A/B>" (the median of the per-round ratios).
#
# Configurations: DPoP (every token validated) / JwtBearer; DPoP with CacheValidatedTokens / JwtBearer; DPoP with the
# Redis replay store / DPoP with the in-memory store (both CacheValidatedTokens, where the store is the largest share),
# against a redis-server of its own; and, when named in E2E_CONFIGS, redis-every-token: the same store comparison with
# every token validated, and bound: the JwtBearer app verifying each request's ES256 proof signature on top
# (Bound:ProofSignature, benchmarks/e2e/JwtBearerApp/ProofSignatureOnly.cs: the least work any DPoP implementation adds,
# no other check) / plain JwtBearer, i.e. the highest every-token ratio any DPoP implementation can reach here; then
# bound-dpop: DPoP (every token validated) / that app, the share of the bound the sample reaches.
#
# usage: benchmarks/e2e/run.sh            environment: E2E_DURATION (s, default 8), E2E_ROUNDS (default 5),
#        E2E_WARMUP (s, default 10), E2E_CONFIGS (default "every-token cached-token redis"; also redis-every-token, bound), E2E_HEADROOM (default 1.5),
#        E2E_PORT_BASE (default 5310), E2E_PROFILE (1: after the rounds, one perf-sampled window per side and a
#        "floor=" line for each DPoP/JwtBearer configuration; needs perf), E2E_PROOF_ALG (the agent's proof algorithm,
#        default ES256; EdDSA is what ARCP's agents sign with; RS256, PS256...: any the client library generates; the
#        access token stays ES256, from the issuer both sides trust; a configuration's lines are then named
#        <config>-<alg>), E2E_ORDER (abba, the default: B first in even rounds; ab: A first in every round)
# Needs the .NET SDK and wrk (installed with apt-get when missing); the redis configuration needs redis-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${E2E_DURATION:-8}
rounds=${E2E_ROUNDS:-5}
warmup=${E2E_WARMUP:-10}
configs=${E2E_CONFIGS:-every-token cached-token redis}
headroom=${E2E_HEADROOM:-1.5}
proof_alg=${E2E_PROOF_ALG:-ES256}
order_mode=${E2E_ORDER:-abba}
connections=16
base_port=${E2E_PORT_BASE:-5310} # four loopback ports from here, and redis-server's at base + 1080
jwt_port=$base_port dpop_port=$((base_port + 1)) dpop_redis_port=$((base_port + 2)) bound_port=$((base_port + 3)) redis_port=$((base_port + 1080))

if ! command -v wrk >/dev/null 2>&1; then
  sudo=""; if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "machine: $(nproc) cores, $(awk '/model name/ { sub(/^[^:]*: /, ""); print; exit }' /proc/cpuinfo); load average $(cut -d' ' -f1-3 /proc/loadavg); $(dotnet --version) SDK; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
dotnet publish samples/Arcp.DPoP.SampleApi -c Release -o "$work/api" --nologo -v q
dotnet publish benchmarks/e2e/JwtBearerApp -c Release -o "$work/jwt" --nologo -v q
dotnet build benchmarks/e2e/ProofGenerator -c Release --nologo -v q -o "$work/gen"
gen() { "$work/gen/ProofGenerator" "$@" >/dev/null || fail "ProofGenerator $*"; }
gen issuer-key "$work/issuer.pem"

wait_up() { # port pid log
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$1/" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.2
  done
  cat "$3" >&2; fail "nothing answers on port $1"
}

# start_server <name> <port> <dll dir/dll> env...: sets server_pid
start_server() {
  local name=$1 port=$2 dll=$3; shift 3
  env Logging__LogLevel__Default=Warning "$@" dotnet "$dll" --contentRoot "$(dirname "$dll")" --urls "http://127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  wait_up "$port" "$server_pid" "$work/$name.log"
}

stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

ticks() { # user + system CPU of the processes "pid[+pid...]", in clock ticks
  local total=0 pid
  for pid in ${1//+/ }; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  echo "$total"
}
machine() { awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; } # busy total
hz=$(getconf CLK_TCK)

# drive <port> <server pid[+pid]> <request file> <seconds>: runs wrk; sets rps, cpu_us (server CPU per request; app_us:
# the first process's part), wrk_share
# (% of one core), busy (% of the machine), others (% of the machine used by neither); fails on any bad answer.
drive() {
  local port=$1 spid=$2 file=$3 seconds=$4
  E2E_FILE=$file wrk -t1 -c$connections -d"${seconds}s" -s benchmarks/e2e/request.lua "http://127.0.0.1:$port" >"$work/wrk.txt" 2>&1 &
  local wpid=$!
  multi=0; [[ $spid == *+* ]] && multi=1
  # CPU is sampled inside the run, past wrk's start (it reads its file before its clock starts) and before its end.
  sleep 1
  local w1 s1 p1 m1 t1 w2 s2 p2 m2 t2
  w1=$(ticks "$wpid"); s1=$(ticks "$spid"); p1=$(ticks "${spid%%+*}"); m1=$(machine); t1=$(date +%s.%N)
  sleep "$(awk -v d="$seconds" 'BEGIN { print d - 1.5 }')"
  w2=$(ticks "$wpid"); s2=$(ticks "$spid"); p2=$(ticks "${spid%%+*}"); m2=$(machine); t2=$(date +%s.%N)
  wait "$wpid" || { cat "$work/wrk.txt" >&2; fail "wrk failed"; }
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk.txt")
  local requests non2xx socket lines exhausted
  requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$work/wrk.txt"); non2xx=${non2xx:-0}
  socket=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$work/wrk.txt"); socket=${socket:-0}
  lines=$(awk -F'[ =]' '/^e2e:/ { print $3 }' "$work/wrk.txt")
  exhausted=$(awk -F'[ =]' '/^e2e:/ { print $5 }' "$work/wrk.txt")
  if [ -z "$rps" ] || [ -z "$lines" ]; then cat "$work/wrk.txt" >&2; fail "could not read wrk's output"; fi
  if [ "$exhausted" != 0 ] || [ "$requests" -gt "$lines" ]; then
    cat "$work/wrk.txt" >&2; fail "$file ran out ($lines requests): a proof would have been reused; raise E2E_HEADROOM"
  fi
  if [ "$non2xx" != 0 ] || [ "$socket" != 0 ]; then
    cat "$work/wrk.txt" >&2; tail -20 "$work"/*.log >&2; fail "$non2xx answers were not 2xx, $socket socket errors (port $port)"
  fi
  read -r cpu_us app_us wrk_share busy others < <(awk -v w="$((w2 - w1))" -v s="$((s2 - s1))" -v p="$((p2 - p1))" -v m1="$m1" -v m2="$m2" \
    -v t="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" -v rps="$rps" -v hz="$hz" 'BEGIN {
      split(m1, a, " "); split(m2, b, " "); mb = b[1] - a[1]; mt = b[2] - a[2]; if (mt <= 0) mt = 1
      printf "%.0f %.0f %.0f %.0f %.0f\n", s / hz / t / rps * 1e6, p / hz / t / rps * 1e6, w / hz / t * 100, mb / mt * 100, (mb - w - s) / mt * 100 }')
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }' | awk '{ printf($1 < 10 ? "%.3f" : "%.0f", $1) }'; }
minmax() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { f = lo < 10 ? "%.3f" : "%.0f"; printf "min " f ", max " f, lo, hi }'; }

# A side's requests: a file path (the bearer file, the same line every time), or "dpop:<port>:<name>": a file of
# never-used proofs for that port, made just before it is needed (the warm-up's, then each round pair's), so every proof
# is at most one round pair old when it is sent and the sample keeps its default ProofLifetime (60 s): its replay store
# holds the proofs of one acceptance window, as in production.
# ready <spec> <lines> <tag>: sets path
ready() {
  local spec=$1 lines=$2 tag=$3
  case $spec in
    dpop:*|bound:*) # bound: the same proofs, the token sent as Bearer (the JwtBearer app verifying proof signatures)
      local rest=${spec#*:}; local port=${rest%%:*} name=${rest#*:} bearer=()
      [[ $spec == bound:* ]] && bearer=(--bearer)
      path="$work/$name-$tag.txt"
      gen dpop --alg "$proof_alg" "${bearer[@]}" "$work/issuer.pem" "http://127.0.0.1:$port/agents/register" "$lines" "$path" ;;
    *) path=$spec ;;
  esac
}
spent() { case $1 in dpop:*|bound:*) rm -f "$2" ;; esac; } # spent <spec> <path>: a proof file is never sent twice

# profile <port> <server pid[+pid]> <requests spec> <label>: one more window (not a round), the app process sampled by
# perf: sets crypto_us, the part of the app's CPU per request spent in libcrypto and libsodium (the signature
# verifications, and SHA-256: OpenSSL does nothing else on this path; libsodium verifies Ed25519 proofs), and app_us.
profile() {
  local port=$1 spid=$2 spec=$3 label=$4 data="$work/perf.data"
  ready "$spec" "$per_round" profile
  perf record -q -F 499 -p "${spid%%+*}" -o "$data" -- sleep "$(awk -v d="$duration" 'BEGIN { print d - 2 }')" >/dev/null 2>&1 &
  local perf_pid=$!
  drive "$port" "$spid" "$path" "$duration"
  wait "$perf_pid" || fail "perf record failed (E2E_PROFILE=1 needs perf and permission to trace the server)"
  spent "$spec" "$path"
  local share
  share=$(perf report -i "$data" --sort dso -g none --stdio 2>/dev/null | awk '/libcrypto|libsodium/ { gsub(/%/, "", $1); s += $1 } END { print s + 0 }')
  crypto_us=$(awk -v s="${share:-0}" -v a="$app_us" 'BEGIN { printf "%.0f", s / 100 * a }')
  printf '  profile %-16s %4d us CPU/request (app), of which %d us in libcrypto and libsodium (%s%%)\n' "$label" "$app_us" "$crypto_us" "${share:-0}"
}

# compare <config> <A label> <A port> <A pid> <A requests> -- <B label> <B port> <B pid> <B requests>
compare() {
  local config=$1; shift
  local a_label=$1 a_port=$2 a_pid=$3 a_spec=$4; shift 4; [ "$1" = "--" ] && shift
  local b_label=$1 b_port=$2 b_pid=$3 b_spec=$4
  local a_path b_path
  ready "$a_spec" "$per_warmup" warm; a_path=$path; ready "$b_spec" "$per_warmup" warm; b_path=$path
  drive "$a_port" "$a_pid" "$a_path" "$warmup"; echo "  warm-up (not counted)  $a_label $(printf '%6.0f' "$rps") req/s"
  drive "$b_port" "$b_pid" "$b_path" "$warmup"; echo "  warm-up (not counted)  $b_label $(printf '%6.0f' "$rps") req/s"
  spent "$a_spec" "$a_path"; spent "$b_spec" "$b_path"
  local a_rps="" b_rps="" a_cpu="" b_cpu="" ratios="" cpu_ratios="" i ra ca
  for i in $(seq 1 "$rounds"); do
    # Both files of the pair are made before A runs, so A and B stay adjacent in time.
    ready "$a_spec" "$per_round" "$i"; a_path=$path; ready "$b_spec" "$per_round" "$i"; b_path=$path
    # A B in odd rounds, B A in even ones (A B B A A B ...): neither side always runs first, just after the files are made.
    local order="a b" rb cb; [ $((i % 2)) = 0 ] && [ "$order_mode" = abba ] && order="b a"
    for side in $order; do
      if [ $side = a ]; then drive "$a_port" "$a_pid" "$a_path" "$duration"; label=$a_label; ra=$rps; ca=$cpu_us; a_rps+=" $rps"; a_cpu+=" $cpu_us"
      else drive "$b_port" "$b_pid" "$b_path" "$duration"; label=$b_label; rb=$rps; cb=$cpu_us; b_rps+=" $rps"; b_cpu+=" $cpu_us"
      fi
      local split=""; [ "$multi" = 1 ] && split=" (app $app_us)"
      printf '  round %d %-16s %7.0f req/s  server %4d us CPU/request%s  wrk %3d%% of a core  machine %3d%% busy (others %d%%)\n' \
        "$i" "$label" "$rps" "$cpu_us" "$split" "$wrk_share" "$busy" "$others"
    done
    ratios+=" $(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.3f", a / b }')" # A and B adjacent in time
    cpu_ratios+=" $(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.3f", b / a }')"
    spent "$a_spec" "$a_path"; spent "$b_spec" "$b_path"
  done
  echo "  $a_label: median $(median <<<"$a_rps") req/s ($(minmax <<<"$a_rps")), median $(median <<<"$a_cpu") us CPU/request"
  echo "  $b_label: median $(median <<<"$b_rps") req/s ($(minmax <<<"$b_rps")), median $(median <<<"$b_cpu") us CPU/request"
  echo "  per-round ratios:$ratios; by server CPU per request (B's over A's):$cpu_ratios"
  local ratio; ratio=$(median <<<"$ratios")
  echo "$config: ratio=$ratio ($a_label/$b_label; $(minmax <<<"$ratios"); by CPU per request $(median <<<"$cpu_ratios"))"
  if awk -v r="$ratio" 'BEGIN { exit !(r > 1.0) }'; then
    if [[ $config == cached-token* ]]; then
      # Not a fault: both sides verify one signature here (DPoP the proof's, JwtBearer the token's), and on a cache hit
      # DPoP skips the token's parsing, which JwtBearer does every time.
      echo "  note: $a_label faster than $b_label: each verifies one signature ($proof_alg proof against the ES256 token) and a cache hit skips the token's parsing"
    else
      echo "  WARNING: $a_label measured faster than $b_label, which does less work: suspect the measurement (noise, a side not warmed up)"
    fi
  fi
  if [ "${E2E_PROFILE:-0}" = 1 ] && [[ $config != redis* && $config != bound* ]]; then
    # The floor: A's signature work on top of B's other work, i.e. the ratio A would reach if everything but its
    # signature verifications cost exactly what B's does.
    local a_crypto a_app b_crypto b_app
    profile "$a_port" "$a_pid" "$a_spec" "$a_label"; a_crypto=$crypto_us; a_app=$app_us
    profile "$b_port" "$b_pid" "$b_spec" "$b_label"; b_crypto=$crypto_us; b_app=$app_us
    echo "$config: floor=$(awk -v ac="$a_crypto" -v bc="$b_crypto" -v b="$b_app" 'BEGIN { printf "%.3f", b / (b - bc + ac) }') (by CPU: $b_label's $b_app us with its $b_crypto us of signatures replaced by $a_label's $a_crypto us); $a_label's other work $((a_app - a_crypto)) us, $b_label's $((b_app - b_crypto)) us"
  fi
}

# The JwtBearer baseline runs through the whole script; its warm-up rate sizes every request file. It filters hosts as
# the sample does (the sample's appsettings.json AllowedHosts), so both check the Host header alike.
start_server jwtbearer "$jwt_port" "$work/jwt/JwtBearerApp.dll" ASPNETCORE_ENVIRONMENT=Development Issuer__KeyFile="$work/issuer.pem" \
  AllowedHosts="localhost;127.0.0.1;[::1]"
jwt_pid=$server_pid
gen bearer "$work/issuer.pem" 600000 "$work/bearer-warm.txt"
drive "$jwt_port" "$jwt_pid" "$work/bearer-warm.txt" "$warmup" # cold: JIT, tiering
drive "$jwt_port" "$jwt_pid" "$work/bearer-warm.txt" "$warmup" # warm: sizes the files (DPoP should not go faster)
per_round=$(awk -v r="$rps" -v d="$duration" -v h="$headroom" 'BEGIN { n = int(r * d * h); print (n < 100000 ? 100000 : n) }')
per_warmup=$(awk -v r="$rps" -v d="$warmup" -v h="$headroom" 'BEGIN { n = int(r * d * h); print (n < 100000 ? 100000 : n) }')
echo "JwtBearer warm-up: $rps req/s; request files: $per_round lines per round, $per_warmup for a warm-up"
gen bearer "$work/issuer.pem" "$((per_round * 4 > 200000 ? per_round * 4 : 200000))" "$work/bearer.txt" # the same line: room for a baseline faster than at sizing

# Every sample instance is configured from the environment only. Development: the sample's issuer (signing with the
# script's key file) runs only there; the JwtBearer app runs in Development too, so both have the same middleware.
# PublicOrigin names htu's origin, as outside Development it must. ProofLifetime stays the sample's (60 s): each
# round's proofs are made just before it. The development issuer (AddDevelopmentIssuer) trusts its key file;
# ValidIssuer names the iss the generator's tokens carry.
sample_env=(ASPNETCORE_ENVIRONMENT=Development DevelopmentIssuer__KeyFile="$work/issuer.pem" Authentication__Schemes__DPoP__ValidIssuer=https://dev-issuer.arcp-dpop.invalid)

for config in $configs; do
  echo
  name=$config; [ "$proof_alg" = ES256 ] || name="$config-$proof_alg"
  case $config in
    every-token|cached-token)
      cache=false; [ "$config" = cached-token ] && cache=true
      echo "== $name: DPoP (CacheValidatedTokens=$cache, $proof_alg proofs) vs JwtBearer"
      start_server "dpop-$config" "$dpop_port" "$work/api/Arcp.DPoP.SampleApi.dll" "${sample_env[@]}" \
        Authentication__Schemes__DPoP__PublicOrigin="http://127.0.0.1:$dpop_port" Authentication__Schemes__DPoP__CacheValidatedTokens=$cache
      dpop_pid=$server_pid
      compare "$name" DPoP "$dpop_port" "$dpop_pid" "dpop:$dpop_port:dpop" -- JwtBearer "$jwt_port" "$jwt_pid" "$work/bearer.txt"
      stop_server "$dpop_pid"
      ;;
    redis|redis-every-token)
      command -v redis-server >/dev/null 2>&1 || fail "the $config configuration needs redis-server"
      cache=true; [ "$config" = redis-every-token ] && cache=false
      echo "== $name: DPoP with the Redis replay store vs the in-memory store (both CacheValidatedTokens=$cache, $proof_alg proofs)"
      redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --maxmemory-policy noeviction >"$work/redis.log" 2>&1 &
      redis_pid=$!; pids+=("$redis_pid")
      start_server dpop-redis "$dpop_redis_port" "$work/api/Arcp.DPoP.SampleApi.dll" "${sample_env[@]}" \
        Authentication__Schemes__DPoP__PublicOrigin="http://127.0.0.1:$dpop_redis_port" \
        Authentication__Schemes__DPoP__CacheValidatedTokens=$cache ConnectionStrings__Redis="127.0.0.1:$redis_port"
      redis_dpop_pid=$server_pid
      start_server dpop-memory "$dpop_port" "$work/api/Arcp.DPoP.SampleApi.dll" "${sample_env[@]}" \
        Authentication__Schemes__DPoP__PublicOrigin="http://127.0.0.1:$dpop_port" Authentication__Schemes__DPoP__CacheValidatedTokens=$cache
      memory_pid=$server_pid
      # The Redis side's CPU per request counts redis-server's too.
      compare "$name" "DPoP+Redis" "$dpop_redis_port" "$redis_dpop_pid+$redis_pid" "dpop:$dpop_redis_port:redis" -- \
        "DPoP+in-memory" "$dpop_port" "$memory_pid" "dpop:$dpop_port:memory"
      stop_server "$redis_dpop_pid"; stop_server "$memory_pid"; stop_server "$redis_pid"
      ;;
    bound)
      [ "$proof_alg" = ES256 ] || fail "the bound configuration verifies ES256 proofs only"
      echo "== bound: JwtBearer verifying each request's proof signature too (no other DPoP check) vs JwtBearer"
      start_server jwtbearer-bound "$bound_port" "$work/jwt/JwtBearerApp.dll" ASPNETCORE_ENVIRONMENT=Development \
        Issuer__KeyFile="$work/issuer.pem" AllowedHosts="localhost;127.0.0.1;[::1]" Bound__ProofSignature=true
      bound_pid=$server_pid
      compare "$name" "JwtBearer+proof" "$bound_port" "$bound_pid" "bound:$bound_port:bound" -- JwtBearer "$jwt_port" "$jwt_pid" "$work/bearer.txt"
      # Then the sample (every token validated, as every-token) against that bound: the share of it DPoP reaches.
      echo
      echo "== $name-dpop: DPoP (CacheValidatedTokens=false) vs JwtBearer verifying each proof signature"
      start_server dpop-bound "$dpop_port" "$work/api/Arcp.DPoP.SampleApi.dll" "${sample_env[@]}" \
        Authentication__Schemes__DPoP__PublicOrigin="http://127.0.0.1:$dpop_port" Authentication__Schemes__DPoP__CacheValidatedTokens=false
      dpop_pid=$server_pid
      compare "$name-dpop" DPoP "$dpop_port" "$dpop_pid" "dpop:$dpop_port:dpop" -- "JwtBearer+proof" "$bound_port" "$bound_pid" "bound:$bound_port:bound"
      stop_server "$dpop_pid"; stop_server "$bound_pid"
      ;;
    *) fail "unknown configuration $config" ;;
  esac
done
