"""``seed_demo`` in production (``DEBUG=false``): refused unless ``--allow-production``, and then
no published password: random passwords for the demo logins, printed once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from demo.builder import DEMO_PASSWORD, org
from execsupport import checks
from strategy.models import Objective
from tests.strategy.test_seed_demo import seed

User = get_user_model()
LOGINS = ("office", "leader", "member", "viewer")


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def printed_passwords(output: str) -> dict[str, str]:
    """{username: password} from the lines the command prints after seeding in production."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"^\s+(office|leader|member|viewer)\s+(\S+)\s+\S", line)
        if match:
            found[match[1]] = match[2]
    return found


@pytest.mark.django_db
def test_seed_demo_refuses_in_production_without_the_flag(production):
    with pytest.raises(CommandError, match="--allow-production") as error:
        seed()
    assert error.value.returncode == 1
    assert not User.objects.exists()
    assert not Objective.objects.exists()


@pytest.mark.django_db
def test_allow_production_gives_random_passwords_printed_once(production):
    output = seed("--allow-production")

    passwords = printed_passwords(output)
    assert sorted(passwords) == sorted(LOGINS)
    assert len(set(passwords.values())) == len(LOGINS)
    assert all(len(password) >= 20 for password in passwords.values())
    assert DEMO_PASSWORD not in output
    for username, password in passwords.items():
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert not user.check_password(DEMO_PASSWORD)
    # Every other demo person cannot sign in at all.
    others = User.objects.exclude(username__in=LOGINS)
    assert others.count() > 10
    assert not any(user.has_usable_password() for user in others)
    # Shown once: a later run cannot show them again (only hashes are stored).
    again = seed("--allow-production", "--if-empty")
    assert not any(password in again for password in passwords.values())
    assert "shown once" in again
    # And `check --deploy` finds no demo password.
    assert checks.check_demo_passwords() == []


@pytest.mark.django_db
def test_each_production_seed_draws_new_passwords(production):
    first = printed_passwords(seed("--allow-production"))
    second = printed_passwords(seed("--allow-production", "--reset"))
    assert set(first.values()).isdisjoint(second.values())


@pytest.mark.django_db
def test_a_development_seed_in_a_production_database_fails_check_deploy(settings):
    # The demo seeded with DEBUG=true (published password), then the same database deployed.
    settings.DEBUG = True
    seed()
    settings.DEBUG = False

    messages = checks.check_demo_passwords()

    assert [m.id for m in messages] == ["execsupport.E002"]
    assert messages[0].msg.startswith("office, ")  # the superuser named first
    assert re.search(r"and \d+ more", messages[0].msg)
    found = checks.users_with_demo_password()
    assert set(LOGINS) <= set(found)
    # Every declared demo person has the published password; the survey colleagues (added so
    # that demo teams reach the anonymity threshold) never sign in and have no usable password.
    assert len(found) == len(org.PEOPLE)
    colleagues = User.objects.exclude(username__in=found)
    assert colleagues.exists()
    assert not any(u.has_usable_password() for u in colleagues)
