"""Form helpers for the producer group pages: labels and the step-by-step address (the
product form is ``catalog.forms``).

HTML forms send flat text; these helpers turn it into the dicts the schemas validate, and
turn rows back into the text a form shows. Business rules stay in the services.
"""


from marketplace.catalog.forms import (
    CRAFT_LABELS,
    METHOD_LABELS,
    PRODUCT_STATUS_LABELS,
    STOCK_MODE_LABELS,
)
from marketplace.core.forms import field_errors, options, text_of  # noqa: F401 - used by pages
from marketplace.i18n import N_

COMMUNITY_LABELS = {
    "bunong": N_("Bunong"),
    "jarai": N_("Jarai"),
    "tampuan": N_("Tampuan"),
    "kreung": N_("Kreung"),
    "kuy": N_("Kuy"),
    "khmer": N_("Khmer"),
    "other": N_("Other"),
}
GROUP_STATUS_LABELS = {
    "applied": N_("Waiting for verification"),
    "verified": N_("Verified"),
    "suspended": N_("Suspended"),
}
GROUP_STATUS_HELP = {
    "applied": N_("An administrator will check the group soon. Until then buyers cannot "
                  "see your products."),
    "verified": N_("Buyers can see and buy the products you publish."),
    "suspended": N_("Buyers cannot see your products until an administrator reinstates "
                    "the group."),
}
ROLE_LABELS = {"leader": N_("Leader"), "member": N_("Member")}
PAYOUT_LABELS = {
    "aba": N_("ABA Bank"),
    "acleda": N_("ACLEDA Bank"),
    "canadia": N_("Canadia Bank"),
    "wing": N_("Wing Bank"),
    "prince": N_("Prince Bank"),
    "bank": N_("Another bank (name it below)"),
    "bakong": N_("Bakong account ID"),
    "cash": N_("Cash through a partner organisation (name it below)"),
}
CURRENCY_LABELS = {"USD": N_("US dollars"), "KHR": N_("Riel")}
AUDIT_LABELS = {
    "applied": N_("Applied"),
    "verified": N_("Verified"),
    "suspended": N_("Suspended"),
    "reinstated": N_("Reinstated"),
    "payout_destination_changed": N_("Payout destination changed"),
    "payout_destination_verified": N_("Payout destination verified"),
    "member_joined": N_("Member joined"),
}
LABELS = {
    "community": COMMUNITY_LABELS, "craft": CRAFT_LABELS, "group_status": GROUP_STATUS_LABELS,
    "group_status_help": GROUP_STATUS_HELP, "role": ROLE_LABELS, "payout": PAYOUT_LABELS,
    "product_status": PRODUCT_STATUS_LABELS, "stock_mode": STOCK_MODE_LABELS,
    "method": METHOD_LABELS, "audit": AUDIT_LABELS,
}

GROUP_TEXT_FIELDS = ("name", "name_km", "community", "province_code", "district_code",
                     "commune_code", "village_code", "phone", "members_count", "women_count",
                     "moc_registration", "story", "story_km")


# -- groups -----------------------------------------------------------------------------------

def group_data(form) -> dict:
    """The fields of GroupApply / GroupUpdate from a submitted form."""
    data = {name: text_of(form, name) for name in GROUP_TEXT_FIELDS}
    data["crafts"] = [c for c in form.getlist("crafts") if isinstance(c, str)]
    data["moc_registration"] = data["moc_registration"] or None
    return data


def group_values(group) -> tuple[dict, list[str]]:
    """What the profile form shows for an existing group, and its crafts."""
    values = {name: "" if getattr(group, name) is None else str(getattr(group, name))
              for name in GROUP_TEXT_FIELDS}
    return values, list(group.crafts or [])
