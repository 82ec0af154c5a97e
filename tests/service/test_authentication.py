"""The API token check remembered per process: fewer queries, and revocation still honoured."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import AuthenticationFailed

from service.accounts.models import ApiToken
from service.accounts.tokens import token_issue
from service.api.authentication import CachedTokenAuthentication, forget_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_memory():
    forget_tokens()
    yield
    forget_tokens()


def _check(key: str):
    return CachedTokenAuthentication().authenticate_credentials(key)


def test_a_checked_token_is_remembered_without_another_query(user):
    key = token_issue(user)
    with CaptureQueriesContext(connection) as first:
        assert _check(key)[0].pk == user.pk
    with CaptureQueriesContext(connection) as again:
        for _ in range(5):
            found, found_token = _check(key)
    assert len(first) == 1 and len(again) == 0
    assert found.pk == user.pk and found_token.user_id == user.pk
    assert found is not _check(key)[0]  # each request gets its own user object


def test_a_deleted_token_is_refused_at_once(user):
    key = token_issue(user)
    _check(key)
    ApiToken.objects.get(user=user).delete()
    with pytest.raises(AuthenticationFailed):
        _check(key)


def test_a_deactivated_user_is_refused_at_once(user):
    key = token_issue(user)
    _check(key)
    user.is_active = False
    user.save()
    with pytest.raises(AuthenticationFailed):
        _check(key)


def test_an_unknown_token_is_never_remembered(user):
    key = token_issue(user)
    with pytest.raises(AuthenticationFailed):
        _check(key[::-1])
    assert _check(key)[0].pk == user.pk


def test_the_memory_expires_and_can_be_turned_off(user, settings, monkeypatch):
    import service.api.authentication as authentication

    key = token_issue(user)
    clock = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock[0])
    _check(key)
    clock[0] += settings.JOST_TOKEN_CACHE_S + 0.1
    with CaptureQueriesContext(connection) as expired:
        _check(key)
    assert len(expired) == 1
    settings.JOST_TOKEN_CACHE_S = 0
    with CaptureQueriesContext(connection) as off:
        _check(key)
        _check(key)
    assert len(off) == 2


def test_the_api_answers_through_the_remembered_token(api, user):
    assert api.get("/api/jobs/").status_code == 200
    ApiToken.objects.filter(user=user).delete()  # a queryset delete sends post_delete per row
    assert api.get("/api/jobs/").status_code == 401
