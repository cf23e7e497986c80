#!/usr/bin/env bash
# Image size and start time of the Dockerfile's image, built as the tests build it (tests/container/).
#   sudo bench/container/image.sh [runs]
# Start time: from `podman run -d` until /readyz answers 200, beside the same build started outside a
# container (dotnet monitor.dll on the image's config) in the same session; medians of the runs.
# Needs root (buildah, podman), a Release build (dotnet build -c Release) and a free port 19747.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF="$root/tests/container/containers.conf"
runs=${1:-7}
port=19747

start=$(date +%s.%N)
tag=$("$root/tests/container/build-image.sh" 2>/dev/null)
build=$(echo "$(date +%s.%N) - $start" | bc)

size=$(podman image inspect --format '{{.Size}}' "$tag")
base=$(podman image inspect --format '{{.Size}}' mcr.microsoft.com/dotnet/aspnet:10.0)
app=$(podman run --rm --health-interval disable --entrypoint du "$tag" -sb /app 2>/dev/null | cut -f1)

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
wait_ready() { until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done; }
ready=(); host=()
work=$(mktemp -d)
sed -e "s|0.0.0.0:9747|127.0.0.1:$port|; s|/data/monitor.db|$work/monitor.db|; s|mountpoints: \[\"/data\"\]|mountpoints: [\"/\"]|; s|127.0.0.1:9747|127.0.0.1:$port|g" \
  "$root/deploy/container/monitor.yaml" > "$work/monitor.yaml"
mkdir -p "$work/alerts" && cp "$root"/alerts/*.rules.yml "$work/alerts/"
for i in $(seq "$runs"); do
  name=monitor-bench-$i
  t0=$(date +%s%N)
  podman run -d --rm --name "$name" --health-interval disable -p 127.0.0.1:$port:9747 "$tag" >/dev/null 2>&1
  wait_ready
  ready+=($(( ($(date +%s%N) - t0) / 1000000 )))
  podman stop -t 10 "$name" >/dev/null 2>&1

  t0=$(date +%s%N)
  dotnet "$root/src/Monitor/bin/Release/net10.0/monitor.dll" run --config "$work/monitor.yaml" >/dev/null 2>&1 &
  pid=$!
  wait_ready
  host+=($(( ($(date +%s%N) - t0) / 1000000 )))
  kill -TERM "$pid"; wait "$pid" || true
done
rm -rf "$work"

printf 'image %s\n' "$tag"
printf 'build (base images cached): %.1f s\n' "$build"
printf 'image size: %d MB (runtime base %d MB, /app %d MB)\n' $((size / 1000000)) $((base / 1000000)) $((app / 1000000))
printf 'podman run -> /readyz 200: median %s ms over %d runs (%s)\n' "$(printf '%s\n' "${ready[@]}" | median)" "$runs" "${ready[*]}"
printf 'same build outside a container -> /readyz 200: median %s ms (%s)\n' "$(printf '%s\n' "${host[@]}" | median)" "${host[*]}"
