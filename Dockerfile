# syntax=docker/dockerfile:1
# Multi-stage build of a static `catalyst-guard` binary (musl), shipped on a
# distroless static base as a non-root user. Built by CI elsewhere: this machine has no
# Docker engine, so the image build itself is not exercised by the test suite.
FROM rust:1.95-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl wasm32-wasip2 && apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl -p catalyst-guard-host \
 && cp target/x86_64-unknown-linux-musl/release/catalyst-guard /catalyst-guard
# The decision logic ships as the plugin component the host loads by default.
RUN cargo build --locked --profile plugin-release --target wasm32-wasip2 -p catalyst-guard-plugin \
 && cp target/wasm32-wasip2/plugin-release/catalyst_guard_plugin.wasm /catalyst-guard.wasm

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /catalyst-guard /usr/local/bin/catalyst-guard
COPY --from=build /catalyst-guard.wasm /usr/local/lib/catalyst-guard/catalyst-guard.wasm
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/catalyst-guard"]
