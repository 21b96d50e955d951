import factory
from django.contrib.auth.hashers import make_password

from psops.accounts.models import Role, User

TEST_PASSWORD = "correct horse battery staple"
_password_hash: str | None = None


def test_password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared test password once per session."""
    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(TEST_PASSWORD)
    return _password_hash


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    role = Role.CONSULTANT
    password = factory.LazyFunction(test_password_hash)
    time_zone = "Europe/Berlin"
