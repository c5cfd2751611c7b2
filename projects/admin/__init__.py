from . import assignments  # noqa: F401 - registers the ModelAdmins
