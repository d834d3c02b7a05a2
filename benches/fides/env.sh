# Fides settings for the side-by-side benchmark (sourced by run.sh).
# Everything points at local throw-away services: a private PostgreSQL on
# port 5433 (max_connections = 400: Fides opens more than the stock 100
# allow during one erasure request), database
# `fides_bench` (Fides' own application database), `fides_bench_data`
# (the data the access/erasure requests reach), Redis db 5.
export FIDES__DATABASE__SERVER=127.0.0.1
export FIDES__DATABASE__PORT=5433
export FIDES__DATABASE__USER=postgres
export FIDES__DATABASE__PASSWORD=postgres
export FIDES__DATABASE__DB=fides_bench
export FIDES__REDIS__HOST=127.0.0.1
export FIDES__REDIS__PORT=6379
export FIDES__REDIS__PASSWORD=
export FIDES__REDIS__DB_INDEX=5
export FIDES__REDIS__SSL=false
export FIDES__SECURITY__APP_ENCRYPTION_KEY=habeasbenchhabeasbenchhabeasbenc
export FIDES__SECURITY__OAUTH_ROOT_CLIENT_ID=bench
export FIDES__SECURITY__OAUTH_ROOT_CLIENT_SECRET=benchsecret
export FIDES__SECURITY__ENV=dev
export FIDES__SECURITY__REQUEST_RATE_LIMIT=100000/minute
export FIDES__EXECUTION__REQUIRE_MANUAL_REQUEST_APPROVAL=false
export FIDES__EXECUTION__SUBJECT_IDENTITY_VERIFICATION_REQUIRED=false
# Tasks go through Redis to a `fides worker` (the production setup); run
# eagerly inside the webserver they leak application-database connections.
export FIDES__CELERY__TASK_ALWAYS_EAGER=false
export FIDES__CLI__SERVER_HOST=127.0.0.1
export FIDES__CLI__SERVER_PORT=8088
export FIDES__USER__ANALYTICS_OPT_OUT=true
export FIDES__LOGGING__LEVEL=WARNING
# The defaults (pools of 50 + 50 overflow per engine) exhaust a stock
# PostgreSQL (max_connections = 100) during one erasure request.
export FIDES__DATABASE__API_ENGINE_POOL_SIZE=10
export FIDES__DATABASE__API_ENGINE_MAX_OVERFLOW=5
export FIDES__DATABASE__TASK_ENGINE_POOL_SIZE=5
export FIDES__DATABASE__TASK_ENGINE_MAX_OVERFLOW=5
export FIDES__DATABASE__API_ASYNC_ENGINE_POOL_SIZE=3
export FIDES__DATABASE__API_ASYNC_ENGINE_MAX_OVERFLOW=2
