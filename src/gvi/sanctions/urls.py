from django.urls import path

from gvi.sanctions import views

app_name = "sanctions"
urlpatterns = [
    path("sanktioner/", views.episode_list, name="episode_list"),
    path("sanktioner/ny/", views.episode_create, name="episode_create"),
    path("sanktioner/uppfoljning/", views.metrics_page, name="metrics"),
    path("sanktioner/budskap/", views.rule_list, name="rule_list"),
    path("sanktioner/budskap/nytt/", views.rule_create, name="rule_create"),
    path("sanktioner/budskap/<str:pk>/andra/", views.rule_edit, name="rule_edit"),
    path("sanktioner/atgarder/<str:pk>/andra/", views.action_edit, name="action_edit"),
    path("sanktioner/atgarder/<str:pk>/ta-bort/", views.action_remove, name="action_remove"),
    path("sanktioner/<str:pk>/", views.episode_detail, name="episode_detail"),
    path("sanktioner/<str:pk>/andra/", views.episode_edit, name="episode_edit"),
    path("sanktioner/<str:pk>/beslut/", views.episode_decide, name="episode_decide"),
    path("sanktioner/<str:pk>/avsluta/", views.episode_close, name="episode_close"),
    path("sanktioner/<str:pk>/atgarder/ny/", views.action_create, name="action_create"),
]
