#!/usr/bin/env bash
# Builds local stand-ins for the two .NET base images the Dockerfile names, so that the real Dockerfile
# builds unchanged on a machine that reaches no container registry:
#
#   mcr.microsoft.com/dotnet/aspnet:10.0   Debian bookworm (minbase) + this machine's .NET and ASP.NET runtimes
#   mcr.microsoft.com/dotnet/sdk:10.0      the same + this machine's .NET SDK, NuGet audit off (no index inside)
#
# Both follow the real images where the Dockerfile relies on them: dotnet in /usr/share/dotnet and on PATH,
# an `app` user with uid/gid $APP_UID (1654), ca-certificates, tzdata, ICU, OpenSSL and zlib, bash.
#
# The Debian root filesystem is cached outside the clone ($MONITOR_TEST_CACHE, default ~/.cache/monitor-tests)
# and both images carry a label with the key of their inputs (this script, the mirror, the package list, the
# host's .NET versions); when the images in local storage carry the current key nothing is rebuilt.
# Needs root (debootstrap, buildah mount). Prints the key.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

runtime_image=mcr.microsoft.com/dotnet/aspnet:10.0
sdk_image=mcr.microsoft.com/dotnet/sdk:10.0
app_uid=1654
suite=bookworm
packages=ca-certificates,tzdata,libicu72,libssl3,zlib1g

# The mirror apt already uses, so the stand-in is built from what this machine trusts.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
sdk_version=$(dotnet --version)
runtimes=$(dotnet --list-runtimes | awk '{ print $1 "/" $2 }' | sort | tr '\n' ' ')

key=$( { cat "$0"; echo "$suite $packages $mirror $sdk_version $runtimes $app_uid"; } | sha256sum | cut -c1-16)
label=org.monitor.standin.key

current() { podman image inspect --format "{{ index .Labels \"$label\" }}" "$1" 2>/dev/null || true; }

if [ "$(current "$runtime_image")" = "$key" ] && [ "$(current "$sdk_image")" = "$key" ]; then
  echo "$key"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "standin-images.sh: needs root (debootstrap and buildah mount)" >&2
  exit 1
fi

cache="${MONITOR_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/monitor-tests}"
mkdir -p "$cache"
rootfs_tar="$cache/$suite-minbase-$key.tar"

if [ ! -s "$rootfs_tar" ]; then
  work=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "standin-images.sh: debootstrap $suite from $mirror" >&2
  debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    exit 1
  }
  chroot "$work/root" groupadd --gid "$app_uid" app
  chroot "$work/root" useradd --no-log-init --uid "$app_uid" --gid "$app_uid" --create-home app
  rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin "$work/root/var/log/"*
  tar -C "$work/root" --numeric-owner -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$work"
  trap - EXIT
  # Older keys' root filesystems are of no further use.
  find "$cache" -maxdepth 1 -name "$suite-minbase-*.tar" ! -name "$(basename "$rootfs_tar")" -delete
fi

base=localhost/monitor-standin-$suite:$key
podman image exists "$base" || podman import --quiet "$rootfs_tar" "$base" >/dev/null

common_config=(
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  --env APP_UID="$app_uid"
  --env DOTNET_RUNNING_IN_CONTAINER=true
  --env DOTNET_VERSION="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
  --label "$label=$key"
  --label org.opencontainers.image.description="Local stand-in built by tests/container/standin-images.sh; not the Microsoft image"
)

# Runtime: the host, the shared frameworks and the muxer, nothing of the SDK.
ctr=$(buildah from --pull=never "$base")
mnt=$(buildah mount "$ctr")
mkdir -p "$mnt/usr/share/dotnet"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$mnt/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$mnt/usr/bin/dotnet"
buildah umount "$ctr" >/dev/null
buildah config "${common_config[@]}" --env ASPNETCORE_HTTP_PORTS=8080 "$ctr"
buildah commit --quiet --rm "$ctr" "$runtime_image" >/dev/null

# SDK: the runtime plus the SDK, its packs and templates. No NuGet index is reachable inside a build, so the
# build mounts the host's package folder and the audit (which asks the index) is off in this stand-in only.
ctr=$(buildah from --pull=never "$runtime_image")
mnt=$(buildah mount "$ctr")
cp -a "$dotnet_root/sdk" "$dotnet_root/packs" "$dotnet_root/sdk-manifests" "$dotnet_root/templates" "$mnt/usr/share/dotnet/"
[ -d "$dotnet_root/metadata" ] && cp -a "$dotnet_root/metadata" "$mnt/usr/share/dotnet/"
buildah umount "$ctr" >/dev/null
buildah config "${common_config[@]}" --env DOTNET_SDK_VERSION="$sdk_version" --env NuGetAudit=false \
  --env DOTNET_NOLOGO=1 --env DOTNET_CLI_TELEMETRY_OPTOUT=1 --env DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 "$ctr"
buildah commit --quiet --rm "$ctr" "$sdk_image" >/dev/null

echo "$key"
