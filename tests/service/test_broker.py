"""The Redis transport the service publishes through, on real Redis."""

from __future__ import annotations

import uuid

from kombu import Connection, Exchange, Queue

from service.broker import ReusingRedisTransport
from tests.service.conftest import REDIS_URL, redis_problem, require


def test_every_publish_goes_through_one_client_and_every_message_arrives():
    require(redis_problem())
    name = f"jost-test-{uuid.uuid4().hex}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    with Connection(REDIS_URL, transport=ReusingRedisTransport) as conn:
        channel = conn.default_channel
        producer = conn.Producer(channel)
        clients = set()
        for i in range(20):
            producer.publish({"n": i}, exchange=queue.exchange, routing_key=name, declare=[queue])
            with channel.conn_or_acquire() as client:
                clients.add(id(client))
        assert len(clients) == 1
        received = []
        for _ in range(20):
            message = queue(channel).get(no_ack=True)
            received.append(message.payload["n"])
        assert received == list(range(20))
        assert queue(channel).get(no_ack=True) is None
        queue(channel).delete()
