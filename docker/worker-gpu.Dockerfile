# A qbound GPU worker: ONNX Runtime with the CUDA and TensorRT providers, and trtexec.
# Build from the repository root: docker build -f docker/worker-gpu.Dockerfile -t qbound-worker-gpu .
# The base image carries CUDA, cuDNN, TensorRT 10 and trtexec; pick the tag matching the
# node's driver.
ARG TENSORRT_IMAGE=nvcr.io/nvidia/tensorrt:25.10-py3

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-pip \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN QBOUND_ORT_FLAVOR=gpu scripts/setup-ort.sh \
    && cargo build --release --locked -p qbound-server

FROM ${TENSORRT_IMAGE}
COPY --from=build /src/target/release/qbound /usr/local/bin/qbound
COPY --from=build /src/.ort/lib/ /usr/local/lib/qbound/
ENV ORT_DYLIB_PATH=/usr/local/lib/qbound/libonnxruntime.so \
    LD_LIBRARY_PATH=/usr/local/lib/qbound:${LD_LIBRARY_PATH}
WORKDIR /var/lib/qbound-worker
# QBOUND_SERVER and QBOUND_TOKEN come from the environment (see docker/compose.yaml).
ENTRYPOINT ["sh", "-c", "exec qbound worker --server \"$QBOUND_SERVER\" --work-dir /var/lib/qbound-worker"]
