# The application image: web (gunicorn), worker and beat all run from it (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 1000 retta \
    && mkdir -p /data/media \
    && chown retta:retta /data/media \
    && chmod 750 /data/media
WORKDIR /app

# Dependencies first, from the pinned list in pyproject.toml, so that a code change does not
# reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY . .
# Static files are collected with the production storage (hashed names and the manifest
# WhiteNoise serves); the key is a throwaway for this build step only. Translations need no
# compiling: the .mo catalogues are committed.
RUN pip install --no-deps . \
    && SECRET_KEY=collectstatic-only DEBUG=false python manage.py collectstatic --noinput

USER retta
EXPOSE 8000
# Workers, threads, timeouts and keep-alive: gunicorn.conf.py (read from the working directory).
CMD ["gunicorn", "retta_cs.wsgi:application"]
