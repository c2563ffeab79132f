# imageswap container image: the `imageswap` CLI, started as `imageswap operator` by the chart.
# Not built in CI (no container engine there); build it with any OCI builder:
#   docker build -t <your-registry>/imageswap:0.1.0 .
# NOTE: Node 26 is the current LTS line (LTS since October 2026); the code targets ES2022 and
# is tested on Node 20 or newer, so an older LTS works too: --build-arg NODE_VERSION=24.
ARG NODE_VERSION=26

# 1. Compile TypeScript with every dependency present.
FROM node:${NODE_VERSION}-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY operator ./operator
COPY webhook ./webhook
COPY test ./test
RUN npm run build

# 2. Production dependencies only, without the dev tools the build needed.
FROM node:${NODE_VERSION}-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled operator and webhook, production node_modules, no npm cache, no shell use.
FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist/operator ./dist/operator
COPY --from=build /src/dist/webhook ./dist/webhook
COPY package.json ./
# Numeric user, so that the kubelet can check runAsNonRoot; matches the chart's runAsUser.
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["node", "dist/operator/cli/main.js"]
CMD ["operator"]
