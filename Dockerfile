# syntax=docker/dockerfile:1
# Preferred Item Service: a multi-stage build. cargo-chef caches the
# dependency build in its own layer; the runtime image holds the binary,
# CA certificates and nothing else.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Queries are checked against the committed .sqlx/ cache: no database here.
ENV SQLX_OFFLINE=true
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
# The commit for the build_info metric (.git is not in the context):
# docker build --build-arg BUILD_COMMIT=$(git rev-parse --short=12 HEAD) .
ARG BUILD_COMMIT=unknown
ENV BUILD_COMMIT=${BUILD_COMMIT}
RUN cargo build --release --locked --bin preferred-item-service

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=builder /app/target/release/preferred-item-service /usr/local/bin/preferred-item-service
# CA bundles for sslrootcert: whatever deploy/certs/ holds at build time,
# such as Amazon RDS's global-bundle.pem (deploy/certs/README.md says how to
# fetch it). Point PGSSLROOTCERT or sslrootcert at
# /etc/preferred-item-service/certs/global-bundle.pem.
COPY deploy/certs/ /etc/preferred-item-service/certs/
USER 10001:10001
ENV APP_ENVIRONMENT=production \
    APP__SERVER__HOST=0.0.0.0 \
    APP__SERVER__PORT=8080
EXPOSE 8080 9090
# Liveness, not readiness: a database blip must not get every container
# replaced. The load balancer checks readiness (/health/ready) instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/preferred-item-service", "healthcheck", "--live"]
LABEL org.opencontainers.image.title="preferred-item-service" \
      org.opencontainers.image.description="Answers which catalog item is preferred for a list of bricks" \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["/usr/local/bin/preferred-item-service"]
CMD ["serve"]
