"""How long the texts an instructor writes may be, wherever they come from: the back
office's forms, the API and a course bundle's import refuse longer ones in words (the
demo's longest lesson is 11 KB). Apart from the models, which the bundle reader does not
import."""

COURSE_TEXT_MAX_LENGTH = 20_000
LESSON_BODY_MAX_LENGTH = 200_000
