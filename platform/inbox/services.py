"""Sending and reading in-site messages.

send() is called inside the transaction of the decision it reports (an
application approved, external training refused, work reviewed, leave
decided, a reminder): the message exists exactly when the decision does, and
its key makes a second call for the same occurrence a no-op.

Texts are passed untranslated (mark them with gettext_noop where they are
written, so they reach the catalogue) and translated when shown.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shixun.accounts.models import Profile

from .models import Message


def send(recipient, key: str, subject: str, *, body: str = "", params: dict | None = None, url: str = "") -> bool:
    """Put a message in the recipient's inbox once per key. True if this call created it."""
    try:
        with transaction.atomic():
            Message.objects.create(
                recipient=recipient, key=key[:120], subject=subject, body=body, params=params or {}, url=url[:500]
            )
    except IntegrityError:
        return False
    profile, _created = Profile.objects.get_or_create(user=recipient)
    Profile.objects.filter(pk=profile.pk).update(unread_messages=F("unread_messages") + 1)
    return True


def unread_count(user) -> int:
    return Message.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, message: Message) -> None:
    if message.recipient_id != user.pk or message.read_at is not None:
        return
    Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())
    _recount(user)


def mark_all_read(user) -> int:
    changed = Message.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    _recount(user)
    return changed


def _recount(user) -> None:
    """The header's figure, counted again from the messages (so it can never drift for long)."""
    Profile.objects.filter(user=user).update(unread_messages=unread_count(user))
