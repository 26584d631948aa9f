"""Producer groups as API schemas."""

from marketplace import geo
from marketplace.media.storage import Storage
from marketplace.models import ProducerGroup
from marketplace.producers.schemas import GroupPrivate, GroupPublic


def group_public(storage: Storage, group: ProducerGroup,
                 private: bool = False) -> GroupPublic | GroupPrivate:
    """Public fields of a group; with ``private`` also its phone and payout details."""
    schema = GroupPrivate if private else GroupPublic
    out = schema.model_validate(group)
    out.photo_url = storage.url(group.photo_key) if group.photo_key else None
    for prefix, place in (("province", geo.province(group.province_code)),
                          ("district", geo.district(group.district_code))):
        if place is not None:  # names next to the codes: a shop's system need not look up
            setattr(out, f"{prefix}_name", place.name_en)
            setattr(out, f"{prefix}_name_km", place.name_km)
    return out
