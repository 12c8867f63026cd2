from rest_framework.routers import SimpleRouter

from .api import DocumentViewSet, SearchJobViewSet

router = SimpleRouter()
router.register("search-jobs", SearchJobViewSet, basename="search-job")
router.register("documents", DocumentViewSet, basename="document")
urlpatterns = router.urls
