"""URL map of the heritage pages: sites, observations, alerts and before/after comparison.

Every path is below ``cases/<slug>/`` and every view checks membership (``case_view``).
"""

from django.urls import path

from .views import heritage

C = "cases/<slug:slug>/heritage/"

urlpatterns = [
    path(C, heritage.site_list, name="heritage-list"),
    path(f"{C}map.json", heritage.site_map_data, name="heritage-map-data"),
    path(f"{C}new", heritage.site_create, name="heritage-create"),
    path(f"{C}<int:pk>/", heritage.site_detail, name="heritage-site"),
    path(f"{C}<int:pk>/observe", heritage.observation_create, name="heritage-observe"),
    path(f"{C}<int:pk>/items", heritage.site_items, name="heritage-items"),
    path(f"{C}observations/<int:pk>/review", heritage.observation_review,
         name="heritage-review"),
    path(f"{C}alerts/<int:pk>/acknowledge", heritage.alert_acknowledge,
         name="heritage-acknowledge"),
    path(f"{C}<int:pk>/compare", heritage.site_compare, name="heritage-compare"),
    path(f"{C}<int:pk>/compare.png", heritage.site_compare_image, name="heritage-compare-image"),
]
