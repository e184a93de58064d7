"""`Gone`: what a service raises when the thing it was asked to change existed and
is gone for good (an erased subject). The API answers it 410, the pages a plain
"erased" page; nothing is written."""


class Gone(Exception):
    """The target existed and is gone for good: nothing may be written to it."""

    code = "gone"
