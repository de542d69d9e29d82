"""Recording calls to paid AI services (services for AIUsage rows)."""

from decimal import Decimal
from typing import Any

from django.conf import settings

from learnwithavi.models import AIUsage


def estimate_cost(
    *,
    provider: str,
    model: str,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    characters: int = 0,
    audio_seconds: float = 0.0,
) -> Decimal:
    """Estimated USD cost from the AI_PRICES table; zero for a model it does not list."""
    prices = settings.AI_PRICES.get(f"{provider}:{model}", {})
    per_million = (
        input_tokens * prices.get("input", 0)
        + output_tokens * prices.get("output", 0)
        + cache_read_tokens * prices.get("cache_read", 0)
        + cache_write_tokens * prices.get("cache_write", 0)
    ) / 1_000_000
    cost = (
        per_million
        + characters / 1000 * prices.get("per_1k_chars", 0)
        + audio_seconds / 60 * prices.get("per_minute", 0)
    )
    return Decimal(str(round(cost, 6)))


def _usage_fields(
    *, provider: str, model: str, endpoint: str, user: Any, amounts: dict[str, Any]
) -> dict[str, Any]:
    cost_fields = {k: v for k, v in amounts.items() if k not in {"latency_ms", "success"}}
    return {
        "provider": provider,
        "model": model,
        "endpoint": endpoint,
        "user": user if user is not None and getattr(user, "is_authenticated", False) else None,
        "estimated_cost": estimate_cost(provider=provider, model=model, **cost_fields),
        **amounts,
    }


def usage_record(
    *, provider: str, model: str, endpoint: str, user: Any = None, **amounts: Any
) -> AIUsage:
    """Store one AIUsage row with its estimated cost; anonymous callers get a null user."""
    fields = _usage_fields(
        provider=provider, model=model, endpoint=endpoint, user=user, amounts=amounts
    )
    return AIUsage.objects.create(**fields)


async def ausage_record(
    *, provider: str, model: str, endpoint: str, user: Any = None, **amounts: Any
) -> AIUsage:
    """`usage_record` for async callers."""
    fields = _usage_fields(
        provider=provider, model=model, endpoint=endpoint, user=user, amounts=amounts
    )
    return await AIUsage.objects.acreate(**fields)
