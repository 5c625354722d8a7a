app_name = "communication"
urlpatterns = []
