"""Production deployment as docs/deploy.md describes it: gunicorn serves the app and WhiteNoise its static files,
and the example environment file and systemd units name only settings and commands that exist."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
INTERNAL = {"DIAODU_TESTING"}  # set by the test settings, never by operators


def settings_variables() -> set[str]:
    source = (ROOT / "diaodu" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', source)) - INTERNAL


def env_example() -> dict[str, str]:
    """The example file's variables, set (``NAME=value``) or shown with their default (``# NAME=value``)."""
    found: dict[str, str] = {}
    for line in (DEPLOY / "diaodu.env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            assert match.group(1) not in found, f"{match.group(1)} is listed twice in deploy/diaodu.env.example"
            found[match.group(1)] = match.group(2)
    return found


def unit_files() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("*.service"))


def unit_options(path: Path) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            options.setdefault(key.strip(), []).append(value.strip())
    return options


# ---- the example environment file ------------------------------------------------------------------------


def test_every_variable_in_the_example_is_read_by_the_settings() -> None:
    unknown = sorted(set(env_example()) - settings_variables())
    assert not unknown, f"deploy/diaodu.env.example names variables settings.py never reads: {unknown}"


def test_the_example_lists_every_variable_the_settings_read() -> None:
    missing = sorted(settings_variables() - set(env_example()))
    assert not missing, f"deploy/diaodu.env.example does not list: {missing}"


def test_the_example_holds_no_secret() -> None:
    values = env_example()
    # Empty, so a copied example refuses to start until the operator generates a key of their own.
    assert values["DIAODU_SECRET_KEY"] == ""
    assert values["DIAODU_EMAIL_PASSWORD"] == ""
    assert urlsplit(values["DATABASE_URL"]).password is None, "the example DATABASE_URL must carry no password"


def test_the_example_is_production_not_the_demo() -> None:
    text = (DEPLOY / "diaodu.env.example").read_text(encoding="utf-8")
    assert not re.search(r"^DIAODU_DEBUG=", text, re.MULTILINE), "DIAODU_DEBUG must stay unset in production"
    values = env_example()
    assert values["DATABASE_URL"].startswith("postgres://")
    assert values["DIAODU_MAX_UPLOAD_BYTES"] == str(10 * 1024 * 1024)


def test_the_nginx_body_limit_matches_the_upload_limit() -> None:
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    limit = re.search(r"client_max_body_size\s+(\d+)m;", conf)
    assert limit, "deploy/nginx.conf sets no client_max_body_size"
    # The app refuses bodies over DIAODU_MAX_UPLOAD_BYTES plus the form around the file; nginx must let those
    # through so the user sees the app's Chinese 413 page, and stop anything much larger.
    nginx_limit = int(limit.group(1)) * 1024 * 1024
    assert settings.DIAODU_MAX_REQUEST_BYTES <= nginx_limit <= 2 * settings.DIAODU_MAX_REQUEST_BYTES
    assert "X-Forwarded-Proto" in conf and "ssl_certificate" in conf


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
            "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"),
        ],
        capture_output=True, timeout=60, check=True,
    )
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/diaodu/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/diaodu/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    # As Debian's /etc/nginx/nginx.conf includes sites-enabled/*: inside the http block.
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr


# ---- the systemd units -----------------------------------------------------------------------------------


def test_there_are_units_for_the_web_the_worker_and_the_scheduler() -> None:
    commands = {path.name: " ".join(unit_options(path).get("ExecStart", [])) for path in unit_files()}
    assert any("gunicorn" in line for line in commands.values()), commands
    assert any(re.search(r"manage\.py db_worker\b", line) for line in commands.values()), commands
    assert any(re.search(r"manage\.py scheduler\b", line) for line in commands.values()), commands


def test_every_unit_runs_an_existing_command_or_the_wsgi_module() -> None:
    known = get_commands()
    assert unit_files()
    for path in unit_files():
        options = unit_options(path)
        assert options.get("ExecStart"), f"{path.name} has no ExecStart"
        for line in options["ExecStart"]:
            if "gunicorn" in line:
                module = re.search(r"gunicorn\s+(?:.*\s)?([\w.]+\.wsgi)(?::application)?\b", line)
                assert module, f"{path.name}: gunicorn is not given a wsgi module: {line}"
                assert f"{module.group(1)}.application" == settings.WSGI_APPLICATION, line
                continue
            names = re.findall(r"manage\.py\s+([a-z_]+)", line)
            assert names, f"{path.name}: ExecStart runs neither gunicorn nor manage.py: {line}"
            for name in names:
                assert name in known, f"{path.name}: manage.py {name} is not a command of this project"
        assert options.get("EnvironmentFile") == ["/etc/diaodu/diaodu.env"], path.name
        assert options.get("User") == ["diaodu"], f"{path.name} must not run as root"


def test_every_timer_starts_an_existing_service() -> None:
    timers = sorted((DEPLOY / "systemd").glob("*.timer"))
    assert timers, "no backup timer"
    for timer in timers:
        options = unit_options(timer)
        service = options.get("Unit", [timer.with_suffix(".service").name])[0]
        assert (DEPLOY / "systemd" / service).exists(), f"{timer.name} starts {service}, which is missing"
        assert options.get("OnCalendar"), timer.name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units() -> None:
    units = sorted(str(path) for path in (DEPLOY / "systemd").iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True, timeout=60, check=False,
    )
    # The programs live on the server (/srv/diaodu/.venv), not here; anything else is a mistake in a unit.
    problems = [
        line for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert not problems, "\n".join(problems)


def test_the_manage_wrapper_is_a_valid_shell_script() -> None:
    script = DEPLOY / "diaodu-manage"
    assert os.access(script, os.X_OK)
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "/etc/diaodu/diaodu.env" in script.read_text(encoding="utf-8")


def test_the_backup_service_writes_a_backup() -> None:
    line = " ".join(unit_options(DEPLOY / "systemd" / "diaodu-backup.service")["ExecStart"])
    assert re.search(r"manage\.py backup --out \S+", line), line


# ---- gunicorn serving the app with WhiteNoise ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(tmp: Path) -> dict[str, str]:
    """The environment a production server has: no DIAODU_DEBUG, no test flag, a long key, its own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAODU_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="diaodu.settings",
        DIAODU_SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        DIAODU_STATIC_ROOT=str(tmp / "static"),
        DIAODU_MEDIA_ROOT=str(tmp / "media"),
        DIAODU_ALLOWED_HOSTS="127.0.0.1",
    )
    return env


def run_manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 (a local http URL we built)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not (ROOT / "static" / "vendor" / "htmx" / "htmx.min.js").exists():
        pytest.fail("static/vendor is empty: run `make assets` (scripts/fetch_assets.py) first")
    tmp = tmp_path_factory.mktemp("deploy")
    env = production_env(tmp)
    run_manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    run_manage(env, "migrate", "--noinput", "--verbosity", "0")
    port = free_port()
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"), "diaodu.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--no-control-socket", "--error-logfile", "-",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited:\n" + (tmp / "gunicorn.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not listen:\n" + (tmp / "gunicorn.log").read_text()
                time.sleep(0.2)
        yield {"base": base, "static_root": tmp / "static", "log": tmp / "gunicorn.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_gunicorn_serves_the_login_page_with_the_security_headers(gunicorn_server: dict[str, Any]) -> None:
    status, headers, body = get(gunicorn_server["base"] + "/login/")
    assert status == 200, body[:2000]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "no-store" in headers["Cache-Control"]
    # The page links the hashed names collectstatic wrote, so browsers may cache them for ever.
    hashed = re.search(rb'/static/css/diaodu\.[0-9a-f]{12}\.css', body)
    assert hashed, body[:2000]


def test_whitenoise_serves_the_collected_static_files(gunicorn_server: dict[str, Any]) -> None:
    assert (gunicorn_server["static_root"] / "staticfiles.json").exists()
    source = (ROOT / "static" / "css" / "diaodu.css").read_bytes()
    status, headers, body = get(gunicorn_server["base"] + "/static/css/diaodu.css")
    assert status == 200
    assert body == source
    assert headers["Content-Type"].startswith("text/css")

    _, _, page = get(gunicorn_server["base"] + "/login/")
    hashed = re.search(rb'/static/css/diaodu\.[0-9a-f]{12}\.css', page)
    assert hashed
    status, headers, body = get(gunicorn_server["base"] + hashed.group(0).decode())
    assert status == 200 and body == source
    assert "immutable" in headers["Cache-Control"]


def test_whitenoise_serves_the_front_end_packages(gunicorn_server: dict[str, Any]) -> None:
    status, headers, body = get(gunicorn_server["base"] + "/static/vendor/htmx/htmx.min.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert body == (ROOT / "static" / "vendor" / "htmx" / "htmx.min.js").read_bytes()
    request = urllib.request.Request(  # noqa: S310
        gunicorn_server["base"] + "/static/vendor/htmx/htmx.min.js", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        assert response.headers["Content-Encoding"] == "gzip"


def test_a_missing_static_file_is_a_404(gunicorn_server: dict[str, Any]) -> None:
    status, _, _ = get(gunicorn_server["base"] + "/static/css/no-such-file.css")
    assert status == 404


def test_the_health_endpoint_answers_under_gunicorn(gunicorn_server: dict[str, Any]) -> None:
    status, headers, body = get(gunicorn_server["base"] + "/healthz")
    assert status == 200, body[:2000]
    health = json.loads(body)
    # No worker runs next to this server, so none has been seen; the database answers.
    assert health["database"] == "ok"
    assert health["worker"] == "none"
    assert "max-age=0" in headers["Cache-Control"] or "no-store" in headers["Cache-Control"]
