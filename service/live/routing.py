"""WebSocket routes (mounted by ``service.asgi``)."""

from django.urls import path

from service.live.consumers import JobProgressConsumer
from service.live.study_consumers import StudyProgressConsumer

websocket_urlpatterns = [
    path("ws/jobs/<uuid:job_id>/", JobProgressConsumer.as_asgi()),
    path("ws/jobs/<uuid:job_id>", JobProgressConsumer.as_asgi()),
    path("ws/studies/<uuid:study_id>/", StudyProgressConsumer.as_asgi()),
    path("ws/studies/<uuid:study_id>", StudyProgressConsumer.as_asgi()),
]
