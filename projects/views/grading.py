from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def grader_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/grader_queue.html")
