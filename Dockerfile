# syntax=docker/dockerfile:1
# Multi-stage build of a static `catalyst-guard` binary (musl), shipped on a
# distroless static base as a non-root user. Built by CI elsewhere: this machine has no
# Docker engine, so the image build itself is not exercised by the test suite.
FROM rust:1.95-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl && apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl -p catalyst-guard-host \
 && cp target/x86_64-unknown-linux-musl/release/catalyst-guard /catalyst-guard

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /catalyst-guard /usr/local/bin/catalyst-guard
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/catalyst-guard"]
