"""A lesson's Markdown with one question of each kind and one exercise, and the back
office's form that posts a lesson's Markdown (test data)."""

QUIZ = """Some text before.

```question
id: idempotent-methods
kind: single
prompt: |
  Which HTTP method is meant to change **nothing** on the server?
choices:
  - text: "`GET`"
    correct: true
    feedback: "Right: GET only reads."
  - text: POST
    feedback: POST creates a resource.
  - text: DELETE
explanation: |
  GET is safe and idempotent.
```

```question
id: safe-methods
kind: multiple
prompt: Which methods are safe?
choices:
  - text: GET
    correct: true
  - text: HEAD
    correct: true
  - text: POST
    feedback: POST changes things.
```

```question
id: answer
kind: number
prompt: What is six times seven?
answer: 42
tolerance: 0.5
```

```question
id: run-flask
kind: text
prompt: Which command starts the Flask development server?
answers: ["flask run", "python -m flask run"]
```

```question
id: length
kind: output
prompt: What does this print?
code: |
  print(len("héllo"))
  print("a  ")
output: "5\\na"
```

A paragraph between.

````exercise
id: hello-route
title: A route that greets
task: |
  Add a route `/hello/<name>`.
starter: |
  from flask import Flask
  app = Flask(__name__)
expected: |
  GET /hello/Ada -> Hello, Ada!
solution: |
  ```python
  @app.route("/hello/<name>")
  def hello(name):
      return f"Hello, {name}!"
  ```
````

Text after.
"""


def lesson_change_data(lesson, body: str, **changes: str) -> dict[str, str]:
    """Return what the back office's change page of LESSON posts with BODY, and CHANGES."""
    return {
        "module": lesson.module_id,
        "title": lesson.title,
        "slug": lesson.slug,
        "order": "1",
        "estimated_minutes": "15",
        "quiz_pass_mark": "70",
        "body": body,
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        **changes,
    }
