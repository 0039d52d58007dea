# syntax=docker/dockerfile:1
# Shouquan's container image: the npm package (the same `npm pack` file that scripts/pack-smoke.mjs
# tests) installed into a slim Node 20 image, run as a non-root user, with /data as its volume and
# a HEALTHCHECK on /readyz. Build: docker build -t shouquan . (or podman build). See
# docs/getting-started-operators.md#the-container-image for what was built and run where.
#
# NODE_IMAGE: any Debian-based image with Node.js >= 20.19 and npm at /usr/local or /usr (default:
# the official node:20-bookworm-slim).
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Build: compile TypeScript and pack the npm package.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json LICENSE README.md CHANGELOG.md ./
COPY bin ./bin
COPY src ./src
COPY scripts/prepack.mjs ./scripts/prepack.mjs
COPY docs ./docs
# npm ci runs "prepare" (the TypeScript build); npm pack runs it again after emptying dist.
RUN npm ci --no-audit --no-fund \
 && npm pack --pack-destination /tmp \
 && mv /tmp/shouquan-*.tgz /tmp/shouquan.tgz

# 2. Install the package with its production dependencies (native modules built here).
FROM ${NODE_IMAGE} AS install
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /tmp/shouquan.tgz /tmp/shouquan.tgz
RUN npm install --global --prefix /opt/shouquan --omit=dev --no-audit --no-fund /tmp/shouquan.tgz \
 && /opt/shouquan/bin/shouquan --version

# 3. Run: no compilers, no npm cache, a non-root user.
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="Shouquan" \
      org.opencontainers.image.description="OAuth 2.0 authorization server for e-commerce open platforms" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=install /opt/shouquan /opt/shouquan
RUN groupadd --system --gid 10001 shouquan \
 && useradd --system --uid 10001 --gid shouquan --home-dir /data --no-create-home --shell /usr/sbin/nologin shouquan \
 && mkdir -p /data \
 && chown shouquan:shouquan /data
ENV PATH=/opt/shouquan/bin:$PATH \
    NODE_ENV=production \
    SHOUQUAN_HOST=0.0.0.0 \
    SHOUQUAN_PORT=7070 \
    SHOUQUAN_DATABASE_URL=sqlite:/data/shouquan.db
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 7070
# /readyz: 200 once the server listens and its database answers, 503 otherwise.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SHOUQUAN_PORT || 7070) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["shouquan"]
CMD ["serve"]
