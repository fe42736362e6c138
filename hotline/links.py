"""Signed, expiring links that open one assignment for its agency without a password.

The token carries only the assignment id, signed with the app's secret key (itsdangerous), so it
cannot be forged or pointed at another assignment; it expires after ``LINK_DAYS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LINK_DAYS = 14
_SALT = "hotline.assignment-link.v1"


@dataclass(frozen=True)
class LinkSigner:
    base_url: str
    secret_key: str

    @cached_property
    def _serializer(self) -> URLSafeTimedSerializer:
        """Built once per signer: deriving its key costs as much as signing (the sweeper signs
        a link for every overdue assignment)."""
        return URLSafeTimedSerializer(self.secret_key, salt=_SALT)

    def token(self, assignment_id: int) -> str:
        return self._serializer.dumps(assignment_id)

    def url(self, assignment_id: int) -> str:
        return f"{self.base_url.rstrip('/')}/a/{self.token(assignment_id)}"

    def assignment_id(self, token: str) -> int | None:
        """The assignment a token opens, or None if it is forged, mangled or expired."""
        try:
            value = self._serializer.loads(token, max_age=LINK_DAYS * 86400)
        except (BadSignature, SignatureExpired):
            return None
        return value if isinstance(value, int) else None


def signer_for(config: dict) -> LinkSigner:
    return LinkSigner(config["BASE_URL"], config["SECRET_KEY"])
