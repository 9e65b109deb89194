# The qbound server: REST API, web UI, SQLite history and an embedded CPU worker.
# Build from the repository root: docker build -f docker/server.Dockerfile -t qbound-server .
FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-pip nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/setup-ort.sh \
    && scripts/build-frontend.sh \
    && cargo build --release --locked -p qbound-server

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/qbound qbound \
    && mkdir -p /var/lib/qbound && chown 10001 /var/lib/qbound
COPY --from=build /src/target/release/qbound /usr/local/bin/qbound
COPY --from=build /src/.ort/lib/ /usr/local/lib/qbound/
COPY --from=build /src/frontend/dist/ /usr/share/qbound/ui/
COPY --from=build /src/data/ /usr/share/qbound/demo/
ENV ORT_DYLIB_PATH=/usr/local/lib/qbound/libonnxruntime.so
USER 10001
VOLUME /var/lib/qbound
EXPOSE 8080
# Inside a container the server must listen on all interfaces, so it is private (reads need
# a token too); workers in the compose file reach it by the name `server`.
ENTRYPOINT ["qbound", "serve", "--data", "/var/lib/qbound", "--bind", "0.0.0.0:8080", \
            "--allowed-host", "server", \
            "--static-dir", "/usr/share/qbound/ui", "--demo-data", "/usr/share/qbound/demo"]
