"""Home and the site-wide pages."""

from datetime import date

from flask import Blueprint, current_app, redirect, send_from_directory, url_for
from flask_login import current_user

from certportal.domain import profile
from certportal.models import certifications_of
from certportal.web.htmx import render_page
from certportal.web.login import candidate_required, current_candidate

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """Home: the candidate's; staff have theirs in the console."""
    if current_user.is_authenticated and not current_user.is_candidate:
        return redirect(url_for("staff.home"))
    return candidate_home()


@candidate_required
def candidate_home():
    """Home: what needs the candidate's attention, their certifications, latest activity."""
    candidate = current_candidate()
    today = date.today()
    recent_exams, recent_credits = profile.latest_activity(candidate)
    return render_page(
        "main/home.html",
        "content",
        section="home",
        attention=profile.attention_items(candidate, today),
        active=list(certifications_of(candidate, status="active")),
        recent_exams=recent_exams,
        recent_credits=recent_credits,
        today=today,
    )


@bp.get("/help")
def user_guide():
    """How to use the portal, following the guide's sections."""
    return render_page("main/user_guide.html", "content", section="help")


@bp.get("/support")
def support():
    """Support and frequently asked questions."""
    return render_page("main/support.html", "content", section="support")


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)
