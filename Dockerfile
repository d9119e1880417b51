# chatops: one image for the front (`serve`), workers (`worker`) and the terminal (`shell`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.app.json ./
COPY src ./src
# The image needs the bot only: tsconfig.app.json compiles src/ (benchmarks and test fakes stay out).
RUN npx tsc -p tsconfig.app.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
# bash runs `run:` steps; curl and procps are what runbooks reach for first.
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
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/chatops.js"]
CMD ["serve"]
