"""API shapes of people and units: one serializer per use (reference, list, detail)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import ApiToken, Membership, Notification, RoleAssignment, Unit, User


class UnitRefSerializer(serializers.ModelSerializer[Unit]):
    """A unit as other records point at it."""

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name"]
        read_only_fields = fields


class UserRefSerializer(serializers.ModelSerializer[User]):
    """A person as other records name them (no contact details)."""

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class UnitListSerializer(serializers.ModelSerializer[Unit]):
    """A unit in a list: names, place in the tree and labels for its level and kind.

    ``parent`` comes from the ``parent_pk`` annotation the view adds to the list query, so
    a list never looks parents up one row at a time.
    """

    # The metaclass moves declared fields off the class, so shadowing Field.parent is safe.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_pk", read_only=True, allow_null=True, help_text="Id of the parent unit."
    )
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "display_name",
            "level",
            "level_display",
            "kind",
            "kind_display",
            "parent",
            "path",
            "depth",
            "numchild",
            "sort_order",
            "under_special_assessment",
            "is_active",
        ]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer[Membership]):
    """Someone's post in the unit."""

    user = UserRefSerializer(read_only=True)
    post_display = serializers.CharField(source="get_post_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "post", "post_display", "title"]
        read_only_fields = fields


class UnitDetailSerializer(UnitListSerializer):
    """One unit with its ancestors (for a breadcrumb) and the people holding posts in it."""

    ancestors = UnitRefSerializer(many=True, read_only=True)
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta(UnitListSerializer.Meta):
        fields = [*UnitListSerializer.Meta.fields, "ancestors", "members"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer[Membership]):
    """One of the caller's posts."""

    unit = UnitRefSerializer(read_only=True)
    post_display = serializers.CharField(source="get_post_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["unit", "post", "post_display", "title"]
        read_only_fields = fields


class RoleSerializer(serializers.ModelSerializer[RoleAssignment]):
    """One of the caller's platform roles and the unit it applies under."""

    role_display = serializers.CharField(source="get_role_display", read_only=True)
    scope = UnitRefSerializer(read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["role", "role_display", "scope"]
        read_only_fields = fields


class JurisdictionSerializer(serializers.Serializer):
    """What the caller may see and change, as the units at the top of each subtree."""

    is_global = serializers.BooleanField(read_only=True, help_text="Sees and changes everything.")
    is_read_only = serializers.BooleanField(read_only=True, help_text="May change nothing.")
    view_roots = UnitRefSerializer(many=True, read_only=True)
    manage_roots = UnitRefSerializer(many=True, read_only=True)
    supervised_roots = UnitRefSerializer(many=True, read_only=True)


class MeSerializer(serializers.ModelSerializer[User]):
    """The signed-in user: contact details, posts, roles and jurisdiction."""

    posts = PostSerializer(source="memberships", many=True, read_only=True)
    roles = RoleSerializer(source="role_assignments", many=True, read_only=True)
    jurisdiction = JurisdictionSerializer(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "phone",
            "email",
            "is_staff",
            "is_superuser",
            "posts",
            "roles",
            "jurisdiction",
        ]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    """A new token: the key to send as ``Authorization: Token <key>``, shown only this once."""

    id = serializers.IntegerField(read_only=True, help_text="Revoke it with DELETE on its id.")
    token = serializers.CharField(read_only=True, help_text="The key. It is not stored: keep it.")
    expiry = serializers.DateTimeField(read_only=True, help_text="When the key stops working.")


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """One of the caller's tokens, without its key (only a hash of the key is stored)."""

    prefix = serializers.CharField(read_only=True, help_text="The key starts with these.")
    current = serializers.SerializerMethodField(
        help_text="Whether this request was authenticated with this token."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "created", "expiry", "user_agent", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        """Whether the request authenticated with this token."""
        request = self.context.get("request")
        auth = getattr(request, "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class TokensRevokedSerializer(serializers.Serializer):
    """How many tokens were revoked."""

    revoked = serializers.IntegerField(read_only=True)


class LockedOutErrorSerializer(serializers.Serializer):
    """One error of a lockout response (``code`` is ``locked_out``)."""

    code = serializers.CharField(help_text='Always "locked_out".')
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class LockedOutResponseSerializer(serializers.Serializer):
    """429: too many failed sign-ins for this username from this address."""

    type = serializers.CharField(help_text='Always "client_error".')
    # The metaclass moves declared fields off the class, so Serializer.errors stays intact.
    errors = LockedOutErrorSerializer(many=True)  # type: ignore[assignment]


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    """One of the caller's notifications; ``link`` is a path on this site (or empty)."""

    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "link",
            "urgent",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


class NotificationsReadSerializer(serializers.Serializer):
    """How many notifications were marked read."""

    marked_read = serializers.IntegerField(read_only=True)
