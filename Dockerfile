# chatops: one image for the front (`serve`), workers (`worker`) and the terminal (`shell`).
# NODE_IMAGE: any Debian-based image with Node (20.19 or newer), npm and a `node` user, as the
# official image has. test/docker/run.sh passes one it makes locally (no registry there).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.app.json ./
COPY src ./src
COPY scripts/bundle-cli.mjs ./scripts/
# The image needs the bot only: tsconfig.app.json compiles src/ (benchmarks and test fakes stay out),
# then the bundle bin/chatops.js runs (dist/cli; esbuild runs from its platform package, which
# --ignore-scripts leaves in place: its install script only checks that binary).
RUN npx tsc -p tsconfig.app.json && node scripts/bundle-cli.mjs \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# bash runs `run:` steps; curl (also the compose health checks) and procps are what runbooks reach
# for first.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash curl procps ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production CHATOPS_DIR=/app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY src/web/client ./src/web/client
COPY package.json ./
COPY bin ./bin
COPY commands ./commands
COPY workflows ./workflows
COPY policy.yaml ./
# `chatops …` in `docker compose exec` and `docker run --entrypoint chatops`.
RUN ln -s /app/bin/chatops.js /usr/local/bin/chatops
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/chatops.js"]
CMD ["serve"]
