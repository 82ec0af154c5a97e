"""Deploy hardening, each setting read as a real start reads it (a fresh process, the
environment only): production refuses what it must, ``check --deploy`` is quiet, bad numbers
stop the start with their name; the web server's own settings; the embedded tally is exact."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.service.live import Stack

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "JOST_PRODUCTION": "true",
    "SECRET_KEY": "k" * 20 + "-Zq9#x" + "v" * 40,
    "ALLOWED_HOSTS": "jost.example.com",
    "JOST_BEHIND_HTTPS_PROXY": "true",
}


def _run(tmp_path: Path, code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JOST_", "DJANGO_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    base.update({"JOST_DATA_DIR": str(tmp_path / "data"), "CELERY_BROKER_URL": "memory://"})
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


SETUP = (
    "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'service.settings'; "
    "import django; django.setup()"
)


@pytest.mark.parametrize(
    ("env", "needles"),
    [
        ({"JOST_RETENTION_DAYS": "1e9"}, ["JOST_RETENTION_DAYS must be between 0 and 36500"]),
        ({"JOST_RETENTION_DAYS": "-1"}, ["JOST_RETENTION_DAYS", "got -1.0"]),
        (
            {"JOST_TOKEN_TTL_DAYS": "nan", "JOST_LOGIN_CONCURRENCY": "0", "PORT": "70000"},
            ["JOST_TOKEN_TTL_DAYS", "JOST_LOGIN_CONCURRENCY", "PORT must be between 1 and 65535"],
        ),
        ({"JOST_THROTTLE_ANON": "lots"}, ["JOST_THROTTLE_ANON must be like 300/minute"]),
        ({"JOST_TRUSTED_PROXIES": "10.0.0.0/8,proxy"}, ["'proxy' is not an IP address"]),
        ({**PRODUCTION, "SECRET_KEY": ""}, ["JOST_PRODUCTION=true needs SECRET_KEY"]),
        ({**PRODUCTION, "DEBUG": "true"}, ["DEBUG must be off"]),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, ["ALLOWED_HOSTS must name the host names"]),
    ],
)
def test_a_bad_setting_stops_the_start_naming_it(tmp_path, env, needles):
    done = _run(tmp_path, SETUP, env)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("service.settings.ImproperlyConfiguredEnv:"), done.stderr[-2000:]
    for needle in needles:
        assert needle in last, last


def test_check_deploy_with_the_documented_production_variables_is_quiet(tmp_path):
    code = (
        SETUP + "\nfrom django.core.management import call_command\n"
        "call_command('check', deploy=True)\n"
    )
    done = _run(tmp_path, code, PRODUCTION)
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout + done.stderr
    for warning in ("W004", "W008", "W012", "W016", "W009", "W018", "W020"):
        assert warning not in report, report
    settings = _run(
        tmp_path,
        SETUP + "\nfrom django.conf import settings as s\n"
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REDIRECT_EXEMPT)",
        PRODUCTION,
    )
    assert settings.stdout.split(")")[0] == "('HTTP_X_FORWARDED_PROTO', 'https'"
    assert "True 31536000 True True" in settings.stdout


def test_the_embedded_default_stays_zero_config(tmp_path):
    done = _run(
        tmp_path,
        SETUP + "\nfrom django.conf import settings as s\n"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.CACHES['throttle']['BACKEND'])",
        {},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False", "0", "service.tally.SQLiteTallyCache"]


def test_the_embedded_tally_is_exact_across_processes(tmp_path):
    """Two processes counting the same key at once: every increment counted once."""
    script = textwrap.dedent(
        f"""
        import sys
        from django.conf import settings
        settings.configure()
        from service.tally import SQLiteTallyCache
        tally = SQLiteTallyCache({str(tmp_path / "tally.sqlite3")!r}, {{}})
        counts = [tally.count("submit:alice", 60) for _ in range(300)]
        print(max(counts))
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    highest = [int(out) for out, _ in outputs]
    assert max(highest) == 600  # 2 x 300, none lost or doubled


def test_gunicorn_settings_claim_no_shared_control_socket_and_trust_no_proxy(monkeypatch):
    import importlib

    import service.gunicorn_conf as conf

    monkeypatch.delenv("JOST_CONTROL_SOCKET", raising=False)
    monkeypatch.delenv("JOST_TRUSTED_PROXIES", raising=False)
    conf = importlib.reload(conf)
    assert conf.control_socket_disable is True and conf.forwarded_allow_ips == ""
    monkeypatch.setenv("JOST_CONTROL_SOCKET", "/run/jost/web-1.ctl")
    monkeypatch.setenv("JOST_TRUSTED_PROXIES", "10.0.0.2, 10.1.0.0/16")
    conf = importlib.reload(conf)
    assert conf.control_socket == "/run/jost/web-1.ctl"
    assert conf.forwarded_allow_ips == "10.0.0.2,10.1.0.0/16"


def test_a_client_that_sends_its_headers_too_slowly_is_cut_off(stack: Stack):
    """Slowloris: the live stack gives a client JOST_HEADER_TIMEOUT_S (2 s in the tests)."""
    host, port = stack.base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        conn.settimeout(0.5)
        closed = False
        while not closed and time.monotonic() - started < 15:
            try:
                conn.sendall(b"X-a: b\r\n")  # a header line now and then, never the end
                closed = conn.recv(1024) == b""
            except TimeoutError:
                continue  # the server still waits: keep trickling
            except OSError:
                closed = True
    held = time.monotonic() - started
    assert closed and held < 8, held
    assert stack.call("GET", "/healthz", user=None).status == 200  # the server is still fine
