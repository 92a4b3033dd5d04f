# syntax=docker/dockerfile:1
# canary-hooks: the Metacontroller webhook service.
#   docker build -t canary-hooks:latest .
# manifests/deployment.yaml runs it as uid 1000 with a read-only root
# filesystem; nothing here writes outside /tmp at run time.

# ---- build: compile TypeScript with the dev dependencies --------------------
FROM node:22-slim AS build
WORKDIR /app
# Dependencies first, so a source-only change reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore admits only the sources tsconfig.build.json compiles.
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and dist/ only ------------------------
FROM node:22-slim
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The image's "node" user, by number: Kubernetes can only verify runAsNonRoot
# against a numeric USER. Files stay root-owned, so the process cannot
# rewrite its own code.
USER 1000:1000
EXPOSE 8080
# node as PID 1 gets SIGTERM directly and drains (see server/main.ts); no npm
# in between to swallow the signal.
CMD ["node", "dist/server/main.js"]
