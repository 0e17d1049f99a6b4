"""botocore's MediaConnect model objects, for the sandbox's wire encoding."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE = "mediaconnect"


@cache
def service_model(service: str = SERVICE) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(name: str, service: str = SERVICE) -> OperationModel:
    return service_model(service).operation_model(name)
