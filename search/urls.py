from rest_framework.routers import SimpleRouter

from .api import SearchJobViewSet

router = SimpleRouter()
router.register("search-jobs", SearchJobViewSet, basename="search-job")
urlpatterns = router.urls
