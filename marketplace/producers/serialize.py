"""Producer groups as API schemas."""

from marketplace.media.storage import Storage
from marketplace.models import ProducerGroup
from marketplace.producers.schemas import GroupPrivate, GroupPublic


def group_public(storage: Storage, group: ProducerGroup,
                 private: bool = False) -> GroupPublic | GroupPrivate:
    """Public fields of a group; with ``private`` also its phone and payout details."""
    schema = GroupPrivate if private else GroupPublic
    out = schema.model_validate(group)
    out.photo_url = storage.url(group.photo_key) if group.photo_key else None
    return out
