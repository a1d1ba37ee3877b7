# syntax=docker/dockerfile:1
# srs-node: one image, started like SRS Stack's:
#   docker run --rm -it -p 2022:2022 -p 2443:2443 -p 1935:1935 -p 8000:8000/udp -p 10080:10080/udp \
#     -v $HOME/data:/data srs-node
# Stage 1 builds the TypeScript, the console and the native SRT addon; stage 2 runs them on Debian slim with
# Node, FFmpeg, redis-server and libsrt from Debian, as a non-root user, under tini (SIGTERM reaches node, which
# shuts down gracefully and ends every child; tini reaps whatever is left).

# ---- build ----
FROM node:20.20.2-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 pkg-config libsrt-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/package.json console/package-lock.json console/
RUN cd console && npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && (cd console && npx vite build) \
 && node native/srt/build.mjs --force \
 && npm prune --omit=dev --no-audit --no-fund

# ---- run ----
FROM node:20.20.2-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg redis-server libsrt1.5-openssl tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown node:node /data
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/console/dist ./console/dist
COPY --from=build --chown=root:root /app/native/srt/build/Release/srt_native.node ./native/srt/build/Release/srt_native.node
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PLATFORM_DOCKER=on \
    SHUTDOWN_TIMEOUT_MS=10000
VOLUME ["/data"]
# HTTP (console, API, HTTP-FLV/TS, HLS, WHIP/WHEP), HTTPS, RTMP, RTMPS, WebRTC media (UDP), SRT (UDP)
EXPOSE 2022 2443 1935 1936 8000/udp 10080/udp
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||2022)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
