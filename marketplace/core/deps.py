"""``Annotated`` dependency aliases for what ``create_app`` builds once per process: the
settings, the media storage and the payment gateway. Routes take them as parameters; code
that only has the request (the page-cache builders) calls the ``*_of`` functions.

The user aliases (``CurrentUser``, ``AdminUser``, ...) are in ``marketplace.auth.deps``.
"""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from marketplace.config import Settings
from marketplace.media.documents import PrivateFiles
from marketplace.media.storage import Storage

if TYPE_CHECKING:  # core is imported by every domain: no import of payments at run time
    from marketplace.payments.gateway import PaymentGateway


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def storage_of(request: Request) -> Storage:
    return request.app.state.storage


def private_files_of(request: Request) -> PrivateFiles:
    return request.app.state.private_files


def gateway_of(request: Request) -> "PaymentGateway":
    return request.app.state.gateway


SettingsDep = Annotated[Settings, Depends(settings_of)]
StorageDep = Annotated[Storage, Depends(storage_of)]
PrivateFilesDep = Annotated[PrivateFiles, Depends(private_files_of)]
GatewayDep = Annotated["PaymentGateway", Depends(gateway_of)]
