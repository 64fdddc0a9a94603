# syntax=docker/dockerfile:1
# The catalyst-guard image for users with a Docker engine. The release image is built
# without one by `cargo xtask image` (buildah, FROM scratch); both produce the same
# layout, which a test checks by parsing this file (xtask/src/ship/layout.rs `LAYOUT`):
#   /usr/local/bin/catalyst-guard                        static musl binary (entrypoint)
#   /usr/local/lib/catalyst-guard/catalyst-guard.wasm    the plugin
#   /usr/local/lib/catalyst-guard/precompiled/           the plugin compiled by that binary
#   /etc/passwd, /etc/group, /etc/ssl/certs/ca-certificates.crt, LICENSE
# running as 65532:65532 (nonroot).
FROM rust:1.95-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl wasm32-wasip2 && apt-get update && apt-get install -y --no-install-recommends musl-tools ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl -p catalyst-guard-host \
 && cp target/x86_64-unknown-linux-musl/release/catalyst-guard /catalyst-guard
# The decision logic ships as the plugin component the host loads by default.
RUN cargo build --locked --config 'target.wasm32-wasip2.rustflags=["-C", "target-feature=+simd128"]' --profile plugin-release --target wasm32-wasip2 -p catalyst-guard-plugin \
 && cp target/wasm32-wasip2/plugin-release/catalyst_guard_plugin.wasm /catalyst-guard.wasm
# Precompile the plugin with the shipped binary itself (same wasmtime, same engine
# settings); the host finds it in precompiled/ beside the plugin and compiles as before
# if the file does not match (another CPU, another wasmtime).
RUN mkdir -p /empty /precompiled \
 && CATALYST_GUARD_CACHE_DIR=/precompiled /catalyst-guard lint --engine plugin --plugin /catalyst-guard.wasm /empty \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > /group

FROM scratch
COPY --from=build /catalyst-guard /usr/local/bin/catalyst-guard
COPY --from=build /catalyst-guard.wasm /usr/local/lib/catalyst-guard/catalyst-guard.wasm
COPY --from=build /precompiled/ /usr/local/lib/catalyst-guard/precompiled/
COPY --from=build /passwd /etc/passwd
COPY --from=build /group /etc/group
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/LICENSE /usr/share/doc/catalyst-guard/LICENSE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/openova/catalyst-guard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.title="catalyst-guard" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV HOME=/home/nonroot
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/catalyst-guard"]
CMD ["--help"]
