"""The accounts pages: sign up, log in and out, passwords (``accounts``), the account page
(``account``) and the staff pages for users and roles (``admin``)."""

from fastapi import APIRouter

from marketplace.auth.web.account import router as account
from marketplace.auth.web.accounts import router as accounts
from marketplace.auth.web.admin import router as admin

router = APIRouter()
for _part in (accounts, account, admin):
    router.include_router(_part)
