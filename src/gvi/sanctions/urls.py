app_name = "sanctions"
urlpatterns = []
