"""The home page (later issues fill it with crafts and certified pieces) and the about page."""

from fastapi import APIRouter, Request

from marketplace.auth.deps import OptionalUser
from marketplace.core.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/")
def home(request: Request, user: OptionalUser):
    return render(request, "home.html")


@router.get("/about")
def about(request: Request, user: OptionalUser):
    return render(request, "about.html")
