# syntax=docker/dockerfile:1
# runtime-guard: Node.js 24 runs the TypeScript sources directly (type stripping), so there is
# no build step; the first stage only installs the production dependencies.
#
#   docker build -t runtime-guard:0.1.0 .
#   docker run --rm runtime-guard:0.1.0 --help
#
# Without a container engine or a registry, `npm run image:build` builds it with buildah
# against local stand-ins for both base images (scripts/image/).

# Node.js 24 and npm, for `npm ci` only.
ARG BUILD_IMAGE=node:24-slim
# Node.js 24 on Debian 12 as uid 65532, with no shell and no package manager: nothing in the
# image can install or run anything but the server.
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no compiler, linter or test tools in the image. --ignore-scripts: no install
# scripts run (none are needed). The `node` npm package is a dev dependency, so the image's own
# Node.js 24 runs the server.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier

FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the server: it can change neither its code nor its
# dependencies, and the pod runs with a read-only root filesystem anyway.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
# A numeric non-root user, so Kubernetes can verify runAsNonRoot without /etc/passwd.
USER 65532:65532
EXPOSE 8443
# A young generation of at most 3 x 8 MiB, on any machine: uncapped, it grows to 3 x 32 MiB
# under load (RSS 245 MiB on the typical pod); in a container with a 256 MiB limit, Node.js
# sizes it from the limit and picks 1 MiB, and parsing a large pod then costs 2.5 x the CPU.
# BENCHMARKS.md has the measurements; npm start uses the same flag.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8", "--max-old-space-size-percentage=50", "bin/runtime-guard.js"]
CMD ["serve"]
