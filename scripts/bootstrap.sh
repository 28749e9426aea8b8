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
