from . import assignments, grading  # noqa: F401 - registers the ModelAdmins
