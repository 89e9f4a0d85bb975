"""Events: filters, cursor pagination, snapshots that cannot be pointed at other files."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from camfleet.store.schema import EventRow

from .helpers import Running, insert_events, jpeg


def test_cursor_pagination_walks_every_event_once_newest_first(api: Running) -> None:
    ids = insert_events(api, 23)
    seen: list[str] = []
    cursor = None
    pages = 0
    with api.client() as client:
        while True:
            params: dict[str, str | int] = {"limit": 10}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/events", params=params).json()
            seen += [item["event_id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert pages == 3
    assert seen == list(reversed(ids))


def test_pagination_is_stable_while_new_events_arrive(api: Running) -> None:
    insert_events(api, 5)
    with api.client() as client:
        first = client.get("/api/v1/events", params={"limit": 2}).json()
        insert_events(api, 3, camera="carphone", start=datetime(2026, 11, 2, tzinfo=UTC))
        second = client.get("/api/v1/events",
                            params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["event_id"] for i in second["items"]] == ["bikes-people-0002", "bikes-people-0001"]


def test_filters(api: Running) -> None:
    insert_events(api, 4, camera="bikes", rule="people", class_name="Normal")
    insert_events(api, 3, camera="carphone", rule="falls", class_name="Fall")
    with api.client() as client:
        def ids(**params: str) -> set[str]:
            items = client.get("/api/v1/events", params=params).json()["items"]
            return {item["event_id"] for item in items}

        assert len(ids(camera="carphone")) == 3
        assert len(ids(rule="falls")) == 3
        assert len(ids(rule="bikes/people")) == 4
        assert len(ids(**{"class": "Fall"})) == 3
        assert ids(since="2026-11-01T12:00:02Z", camera="bikes") == {
            "bikes-people-0002", "bikes-people-0003"}
        assert ids(until="2026-11-01T12:00:01Z") == {"bikes-people-0000", "carphone-falls-0000"}
        bad = client.get("/api/v1/events", params={"since": "yesterday"})
        assert bad.status_code == 422 and "ISO 8601" in bad.json()["detail"]
        bad = client.get("/api/v1/events", params={"cursor": "garbage!"})
        assert bad.status_code == 422 and "next_cursor" in bad.json()["detail"]
        assert client.get("/api/v1/events", params={"limit": 0}).status_code == 422


def test_snapshot_and_event(api: Running) -> None:
    insert_events(api, 2)
    with api.client() as client:
        event = client.get("/api/v1/events/bikes-people-0001").json()
        assert event["has_snapshot"] and event["duration_s"] == 3.0
        snapshot = client.get("/api/v1/events/bikes-people-0001/snapshot.jpg")
        assert snapshot.status_code == 200 and snapshot.content == jpeg(value=1)
        assert client.get("/api/v1/events/nope/snapshot.jpg").status_code == 404
        assert client.get("/api/v1/events/nope").status_code == 404


def test_snapshot_references_outside_the_folder_are_refused(api: Running) -> None:
    insert_events(api, 1)
    secret = api.data_dir / "camfleet.db"
    for reference in (str(secret), secret.as_uri(),
                      str(api.data_dir / "snapshots" / ".." / "camfleet.db")):
        with api.service.db.engine.begin() as connection:
            connection.execute(update(EventRow).values(snapshot_path=reference))
        with api.client() as client:
            response = client.get("/api/v1/events/bikes-people-0000/snapshot.jpg")
        assert response.status_code == 404, reference
        assert "outside this service's snapshot store" in response.json()["detail"]
    with api.client() as client:  # path-like ids never reach the file system
        assert client.get("/api/v1/events/..%2F..%2Fcamfleet.db/snapshot.jpg").status_code == 404


def test_counts(api: Running) -> None:
    with api.client() as client:
        assert client.get("/api/v1/counts").json() == []
        assert client.get("/api/v1/counts", params={"by": "week"}).status_code == 422
