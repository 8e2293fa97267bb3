"""URL map of the case-graph pages: incidents, actors, places, the review queue and history.

Every path is below ``cases/<slug>/`` and every view checks membership (``case_view``).
"""

from django.urls import path

from .views import graph, graph_entities, graph_review

C = "cases/<slug:slug>/"

urlpatterns = [
    path(f"{C}incidents/", graph.incident_list, name="incident-list"),
    path(f"{C}incidents/map/", graph.incident_map, name="incident-map"),
    path(f"{C}incidents/map.json", graph.incident_map_data, name="incident-map-data"),
    path(f"{C}incidents/timeline/", graph.incident_timeline, name="incident-timeline"),
    path(f"{C}incidents/new/", graph.incident_create, name="incident-create"),
    path(f"{C}incidents/<int:pk>/", graph.incident_detail, name="incident-detail"),
    path(f"{C}incidents/<int:pk>/edit/", graph.incident_edit, name="incident-edit"),
    path(f"{C}incidents/<int:pk>/relate", graph.incident_relate, name="incident-relate"),
    path(f"{C}actors/", graph_entities.actor_list, name="actor-list"),
    path(f"{C}actors/new/", graph_entities.actor_create, name="actor-create"),
    path(f"{C}actors/<int:pk>/", graph_entities.actor_detail, name="actor-detail"),
    path(f"{C}actors/<int:pk>/edit/", graph_entities.actor_edit, name="actor-edit"),
    path(f"{C}actors/<int:pk>/names", graph_entities.actor_add_name, name="actor-add-name"),
    path(f"{C}actors/<int:pk>/positions", graph_entities.actor_add_position,
         name="actor-add-position"),
    path(f"{C}places/", graph_entities.place_list, name="place-list"),
    path(f"{C}places/new/", graph_entities.place_create, name="place-create"),
    path(f"{C}places/<int:pk>/", graph_entities.place_detail, name="place-detail"),
    path(f"{C}candidates/", graph_review.candidate_queue, name="candidate-queue"),
    path(f"{C}candidates/<int:pk>/accept", graph_review.candidate_accept,
         name="candidate-accept"),
    path(f"{C}candidates/<int:pk>/reject", graph_review.candidate_reject,
         name="candidate-reject"),
    path(f"{C}items/<uuid:item_id>/propose-claims", graph_review.item_propose_claims,
         name="item-propose-claims"),
    path(f"{C}history/", graph_review.case_history, name="case-history"),
]
