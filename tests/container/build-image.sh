#!/usr/bin/env bash
# Builds the repository's Dockerfile, unchanged, with buildah on a machine without a Docker engine or a
# registry: the .NET base images are local stand-ins (standin-images.sh), and since no NuGet index is
# reachable inside a build, the host restores first and its package folder is mounted into the build.
# Tags localhost/monitor:<version> and localhost/monitor:latest; prints the version tag. Needs root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

"$here/standin-images.sh" >/dev/null

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props")
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

# The same runtime identifier as the Dockerfile picks for this machine.
rid=linux-$([ "$(uname -m)" = aarch64 ] && echo arm64 || echo x64)
dotnet restore "$root/src/Monitor/Monitor.csproj" -r "$rid" --nologo -v quiet >/dev/null

buildah bud --isolation chroot --format docker --pull=never --layers \
  -v "$packages:/root/.nuget/packages" \
  --build-arg TARGETARCH="$([ "$(uname -m)" = aarch64 ] && echo arm64 || echo amd64)" \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  -t "localhost/monitor:$version" -t localhost/monitor:latest \
  -f "$root/Dockerfile" "$root" >&2

echo "localhost/monitor:$version"
