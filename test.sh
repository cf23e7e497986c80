#!/usr/bin/env bash
# Installs what the tests need from Debian packages (only what is missing), builds everything with
# warnings as errors, and runs the unit and integration tests. CI runs this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v prometheus-node-exporter >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
command -v prometheus-postgres-exporter >/dev/null 2>&1 || missing+=(prometheus-postgres-exporter)
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v prometheus-redis-exporter >/dev/null 2>&1 || missing+=(prometheus-redis-exporter)
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || missing+=(prometheus-blackbox-exporter)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
# Debian's aiosmtpd is importable only by Debian's own python3, not one earlier on PATH.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
command -v df >/dev/null 2>&1 || missing+=(coreutils)
# The logs check is tested against the real logrotate rotating under it (create/rename and copytruncate).
[ -x /usr/sbin/logrotate ] || command -v logrotate >/dev/null 2>&1 || missing+=(logrotate)
# The mail tests start a private Postfix of their own; the system's Postfix is left unconfigured and not run.
[ -x /usr/sbin/postfix ] || missing+=(postfix)
# The image tests: build the Dockerfile with buildah over local base images, run it with podman and runc.
for tool in buildah podman runc debootstrap podman-compose; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # Postfix's package asks for a mail configuration unless told there is none.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build Monitor.sln -c Release -nologo -clp:ErrorsOnly

log=$(mktemp)
status=0
for project in tests/Monitor.Tests tests/Monitor.IntegrationTests; do
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee -a "$log" || status=1
done

passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || status=1
exit $status
