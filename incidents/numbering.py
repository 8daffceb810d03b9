"""Gapless numbers: incident references and report issue numbers (第X期)."""

from django.db import IntegrityError, transaction

from incidents.models import Counter


def counter_next(*, scope: str, year: int) -> int:
    """The next number in ``scope`` for ``year``. Call inside the transaction that uses it:
    the row stays locked until that transaction ends, so numbers are unique and, because a
    rollback undoes the increment, gapless."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("counter_next must run inside a transaction")
    try:
        with transaction.atomic():  # savepoint: a racing insert must not poison the caller
            Counter.objects.get_or_create(scope=scope, year=year)
    except IntegrityError:
        pass  # someone else created it first; the lock below waits for them
    counter = Counter.objects.select_for_update().get(scope=scope, year=year)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def incident_reference(*, year: int, number: int) -> str:
    return f"YQ-{year}-{number:04d}"
