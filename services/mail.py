"""Queueing mail: an outbox row in the caller's transaction, and a mail.send message after it commits.

No mail is sent inside a request. The row is the source of truth; if the message is lost, the
mail.sweep job finds the row (workers/mail/).
"""

from __future__ import annotations

from uuid import UUID

from db.outgoing_mail import MailDraft, insert_mail
from services.addresses import MAIL_SEND
from services.transaction import Transaction


async def queue_mail(tx: Transaction, draft: MailDraft) -> UUID:
    mail_id = await insert_mail(tx.connection, draft)
    tx.enqueue(MAIL_SEND, str(mail_id))
    return mail_id
