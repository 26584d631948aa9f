"""Tag counters shared by processes: a write's tags are bumped when it commits, never when
it rolls back, and every process mapping the file sees the bump at once."""

from sqlmodel import Session

from marketplace.core import cache_tags
from marketplace.core.cache_tags import TagVersions


def test_two_processes_mapping_the_file_see_each_others_bumps(tmp_path):
    path = tmp_path / "run" / "tags"
    web, worker = TagVersions(path), TagVersions(path)  # as two processes would
    slots = [cache_tags.slot(cache_tags.product(7)), cache_tags.slot(cache_tags.CATALOG)]
    before = web.stamp(slots)
    worker.bump([cache_tags.product(7)])
    assert web.stamp(slots) == before + 1
    untouched = [cache_tags.slot("product:8")]
    if untouched[0] not in slots:
        assert web.stamp(untouched) == worker.stamp(untouched) == 0


def test_a_snapshot_stamps_a_page_with_the_counters_read_before_the_data(tmp_path):
    store = TagVersions(tmp_path / "tags")
    slots = [cache_tags.slot(cache_tags.group(3))]
    snapshot = store.snapshot()
    store.bump([cache_tags.group(3)])  # a write commits while the page renders
    assert TagVersions.stamp_of(snapshot, slots) != store.stamp(slots)


def test_tags_are_bumped_on_commit_only(engine, app):
    store = app.state.page_tags
    slots = [cache_tags.slot(cache_tags.product(41))]
    start = store.stamp(slots)
    with Session(engine) as session:
        session.connection()  # a transaction is open, as in a service
        cache_tags.touch(session, cache_tags.product(41))
        session.rollback()
        assert store.stamp(slots) == start
        session.connection()
        cache_tags.touch(session, cache_tags.product(41))
        with session.begin_nested():  # a savepoint ending does not bump or forget
            cache_tags.touch(session, cache_tags.product(41))
        assert store.stamp(slots) == start
        session.commit()
    assert store.stamp(slots) == start + 1


def test_the_settings_string_and_the_engines_url_name_one_store():
    """The app opens the store from the settings' string, a write finds it from its
    engine's URL (which sorts query parameters): both must name the same file."""
    from sqlalchemy.engine import make_url

    spelled = "postgresql+psycopg://app:secret@db:5432/market?sslmode=require&application_name=web"
    assert cache_tags._database_key(spelled) == cache_tags._database_key(make_url(spelled))
    assert cache_tags.store_path("/var", spelled) == cache_tags.store_path("/var",
                                                                           make_url(spelled))
