"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's RedisCacheClient.get_client() builds a new ``redis.Redis`` for every cache
call. The connections are pooled, but building the client is not free: redis-py fills
its table of response callbacks each time, about 0.2 ms, so a page making three cache
calls spent longer building clients than talking to Redis (profiled for
docs/performance.md). A ``redis.Redis`` is safe to share between threads, so one per
pool is kept and reused. The memcached key checks are skipped too: Redis accepts any key.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def validate_key(self, key: str) -> None:
        # BaseCache warns, character by character, about keys memcached would refuse;
        # Redis takes any key, and this runs for every key of every cache call.
        return
