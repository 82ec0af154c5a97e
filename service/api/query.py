"""Query-string serializers that validate what the client sent, a blank value included.

DRF reads a ``QueryDict`` as form input, where ``?after=`` on an optional field counts as
"not given" and the request silently goes through unfiltered. A client that typed a
parameter meant something by it, so a blank or malformed value is a 400 that names it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers


class QuerySerializer(serializers.Serializer):
    """Validates each query parameter's last value as plain data (so ``""`` is a value)."""

    upper_case: ClassVar[tuple[str, ...]] = ()

    def to_internal_value(self, data: Any) -> Any:
        plain = {key: data[key] for key in data}  # a QueryDict's [] is the last value
        for key in self.upper_case:
            if isinstance(plain.get(key), str):
                plain[key] = plain[key].upper()
        return super().to_internal_value(plain)
