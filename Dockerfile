# SPDX-License-Identifier: MIT
# pacedns in a container: Debian 12, the dependencies of scripts/install-deps.sh (the
# same script a workstation uses), built and installed to /usr/local. The image of
# deploy/kubernetes/indexed-job.yaml:
#   docker build -t pacedns:latest .
FROM debian:12
COPY . /src/pacedns
RUN bash /src/pacedns/scripts/install-deps.sh \
 && cmake -S /src/pacedns -B /src/build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /src/build -j"$(nproc)" \
 && cmake --install /src/build \
 && ldconfig \
 && rm -rf /src/build /var/lib/apt/lists/*
USER 65534:65534
WORKDIR /data
ENTRYPOINT []
CMD ["pacedns", "--help"]
