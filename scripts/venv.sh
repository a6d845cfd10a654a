# Sourced by scripts/run and scripts/test: a virtual environment in .venv with CoP Mailer
# installed (the distribution's own Python refuses `pip install` outside one: PEP 668).
#   ensure_venv EXTRA    EXTRA: "" or "[test]"
# Uses $PYTHON (default python3, 3.11 or newer). On Debian and Ubuntu, python3-venv is
# installed through apt when the venv module is missing.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  echo "cop: installing $* (Debian packages)" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null
}

ensure_venv() {
  local extra="$1" python="${PYTHON:-python3}" venv="${COP_VENV:-.venv}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "cop: needs Python 3.11 or newer as $python (set PYTHON=/path/to/python3.11)" >&2
    exit 1
  fi
  if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
      command -v apt-get >/dev/null 2>&1 || {
        echo "cop: $python has no venv module; install it (python3-venv) and run again" >&2
        exit 1; }
      local version
      version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt_install "python${version}-venv"
    fi
    "$python" -m venv "$venv"
  fi
  # reinstall only when pyproject.toml changed since the last install
  local stamp="$venv/.cop-installed$extra"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".$extra"
    touch "$stamp"
  fi
  VENV_PYTHON="$venv/bin/python"
}
