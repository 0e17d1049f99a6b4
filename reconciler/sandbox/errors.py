"""The errors the sandbox answers with, as the real service names them."""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError


class BadRequestException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("BadRequestException", message)


class NotFoundException(JsonRESTError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("NotFoundException", message)


class AddFlowOutputs420Exception(JsonRESTError):
    code = 420

    def __init__(self, message: str) -> None:
        super().__init__("AddFlowOutputs420Exception", message)


class CreateFlow420Exception(JsonRESTError):
    code = 420

    def __init__(self, message: str) -> None:
        super().__init__("CreateFlow420Exception", message)
