# Sourced by scripts/run and scripts/test (not executed): makes sure uv exists and the virtual
# environment matches the committed uv.lock.  Usage: source scripts/bootstrap.sh; bootstrap [uv sync args]

bootstrap() {
  if ! command -v uv >/dev/null 2>&1; then
    echo "bootstrap: uv not found, installing it with pip" >&2
    if python3 -m pip install --user --quiet uv; then
      PATH="$(python3 -m site --user-base)/bin:$PATH"
      export PATH
    else
      # --user is refused inside a virtual environment: install into it instead.
      pip install --quiet uv
    fi
    hash -r
  fi
  # uv.lock is committed; it is created here only when it is missing (a fresh export of the sources).
  if [[ ! -f uv.lock ]]; then
    echo "bootstrap: uv.lock is missing, creating it (commit it)" >&2
    uv lock
  fi
  # --locked: fail if pyproject.toml and uv.lock disagree instead of silently re-resolving.
  uv sync --locked --quiet "$@"
}

# `onething simulate` sets the time-skipping server's clock back with libfaketime (Debian package faketime)
# so its simulated weeks end today; without it the run still works but its weeks lie in the future.
ensure_faketime() {
  if compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null; then
    return 0
  fi
  if [[ $(id -u) -eq 0 ]]; then
    echo "bootstrap: installing faketime (Debian) for onething simulate" >&2
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime >/dev/null; }; then
      echo "bootstrap: warning: could not install faketime; onething simulate will put its weeks in the future" >&2
    fi
  else
    echo "bootstrap: note: apt-get install faketime so onething simulate's weeks end today" >&2
  fi
}
