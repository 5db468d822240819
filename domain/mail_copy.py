"""The words of the account mails: a plain-text and an HTML body each, carrying the code or token in
plain text so a person can type it (or tap the link) and a test can read it from the mailbox."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

# The app opens fitnudge://reset-password?token=… on its reset screen (docs/api.md, "Email and passwords").
RESET_LINK_PREFIX = "fitnudge://reset-password?token="


@dataclass(frozen=True, slots=True)
class MailCopy:
    subject: str
    text: str
    html: str


def _html(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'


def verification_mail(code: str, *, valid_hours: int) -> MailCopy:
    return MailCopy(
        subject=f"Your FitNudge verification code: {code}",
        text=(
            f"Your FitNudge verification code is {code}.\n\n"
            f"Enter it in the app to confirm your email address. It is valid for {valid_hours} hours.\n"
            "If you did not sign up for FitNudge, ignore this mail.\n"
        ),
        html=_html(
            [
                "Your FitNudge verification code is",
                f'<strong style="font-size:24px;letter-spacing:4px">{escape(code)}</strong>',
                f"Enter it in the app to confirm your email address. It is valid for {valid_hours} hours.",
                "If you did not sign up for FitNudge, ignore this mail.",
            ]
        ),
    )


def password_reset_mail(token: str, *, valid_minutes: int) -> MailCopy:
    link = RESET_LINK_PREFIX + quote(token, safe="")
    return MailCopy(
        subject="Reset your FitNudge password",
        text=(
            "Someone asked to reset the password of your FitNudge account.\n\n"
            f"Open this link on your phone to choose a new one: {link}\n"
            f"Or enter this reset token in the app: {token}\n\n"
            f"It works once, for {valid_minutes} minutes. If it was not you, ignore this mail: "
            "your password stays as it is.\n"
        ),
        html=_html(
            [
                "Someone asked to reset the password of your FitNudge account.",
                f'<a href="{escape(link)}">Choose a new password</a>',
                f"Or enter this reset token in the app: <code>{escape(token)}</code>",
                f"It works once, for {valid_minutes} minutes. If it was not you, ignore this mail: "
                "your password stays as it is.",
            ]
        ),
    )


def data_export_mail(link: str, *, valid_days: int) -> MailCopy:
    return MailCopy(
        subject="Your FitNudge data export is ready",
        text=(
            "The export of your FitNudge data you asked for is ready.\n\n"
            f"Download it (a JSON file) here: {link}\n\n"
            f"The link works for {valid_days} days. If you did not ask for it, change your password.\n"
        ),
        html=_html(
            [
                "The export of your FitNudge data you asked for is ready.",
                f'<a href="{escape(link)}">Download your data (JSON)</a>',
                f"The link works for {valid_days} days. If you did not ask for it, change your password.",
            ]
        ),
    )
