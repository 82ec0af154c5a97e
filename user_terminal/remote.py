"""A client of the JOST service API (README "The service"), with errors a player can read.

Every failure — no connection, a timeout, a refused token, a 4xx or 5xx answer — becomes one
`RemoteError` whose message says what happened and what to do; nothing here prints.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from user_terminal.errors import EXIT_BAD_INPUT, EXIT_SERVICE, JostError

TIMEOUT_S = 15.0
FINISHED = frozenset({"COMPLETE", "FAILED", "CANCELLED"})


class RemoteError(JostError):
    """The service could not be used; ``status`` is the HTTP status when there was an answer."""

    def __init__(self, message: str, code: int = EXIT_SERVICE, status: int | None = None) -> None:
        super().__init__(message, code)
        self.status = status


MIN_PREFIX = 4  # hex digits of a shortened job id


def job_id(text: str) -> str:
    """A job id as the service writes it; refuses anything that is not one."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise JostError(f"not a job id: {text!r} (see `jost jobs list`)") from None


def job_prefix(text: str) -> str | None:
    """The hex digits of a shortened job id (``05b90c21``, ``05b90c21-a1b7``), else None."""
    digits = text.strip().replace("-", "").lower()
    if MIN_PREFIX <= len(digits) < 32 and all(c in "0123456789abcdef" for c in digits):
        return digits
    return None


def _refusal(reply: httpx.Response) -> tuple[str, str]:
    """(error code, one-line detail) of an error answer."""
    try:
        body = reply.json()
    except ValueError:
        return "", reply.reason_phrase or "no details"
    if not isinstance(body, dict):
        return "", str(body)[:200]
    detail = str(body.get("detail") or body.get("error") or "no details")
    problems = body.get("problems") or []
    shown = [
        f"{p.get('path') or '(document)'}: {p.get('message', '')}"
        for p in problems
        if isinstance(p, dict) and p.get("message") and p.get("message") != detail
    ]
    if shown:
        detail += " — " + "; ".join(shown[:5]) + (" …" if len(shown) > 5 else "")
    return str(body.get("error") or ""), detail


class ServiceClient:
    """One service, one token. ``transport`` lets tests hand in an httpx transport."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Accept": "application/json", "User-Agent": "jost-terminal"}
        if token:
            headers["Authorization"] = f"Token {token}"
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )
        self._timeout = timeout

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- one request ------------------------------------------------------------------------

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        try:
            reply = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise RemoteError(f"cannot reach the service at {self.url}: {_reason(exc)}") from None
        except httpx.TimeoutException:
            raise RemoteError(
                f"the service at {self.url} did not answer within {self._timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"network error talking to {self.url}: {type(exc).__name__}: {_reason(exc)}"
            ) from None
        code = reply.status_code
        if code == 401:
            raise RemoteError(
                f"the service at {self.url} refused the token (401): it is missing, wrong or "
                "expired — run `jost login URL` again",
                status=code,
            )
        if 400 <= code < 500:
            error, detail = _refusal(reply)
            label = f"{code} {error}".strip()
            raise RemoteError(
                f"the service refused {what} ({label}): {detail}", EXIT_BAD_INPUT, status=code
            )
        if code >= 500:
            _, detail = _refusal(reply)
            raise RemoteError(f"the service failed on {what} ({code}): {detail}", status=code)
        if code == 204 or not reply.content:
            return None
        try:
            return reply.json()
        except ValueError:
            raise RemoteError(
                f"the service at {self.url} answered {what} with something that is not JSON "
                f"({reply.headers.get('content-type', 'no content type')}): is it a JOST service?",
                status=code,
            ) from None

    # ---- the API ----------------------------------------------------------------------------

    def token(self, username: str, password: str) -> str:
        body = self._request(
            "POST",
            "/api/auth/token/",
            "the login",
            json={"username": username, "password": password},
        )
        return str(body["token"])

    def revoke_token(self) -> None:
        """Ends this client's token on the service (``jost logout``)."""
        self._request("POST", "/api/auth/token/revoke/", "the logout")

    def submit(self, config: Mapping[str, Any], idempotency_key: str | None = None) -> dict:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._request("POST", "/api/submit/", "the config", json=config, headers=headers)

    def resolve(self, job: str) -> str:
        """The full id of a job given whole or by a unique prefix of at least four digits
        (as `jost jobs list` shows them); a prefix of none or several jobs is refused."""
        digits = job_prefix(job)
        if digits is None:
            return job_id(job)
        found = self._request("GET", "/api/jobs/", f"jobs starting {job}", params={"id": digits})
        ids = [row["job_id"] for row in found.get("results", [])]
        if not ids:
            raise JostError(f"no job of yours starts with {job!r} (see `jost jobs list`)")
        if found.get("count", len(ids)) > 1:
            shown = ", ".join(ids[:5]) + (", ..." if found.get("count", 0) > 5 else "")
            raise JostError(
                f"{found.get('count')} jobs start with {job!r}: {shown}; give more of the id"
            )
        return str(ids[0])

    def status(self, job: str) -> dict:
        key = self.resolve(job)
        return self._request("GET", f"/api/status/{key}/", f"the status of job {job}")

    def result(self, job: str) -> dict:
        key = self.resolve(job)
        return self._request("GET", f"/api/results/{key}/", f"the result of job {job}")

    def jobs(self, status: str | None = None, page: int = 1) -> dict:
        params: dict[str, Any] = {"page": page}
        if status:
            params["status"] = status
        return self._request("GET", "/api/jobs/", "the job list", params=params)

    def cancel(self, job: str) -> dict:
        key = self.resolve(job)
        return self._request("POST", f"/api/jobs/{key}/cancel/", f"cancelling job {job}")

    def defaults(self) -> dict:
        return self._request("GET", "/api/defaults/", "the default profiles")

    def check_token(self) -> None:
        """Raises `RemoteError` unless the token opens the job list."""
        self.jobs()

    # ---- following a job --------------------------------------------------------------------

    def follow(
        self,
        job: str,
        on_progress: Callable[[int, int, str], None] | None = None,
        *,
        poll_s: float = 0.5,
    ) -> dict:
        """Poll a job until it ends; its result document, or `RemoteError` if it did not finish."""
        while True:
            status = self.status(job)
            progress = status.get("progress") or {}
            if on_progress is not None:
                on_progress(
                    int(progress.get("rounds_done") or 0),
                    int(progress.get("rounds_total") or 0),
                    str(status.get("status")),
                )
            state = status.get("status")
            if state == "COMPLETE":
                return self.result(job)
            if state == "FAILED":
                raise RemoteError(f"job {job} failed on the service: {status.get('error')}")
            if state == "CANCELLED":
                raise RemoteError(f"job {job} was cancelled")
            time.sleep(poll_s)


def _reason(exc: Exception) -> str:
    """The innermost reason of a network error, without the library's framing."""
    text = str(exc) or type(exc).__name__
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text
