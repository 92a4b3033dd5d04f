# syntax=docker/dockerfile:1
# canary-hooks: the Metacontroller webhook service.
#   docker build -t canary-hooks:latest .
# manifests/deployment.yaml runs it as uid 1000 with a read-only root
# filesystem; nothing here writes outside /tmp at run time.

# ---- build: type-check, compile and bundle with the dev dependencies --------
FROM node:22-slim AS build
WORKDIR /app
# Dependencies first, so a source-only change reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore admits only the sources tsconfig.build.json compiles and
# build/bundle.js, which bundles them.
COPY . .
# tsc fails the build on a type error; its postbuild step writes
# dist/server.mjs: the server and every dependency it uses, in one file.
RUN npm run build

# ---- runtime: the bundle alone ----------------------------------------------
# No node_modules: dist/server.mjs needs nothing but node (build/bundle.js
# fails the build if it would require a package at run time). It idles at
# 85 MB; tsc's dist/server/main.js with node_modules idles at 152 MB.
FROM node:22-slim
ENV NODE_ENV=production \
    PORT=8080 \
    METRICS_PORT=9102
WORKDIR /app
COPY --from=build --chown=root:root /app/dist/server.mjs ./dist/server.mjs
# The image's "node" user, by number: Kubernetes can only verify runAsNonRoot
# against a numeric USER. Files stay root-owned, so the process cannot
# rewrite its own code.
USER 1000:1000
# The hooks on 8080; /metrics alone on 9102, for Prometheus.
EXPOSE 8080 9102
# node as PID 1 gets SIGTERM directly and drains (see server/main.ts); no npm
# in between to swallow the signal. The flag caps V8's young generation
# (NODE_FLAGS in build/bundle.js; the bench runs with the same).
CMD ["node", "--max-semi-space-size=8", "dist/server.mjs"]
