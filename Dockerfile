# The project's image: the mock providers, the reference gateway, the janitor and the
# runner of compose/docker-compose.yml. Every dependency comes from the lock, hashes
# checked (as `make install` does); the image runs as a user without privileges.
#
#     docker build -t chaos-llm .
#
# BASE lets an engine with no registry build from an image of its own (the README's
# "Staging with Docker Compose" says how): it must provide python3.11 on its PATH.
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
WORKDIR /src
COPY requirements/dev.lock requirements/dev.lock
RUN python3 -m venv /opt/chaos \
    && /opt/chaos/bin/python -m pip install --no-cache-dir --quiet --require-hashes -r requirements/dev.lock
COPY pyproject.toml README.md ./
COPY chaos chaos
RUN /opt/chaos/bin/python -m pip install --no-cache-dir --quiet --no-deps --no-build-isolation .

FROM ${BASE}
COPY --from=build /opt/chaos /opt/chaos
WORKDIR /app
COPY scenarios scenarios
COPY loadtests loadtests
COPY compose compose
RUN useradd --system --uid 10001 --home-dir /app chaos
USER 10001
ENV PATH=/opt/chaos/bin:$PATH PYTHONUNBUFFERED=1
ENTRYPOINT ["chaos"]
CMD ["--help"]
