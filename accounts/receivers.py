"""Receivers that drop cached values when what they are computed from changes.

Not workflow (that is always an explicit service call): these only keep the caches true,
the users' jurisdictions (:func:`accounts.jurisdiction.cached_jurisdiction`) and what is kept
beside them (:func:`accounts.jurisdiction.kept_beside_jurisdictions`), and their unread
counts (:func:`accounts.notifications.unread_count`), whatever path writes the rows: a
service, the admin, a factory in a test. Writes that pass by signals call the same functions
themselves: bulk inserts and updates of notifications (:mod:`accounts.notifications`), unit
moves (:meth:`accounts.models.UnitManager.move`), the seeding commands.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from .jurisdiction import jurisdictions_changed
from .notifications import unread_changed

#: What a jurisdiction is computed from: posts, roles, the units' paths, and the supervision
#: groups' leaders, members and assigned units (models named by label: accounts does not
#: import the campaign app).
JURISDICTION_SOURCES = (
    "accounts.Membership",
    "accounts.RoleAssignment",
    "accounts.Unit",
    "campaign.SupervisionGroup",
    "campaign.SupervisionGroupMember",
    "campaign.SupervisionGroupUnit",
)
#: What values kept beside the jurisdictions are computed from besides the units
#: (:func:`accounts.jurisdiction.kept_beside_jurisdictions`: the item list's filter options
#: name the campaigns, areas and ledgers a user sees; the home page counts each campaign's
#: task forces and groups, :func:`campaign.selectors.campaign_lines`). Rarely written: an
#: office's edit.
CATALOGUE_SOURCES = (
    "campaign.Campaign",
    "campaign.TaskForce",
    "tasks_ledger.Area",
    "tasks_ledger.Ledger",
)
#: The groups' members and assigned units changed through their relations (``.set()``,
#: ``.add()``, ``.clear()``...) rather than row by row: sent with the through model.
JURISDICTION_M2M = ("campaign.SupervisionGroupMember", "campaign.SupervisionGroupUnit")


def _jurisdiction_source_changed(sender: Any, using: str, **kwargs: Any) -> None:
    jurisdictions_changed(using=using)


def _jurisdiction_m2m_changed(sender: Any, action: str, using: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        jurisdictions_changed(using=using)


def _notification_changed(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    unread_changed(user_ids=[instance.recipient_id], using=using)


def _user_created(sender: Any, instance: Any, created: bool, using: str, **kwargs: Any) -> None:
    # A new account takes no kept value of an earlier row with the same id (a test database
    # made again within a timeout). Its flags, which do change a jurisdiction, are in the key.
    if created:
        jurisdictions_changed(using=using)
        unread_changed(user_ids=[instance.pk], using=using)


def connect() -> None:
    """Connect the receivers (from :meth:`accounts.apps.AccountsConfig.ready`)."""
    for label in JURISDICTION_SOURCES + CATALOGUE_SOURCES:
        post_save.connect(_jurisdiction_source_changed, sender=label, weak=False)
        post_delete.connect(_jurisdiction_source_changed, sender=label, weak=False)
    for label in JURISDICTION_M2M:
        m2m_changed.connect(_jurisdiction_m2m_changed, sender=label, weak=False)
    post_save.connect(_user_created, sender="accounts.User", weak=False)
    post_save.connect(_notification_changed, sender="accounts.Notification", weak=False)
    post_delete.connect(_notification_changed, sender="accounts.Notification", weak=False)
