#!/usr/bin/env bash
# `make run`: the web server, the background worker and the scheduler together; one Ctrl-C stops all three.
# Usage: scripts/run.sh HOST PORT   (run from the project folder, after migrate and load_demo)
set -u
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
PY=${PY:-.venv/bin/python}
export DIAODU_DEBUG=${DIAODU_DEBUG:-1}

pids=()
stop() {
  trap - INT TERM EXIT
  # Each child by its own pid (the worker finishes or abandons its task; a restart recovers it).
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait
}
trap stop INT TERM EXIT

$PY manage.py db_worker --no-reload & pids+=($!)
$PY manage.py scheduler & pids+=($!)
$PY manage.py runserver "$HOST:$PORT" & pids+=($!)
# When any of them ends (or Ctrl-C), stop the others.
wait -n
