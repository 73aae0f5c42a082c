# syntax=docker/dockerfile:1
# Roster and deployment matching service. Configuration comes only from ROSTER_* variables.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, in their own layer: only pyproject.toml invalidates it.
COPY pyproject.toml README.md ./
RUN mkdir -p schemas solver service seed_data \
    && touch schemas/__init__.py solver/__init__.py service/__init__.py seed_data/__init__.py \
    && pip install . \
    && pip uninstall -y roster
COPY schemas ./schemas
COPY solver ./solver
COPY service ./service
COPY seed_data ./seed_data
RUN pip install --no-deps .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    ROSTER_ENVIRONMENT=production
RUN groupadd --system roster && useradd --system --gid roster --home-dir /app roster \
    && mkdir /app && chown roster:roster /app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER roster
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["roster", "serve", "--host", "0.0.0.0", "--port", "8000"]
