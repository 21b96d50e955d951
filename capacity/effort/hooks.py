"""What effort plugs into the pages and decisions of the layers below (apps.ready)."""


def register() -> None:
    pass
