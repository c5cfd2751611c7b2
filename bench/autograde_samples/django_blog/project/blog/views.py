from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from .models import Comment, Post


def post_list(request):
    return render(request, "blog/post_list.html", {"posts": Post.objects.published()})


def post_detail(request, slug):
    post = get_object_or_404(Post.objects.published(), slug=slug)
    error = ""
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        text = request.POST.get("text", "").strip()
        if name and text:
            Comment.objects.create(post=post, name=name, text=text)
            return redirect(post)
        error = "Give your name and a comment."
    return render(request, "blog/post_detail.html", {"post": post, "error": error})


def api_posts(request):
    posts = Post.objects.published().select_related("author")
    data = [
        {"title": p.title, "slug": p.slug, "author": p.author.username,
         "comments": p.comments.count()}
        for p in posts
    ]
    return JsonResponse({"posts": data})
