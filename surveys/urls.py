from __future__ import annotations

from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/<int:pk>/", views.survey_detail, name="detail"),
    path("surveys/rounds/<int:pk>/", views.round_detail, name="round"),
    path("surveys/rounds/<int:pk>/answer/", views.round_answer, name="answer"),
    path("surveys/rounds/<int:pk>/close/", views.round_close, name="close"),
    path("surveys/rounds/<int:pk>/reopen/", views.round_reopen, name="reopen"),
    path("surveys/answer/<str:token>/", views.answer_link, name="answer-link"),
]
