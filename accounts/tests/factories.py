"""factory_boy factories for people, units, posts and roles."""

from __future__ import annotations

from typing import Any

import factory

from accounts.models import Membership, Post, Role, RoleAssignment, Unit, UnitKind, UnitLevel, User


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A person with a Chinese-looking name and the password ``pass-1234``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class UnitFactory:
    """Units live in a tree, so they are added through treebeard rather than a plain create."""

    _counter = 0

    @classmethod
    def create(
        cls,
        *,
        parent: Unit | None = None,
        name: str | None = None,
        level: str = UnitLevel.COUNTY,
        kind: str = UnitKind.GOVERNMENT,
        **fields: Any,
    ) -> Unit:
        """Add a unit under ``parent`` (or a new root)."""
        cls._counter += 1
        code = fields.pop("code", f"T{cls._counter:05d}")
        unit = Unit(
            code=code, name=name or f"测试单位{cls._counter}", level=level, kind=kind, **fields
        )
        if parent is None:
            return Unit.objects.add_root(instance=unit)
        parent.refresh_from_db()
        return Unit.objects.add_child(parent, instance=unit)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    """A post in a unit (liaison unless told otherwise)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    post = Post.LIAISON


class RoleAssignmentFactory(factory.django.DjangoModelFactory[RoleAssignment]):
    """A platform role over a scope unit."""

    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.CAMPAIGN_OFFICE
