"""learnwithavi.aredis: the async path reads and writes what django-redis does, or the cache
configuration is refused at start."""

import copy
import runpy
from dataclasses import dataclass
from fractions import Fraction

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from learnwithavi import aredis
from learnwithavi.checks import async_cache_codec_check
from learnwithavi.settings.components import cache_celery

OUR_REDIS_URL = "redis://127.0.0.1:6379/7"


@dataclass(frozen=True)
class Window:
    """A value only pickle carries (no int, no bytes)."""

    opened: Fraction
    label: str


BLOB = b"\x00\x00\x80?\xff" * 40  # bytes long enough to be worth compressing
VALUES = {
    "int": 41,
    "float": 1754000000.25,
    "bytes": BLOB,
    "pickled object": Window(Fraction(1, 3), "שלום"),
}


def with_options(**options):
    """Our cache's configuration (this run's), with `options` added to its OPTIONS."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["OPTIONS"].update(options)
    return override_settings(CACHES=caches)


@pytest.mark.redis
@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
async def test_what_the_sync_cache_writes_the_async_path_reads(value):
    cache.set("codec:sync-to-async", value, timeout=60)
    raw = await aredis.client().get(cache.make_key("codec:sync-to-async"))
    assert aredis.decode(raw) == value


@pytest.mark.redis
@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
async def test_what_the_async_path_writes_the_sync_cache_reads(value):
    key = cache.make_key("codec:async-to-sync")
    await aredis.client().set(key, aredis.encode(value), ex=60)
    assert cache.get("codec:async-to-sync") == value


@pytest.mark.redis
async def test_integers_are_stored_as_they_are_so_both_paths_can_incr_them():
    cache.set("codec:counter", 41, timeout=60)
    key = cache.make_key("codec:counter")
    assert await aredis.client().get(key) == b"41"
    assert await aredis.client().incr(key) == 42
    assert cache.incr("codec:counter") == 43
    assert aredis.decode(await aredis.client().get(key)) == 43


@pytest.mark.redis
@with_options(COMPRESSOR="django_redis.compressors.zlib.ZlibCompressor")
async def test_the_codec_follows_the_configured_compressor():
    value = BLOB
    cache.set("codec:compressed", value, timeout=60)
    raw = await aredis.client().get(cache.make_key("codec:compressed"))
    assert len(raw) < len(value)  # stored compressed: decoding it takes the compressor
    assert aredis.decode(raw) == value
    await aredis.client().set(cache.make_key("codec:compressed"), aredis.encode(value), ex=60)
    assert cache.get("codec:compressed") == value


@pytest.mark.redis
@with_options(PICKLE_VERSION=2)
async def test_the_codec_follows_the_serializers_options():
    await aredis.client().set(cache.make_key("codec:v2"), aredis.encode(1.5), ex=60)
    raw = await aredis.client().get(cache.make_key("codec:v2"))
    assert raw[:2] == b"\x80\x02"  # pickle protocol 2, as configured, not the default
    assert cache.get("codec:v2") == 1.5


def ours(monkeypatch):
    """CACHES and REDIS_URL as learnwithavi/settings/components/cache_celery.py makes them."""
    monkeypatch.setenv("REDIS_URL", OUR_REDIS_URL)
    made = runpy.run_path(cache_celery.__file__)
    return {"CACHES": made["CACHES"], "REDIS_URL": made["REDIS_URL"]}


def redis_cache(monkeypatch, **changes):
    config = ours(monkeypatch)
    config["CACHES"]["default"].update(changes.pop("default", {}))
    config["CACHES"]["default"]["OPTIONS"].update(changes)
    return config


def problems(config):
    with override_settings(**config):
        return [(message.id, message.msg) for message in async_cache_codec_check(None)]


def test_our_configuration_passes_the_check(monkeypatch):
    config = ours(monkeypatch)
    assert config["CACHES"]["default"]["BACKEND"] == aredis.DJANGO_REDIS_BACKEND
    assert problems(config) == []


def test_a_local_memory_cache_passes_the_check():
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert problems({"CACHES": locmem, "REDIS_URL": ""}) == []


def test_a_compressor_passes_the_check(monkeypatch):
    compressed = redis_cache(monkeypatch, COMPRESSOR="django_redis.compressors.zlib.ZlibCompressor")
    assert problems(compressed) == []


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"SERIALIZER": "django_redis.serializers.json.JSONSerializer"}, "cannot store a vector"),
        ({"SERIALIZER": "no.such.Serializer"}, "cannot be built"),
        ({"COMPRESSOR": "no.such.Compressor"}, "cannot be built"),
        ({"PICKLE_VERSION": "five"}, "cannot be built"),
        ({"CLIENT_CLASS": "django_redis.client.HerdClient"}, "CLIENT_CLASS is"),
        ({"CLIENT_CLASS": "django_redis.client.ShardedClient"}, "CLIENT_CLASS is"),
        ({"default": {"LOCATION": "redis://127.0.0.1:6379/9"}}, "LOCATION is not REDIS_URL"),
        ({"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}, "BACKEND is"),
    ],
    ids=[
        "json",
        "no serializer",
        "no compressor",
        "bad option",
        "herd",
        "sharded",
        "server",
        "backend",
    ],
)
def test_a_cache_the_async_path_cannot_read_is_an_error(monkeypatch, changes, said):
    found = problems(redis_cache(monkeypatch, **changes))
    assert [message_id for message_id, _ in found] == ["learnwithavi.E005"]
    assert said in found[0][1]


def test_the_asgi_application_refuses_such_a_cache(monkeypatch):
    from django.core import checks

    json_cache = redis_cache(monkeypatch, SERIALIZER="django_redis.serializers.json.JSONSerializer")
    with override_settings(**json_cache):
        # asgi.py runs the security-tagged checks at import (uvicorn runs none).
        serious = [m.id for m in checks.run_checks(tags=[checks.Tags.security]) if m.is_serious()]
    assert "learnwithavi.E005" in serious
