"""The API token check remembered per process: fewer queries, and revocation still honoured."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

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
    token = Token.objects.create(user=user)
    with CaptureQueriesContext(connection) as first:
        assert _check(token.key)[0].pk == user.pk
    with CaptureQueriesContext(connection) as again:
        for _ in range(5):
            found, found_token = _check(token.key)
    assert len(first) == 1 and len(again) == 0
    assert found.pk == user.pk and found_token.key == token.key
    assert found is not _check(token.key)[0]  # each request gets its own user object


def test_a_deleted_token_is_refused_at_once(user):
    token = Token.objects.create(user=user)
    _check(token.key)
    token.delete()
    with pytest.raises(AuthenticationFailed):
        _check(token.key)


def test_a_deactivated_user_is_refused_at_once(user):
    token = Token.objects.create(user=user)
    _check(token.key)
    user.is_active = False
    user.save()
    with pytest.raises(AuthenticationFailed):
        _check(token.key)


def test_an_unknown_token_is_never_remembered(user):
    with pytest.raises(AuthenticationFailed):
        _check("0" * 40)
    token = Token.objects.create(user=user, key="0" * 40)
    assert _check(token.key)[0].pk == user.pk


def test_the_memory_expires_and_can_be_turned_off(user, settings, monkeypatch):
    import service.api.authentication as authentication

    token = Token.objects.create(user=user)
    clock = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock[0])
    _check(token.key)
    clock[0] += settings.JOST_TOKEN_CACHE_S + 0.1
    with CaptureQueriesContext(connection) as expired:
        _check(token.key)
    assert len(expired) == 1
    settings.JOST_TOKEN_CACHE_S = 0
    with CaptureQueriesContext(connection) as off:
        _check(token.key)
        _check(token.key)
    assert len(off) == 2


def test_the_api_answers_through_the_remembered_token(api, user):
    assert api.get("/api/jobs/").status_code == 200
    Token.objects.filter(user=user).delete()  # a queryset delete sends post_delete per row
    assert api.get("/api/jobs/").status_code == 401
