from __future__ import annotations

from django.urls import path

from strategy import people_views
from workspace import list_views, manage_views
from workspace import strategy_views as views

app_name = "strategy"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("review/", views.review, name="review"),
    path("objectives/", list_views.objective_list, name="objective-list"),
    path("initiatives/", list_views.initiative_list, name="initiative-list"),
    path("kpis/", list_views.kpi_list, name="kpi-list"),
    path("search/", list_views.search, name="search"),
    path("objectives/new/", views.objective_edit, name="objective-new"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective-detail"),
    path("objectives/<int:pk>/edit/", views.objective_edit, name="objective-edit"),
    path("people/hand-over/", views.person_hand_over_page, name="person-hand-over"),
    # People, memberships and invitations (strategy/people_views.py)
    path("people/", people_views.people_list, name="people"),
    path("people/choose/", views.people_choose, name="people-choose"),
    path("people/invite/", people_views.person_invite_page, name="person-invite"),
    path("people/<int:pk>/", people_views.person_detail, name="person-detail"),
    path(
        "people/<int:pk>/resend/",
        people_views.person_invitation_resend,
        name="person-invitation-resend",
    ),
    path(
        "people/<int:pk>/memberships/",
        people_views.person_membership_save,
        name="person-membership-save",
    ),
    path(
        "people/<int:pk>/deactivate/", people_views.person_deactivate_page, name="person-deactivate"
    ),
    path(
        "people/<int:pk>/password-reset/",
        people_views.person_password_reset,
        name="person-password-reset",
    ),
    path("memberships/<int:pk>/delete/", people_views.membership_delete, name="membership-delete"),
    path("teams/<int:pk>/members/", people_views.team_members, name="team-members"),
    path("invitations/<str:token>/", people_views.invitation_accept_page, name="invitation-accept"),
    # First run and the plan's structure (strategy office; workspace/manage_views.py)
    path("setup/", manage_views.setup, name="setup"),
    path("setup/skip/", manage_views.setup_skip, name="setup-skip"),
    path("setup/link/<str:uidb64>/<str:token>/", manage_views.setup_link, name="setup-link"),
    path("manage/periods/year/", manage_views.period_year_create, name="manage-period-year"),
]
for _kind, _plural in (
    ("strategy", "strategies"),
    ("period", "periods"),
    ("theme", "themes"),
    ("team", "teams"),
):
    urlpatterns += [
        path(
            f"manage/{_plural}/",
            manage_views.manage_list,
            {"kind": _kind},
            name=f"manage-{_kind}-list",
        ),
        path(
            f"manage/{_plural}/new/",
            manage_views.manage_edit,
            {"kind": _kind},
            name=f"manage-{_kind}-new",
        ),
        path(
            f"manage/{_plural}/<int:pk>/edit/",
            manage_views.manage_edit,
            {"kind": _kind},
            name=f"manage-{_kind}-edit",
        ),
        path(
            f"manage/{_plural}/<int:pk>/delete/",
            manage_views.manage_delete,
            {"kind": _kind},
            name=f"manage-{_kind}-delete",
        ),
    ]
