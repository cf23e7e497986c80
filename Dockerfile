# Monitor's container image: the SDK image builds and publishes, the ASP.NET runtime image runs.
#
#   docker build -t monitor:0.1.0 .
#   docker run -d -p 9747:9747 -v monitor-data:/data monitor:0.1.0
#
# The image runs the config at /etc/monitor/monitor.yaml (deploy/container/monitor.yaml: Monitor watches its
# own health and its /data volume). Mount your own there or pass `--config FILE`; secrets come from the
# environment (${VAR}) or from files (`x_file: /run/secrets/...`). The default SQLite store is /data/monitor.db.
# GPUs: with the NVIDIA container runtime (`--gpus all`, or runtimeClassName: nvidia) nvidia-smi is injected
# into /usr/bin and the nvidia_smi check finds it on PATH.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# The target's runtime identifier (BuildKit and buildah set TARGETARCH), so only its native SQLite is shipped.
ARG TARGETARCH
ENV DOTNET_EnableDiagnostics=0
WORKDIR /src
# Restore first, from the files that decide it, so source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY eng/ eng/
COPY src/Monitor/Monitor.csproj src/Monitor/
RUN rid=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet restore src/Monitor/Monitor.csproj -r "$rid"
COPY src/Monitor/ src/Monitor/
RUN rid=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet publish src/Monitor/Monitor.csproj -c Release --no-restore -r "$rid" --self-contained false --disable-build-servers -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="monitor" \
      org.opencontainers.image.description="Checks, Prometheus metrics, PromQL rules and P1-P4 paging with escalation in one process" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="mcr.microsoft.com/dotnet/aspnet:10.0"

COPY --from=build /app /app
COPY deploy/container/monitor.yaml /etc/monitor/monitor.yaml
COPY alerts/*.rules.yml /etc/monitor/alerts/
RUN mkdir -p /data && chown "$APP_UID:$APP_UID" /data

# ASPNETCORE_HTTP_PORTS is emptied: the listen address is the config's server.listen, not the base image's 8080.
ENV MONITOR_CONFIG=/etc/monitor/monitor.yaml \
    ASPNETCORE_HTTP_PORTS= \
    NVIDIA_DRIVER_CAPABILITIES=utility
# The working directory is / so that the default store path data/monitor.db is the volume.
WORKDIR /
VOLUME ["/data"]
EXPOSE 9747
USER $APP_UID

# No curl in the runtime image: bash's /dev/tcp asks /healthz and wants a 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9747 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == *' 200 '* ]]"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/monitor"]
CMD ["run"]
