# Kassa's container image: one static binary (pure Go, SQLite included) on
# a distroless base that holds CA certificates and a non-root user, and
# nothing else: no shell, no package manager.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t kassa .
#   docker run --rm -p 8080:8080 -v kassa-data:/data kassa
#
# The data (the SQLite database, a sandbox's key and credentials) is in
# the /data volume. docs/operations.md has every setting; deploy/ has a
# compose file for PostgreSQL with two replicas behind a TLS proxy.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/kassa ./cmd/kassa \
 && install -d -m 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kassa /usr/local/bin/kassa
# The data directory belongs to the image's non-root user (65532) alone.
COPY --from=build --chown=65532:65532 /out/data /data
ENV KASSA_ADDR=:8080 \
    KASSA_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 65532:65532
# Liveness only: /readyz, which asks the database, is for load balancers.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/kassa", "health"]
ENTRYPOINT ["/usr/local/bin/kassa"]
CMD ["serve"]
