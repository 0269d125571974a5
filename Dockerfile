# flowlens in a container: a static binary on a small base with a shell
# (for the entrypoint) and wget (for the health check).
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/flowlens .

FROM alpine:3.21
RUN adduser -D -H -u 10001 flowlens
COPY --from=build /out/flowlens /usr/local/bin/flowlens
COPY docker/entrypoint.sh /usr/local/bin/flowlens-entrypoint
USER flowlens
ENV ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/flowlens-entrypoint"]
