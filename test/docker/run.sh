#!/usr/bin/env bash
# The image and docker-compose.yml, built and run for real (README "Production with Docker Compose").
#
# No image registry is reachable where this runs, so the base image is made here: Debian bookworm
# (debootstrap --variant=minbase) plus this machine's node and npm and a `node` user, the parts of
# the official node image the Dockerfile uses, imported once and cached by tag. Then: the bot's
# image is built on it (--build-arg NODE_IMAGE), `chatops validate` runs in it, the compose stack
# (Redis built on the same base, serve, two workers, the examples mounted) comes up until /readyz
# answers, and `chatops run` in the serve container runs a workflow on the workers to success.
# Everything the test started is torn down at the end, whatever happened.
#
# Run by .ci/run after `npm test`; needs root (apt-get, dockerd, debootstrap). Exit 0 passed, or
# skipped with a SKIPPED line when dockerd cannot start here; 1 failed. Each step has a time bound.
# DOCKER_TEST_KEEP_BASE=0 rebuilds the cached base image.
set -euo pipefail
cd "$(dirname "$0")/../.."

WORK=$(mktemp -d /tmp/chatops-docker-test.XXXXXX)
PROJECT="chatops-docker-test-$$"
IMAGE="chatops:docker-test"
STARTED_DOCKERD=""
COMPOSE=()
t0=$(date +%s)

say() { printf '[docker-test %3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
fail() { say "FAILED: $*"; exit 1; }
apt_install() {
  say "installing $* (apt-get)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

cleanup() {
  local rc=$?
  set +e
  if [ ${#COMPOSE[@]} -gt 0 ]; then
    if [ "$rc" -ne 0 ]; then
      say "compose logs (last 40 lines per service):"
      timeout 60 "${COMPOSE[@]}" logs --no-color --tail 40 2>&1 | sed 's/^/    /'
    fi
    timeout 120 "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || say "compose down failed"
  fi
  if [ -n "$STARTED_DOCKERD" ]; then
    kill "$STARTED_DOCKERD" 2>/dev/null && timeout 30 tail --pid="$STARTED_DOCKERD" -f /dev/null
  fi
  rm -rf "$WORK"
  say "done (exit $rc)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Docker from Debian: the engine (docker.io) and Compose (docker-compose 1.29 on bookworm, or the
#    `docker compose` plugin where one is installed).
if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  apt_install docker.io || { say "SKIPPED: docker.io cannot be installed here (apt-get failed)"; exit 0; }
fi
if docker compose version >/dev/null 2>&1; then
  COMPOSE_CMD=(docker compose)
else
  command -v docker-compose >/dev/null || apt_install docker-compose
  COMPOSE_CMD=(docker-compose)
fi
if ! timeout 20 docker info >/dev/null 2>&1; then
  say "starting dockerd (log: $WORK/dockerd.log)"
  dockerd >"$WORK/dockerd.log" 2>&1 &
  STARTED_DOCKERD=$!
  for _ in $(seq 60); do
    timeout 5 docker info >/dev/null 2>&1 && break
    kill -0 "$STARTED_DOCKERD" 2>/dev/null || break
    sleep 1
  done
  if ! timeout 5 docker info >/dev/null 2>&1; then
    say "SKIPPED: dockerd cannot start on this machine; its last log lines:"
    tail -n 5 "$WORK/dockerd.log" | sed 's/^/    /'
    STARTED_DOCKERD=""
    exit 0
  fi
fi
say "docker $(docker version -f '{{.Server.Version}}'), compose: ${COMPOSE_CMD[*]} $("${COMPOSE_CMD[@]}" version --short 2>/dev/null || true)"

# 2. The base image: bookworm + this machine's node and npm, cached by tag.
NODE_BIN=$(command -v node)
NODE_VERSION=$("$NODE_BIN" -p 'process.versions.node')
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
BASE="chatops-local/node:${NODE_VERSION}-bookworm"
REDIS_IMAGE="chatops-local/redis:bookworm"
if [ "${DOCKER_TEST_KEEP_BASE:-1}" = 1 ] && docker image inspect "$BASE" >/dev/null 2>&1; then
  say "base image $BASE: cached"
else
  command -v debootstrap >/dev/null || apt_install debootstrap
  b0=$(date +%s)
  ROOTFS="$WORK/rootfs"
  say "debootstrap of Debian bookworm into $ROOTFS"
  timeout 1200 debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log"; fail "debootstrap"; }
  install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
  mkdir -p "$ROOTFS/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  # node's shared libraries: bookworm has them (this machine is bookworm too); any it lacks is copied.
  for lib in $(ldd "$NODE_BIN" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }'); do
    [ -e "$ROOTFS$lib" ] || { say "copying $lib into the base"; mkdir -p "$ROOTFS$(dirname "$lib")"; cp -L "$lib" "$ROOTFS$lib"; }
  done
  # The official image's user, which the Dockerfile's `USER node` names.
  chroot "$ROOTFS" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  chroot "$ROOTFS" env -u NODE_EXTRA_CA_CERTS /usr/local/bin/node -e 'process.exit(0)' || fail "node does not run in the bookworm root"
  # This machine's CA bundle: where an egress proxy intercepts TLS, `npm ci` in the build trusts it too.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$ROOTFS/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/"
  fi
  rm -rf "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/lib/apt/lists/"*
  tar -C "$ROOTFS" -c . | timeout 600 docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' - "$BASE" >/dev/null
  rm -rf "$ROOTFS"
  docker image rm "$REDIS_IMAGE" >/dev/null 2>&1 || true
  say "base image $BASE made in $(($(date +%s) - b0)) s"
fi
# Redis for the stack, from the same base (the compose file's default is the official redis image).
if ! docker image inspect "$REDIS_IMAGE" >/dev/null 2>&1; then
  say "building $REDIS_IMAGE (Debian's redis-server)"
  printf 'ARG BASE\nFROM ${BASE}\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*\n' \
    | timeout 900 docker build -q --build-arg BASE="$BASE" -t "$REDIS_IMAGE" - >/dev/null || fail "building $REDIS_IMAGE"
fi

# 3. The bot's image, on that base.
say "building $IMAGE (NODE_IMAGE=$BASE)"
b0=$(date +%s)
timeout 2400 docker build --build-arg NODE_IMAGE="$BASE" -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
  || { tail -n 40 "$WORK/build.log"; fail "docker build"; }
BUILD_S=$(($(date +%s) - b0))
SIZE_MB=$(($(docker image inspect -f '{{.Size}}' "$IMAGE") / 1000000))
BASE_MB=$(($(docker image inspect -f '{{.Size}}' "$BASE") / 1000000))
say "built in ${BUILD_S} s: ${SIZE_MB} MB (base ${BASE_MB} MB)"

# 4. `chatops validate` in the image, on the runbooks it carries.
v0=$(date +%s%N)
timeout 120 docker run --rm "$IMAGE" validate >"$WORK/validate.out" 2>&1 || { cat "$WORK/validate.out"; fail "chatops validate in the image"; }
grep -Eq '^ok: [0-9]+ workflow\(s\), [0-9]+ command\(s\), policy loaded' "$WORK/validate.out" || { cat "$WORK/validate.out"; fail "unexpected validate output"; }
say "chatops validate in the image: $(grep '^ok' "$WORK/validate.out") ($(( ($(date +%s%N) - v0) / 1000000 )) ms with docker run)"

# 5. The compose stack: Redis, serve, two workers, the examples mounted as runbooks (a folder of
#    runbooks only: the live reload watches all of it, so not the checkout with its node_modules).
mkdir -p "$WORK/runbooks"
cp -r commands workflows policy.yaml "$WORK/runbooks/"
if [ -f alerts.yaml ]; then cp alerts.yaml "$WORK/runbooks/"; fi
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
: >"$WORK/chatops.env"
export CHATOPS_IMAGE="$IMAGE" REDIS_IMAGE NODE_IMAGE="$BASE" CHATOPS_PORT="$PORT" CHATOPS_ENV_FILE="$WORK/chatops.env" CHATOPS_RUNBOOKS="$WORK/runbooks"
CHATOPS_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export CHATOPS_SECRET_KEY
COMPOSE=("${COMPOSE_CMD[@]}" -p "$PROJECT" -f docker-compose.yml)
u0=$(date +%s)
timeout 300 "${COMPOSE[@]}" up -d --no-build >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "compose up"; }
ready=""
for _ in $(seq 120); do
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 1
done
[ -n "$ready" ] || fail "serve's /readyz did not answer 200 within 120 s"
READY_S=$(($(date +%s) - u0))
say "stack up, serve's /readyz 200 after ${READY_S} s: $(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/readyz")"
# The workers' health checks (their /readyz on CHATOPS_WORKER_PORT) go healthy.
for svc in worker-1 worker-2 redis; do
  cid=$("${COMPOSE[@]}" ps -q "$svc")
  health=""
  for _ in $(seq 90); do
    health=$(docker inspect -f '{{.State.Health.Status}}' "$cid")
    [ "$health" = healthy ] && break
    sleep 1
  done
  [ "$health" = healthy ] || fail "$svc is $health, not healthy, after 90 s"
done
say "workers and redis healthy after $(($(date +%s) - u0)) s"

# 6. A run started through the CLI in a container, its steps run by the workers.
timeout 60 "${COMPOSE[@]}" exec -T serve chatops workers >"$WORK/workers.out" 2>&1 || { cat "$WORK/workers.out"; fail "chatops workers"; }
live=$(grep -c '  pools ' "$WORK/workers.out" || true)
[ "$live" -eq 2 ] || { cat "$WORK/workers.out"; fail "chatops workers lists $live live worker(s), not 2"; }
r0=$(date +%s%N)
timeout 120 "${COMPOSE[@]}" exec -T serve chatops run diagnose-high-error-rate --input service=api >"$WORK/run.out" 2>&1 \
  || { cat "$WORK/run.out"; fail "chatops run diagnose-high-error-rate"; }
grep -q '^succeeded in' "$WORK/run.out" || { cat "$WORK/run.out"; fail "the run did not succeed"; }
say "chatops run in the serve container: $(grep '^succeeded in' "$WORK/run.out") ($(( ($(date +%s%N) - r0) / 1000000 )) ms with compose exec)"

# 7. The runbooks reload in every process of the stack (`chatops reload` over Redis).
timeout 60 "${COMPOSE[@]}" exec -T serve chatops reload >"$WORK/reload.out" 2>&1 || { cat "$WORK/reload.out"; fail "chatops reload"; }
grep -q '^all 3 on project' "$WORK/reload.out" || { cat "$WORK/reload.out"; fail "chatops reload did not find serve and both workers on one project version"; }
say "chatops reload: $(tail -n 1 "$WORK/reload.out")"

say "PASSED: base ${BASE_MB} MB, image ${SIZE_MB} MB built in ${BUILD_S} s, /readyz after ${READY_S} s, total $(($(date +%s) - t0)) s"
