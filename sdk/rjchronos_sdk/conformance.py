"""Conformance suites: subclass one in your tests to prove a driver honours its contract.

A notifier package writes::

    from rjchronos_sdk.conformance import NotifierConformance

    class TestSmsNotifier(NotifierConformance):
        notifier_class = SmsNotifier          # registered in rjchronos.notifiers as its name
        plugin = rjchronos_notify_sms.plugin  # declares the NotifierType of that name

        @pytest.fixture
        def notifier(self, tmp_path):   # delivers
            return SmsNotifier({...})

        @pytest.fixture
        def failing_notifier(self):     # cannot deliver (unreachable, refused, ...)
            return SmsNotifier({...})

        def check_delivered(self, request, notifier, notification):
            ...                         # assert the message arrived

and pytest runs every ``test_*`` method below against it.
"""

from __future__ import annotations

import asyncio
import inspect
from importlib import metadata
from typing import Any, ClassVar

import jsonschema
import pytest

from rjchronos.drivers.contracts import DeliveryResult, DriverMatch, Notification, Notifier
from rjchronos.plugins.declarations import NotifierType


class NotifierConformance:
    """The contract of a ``rjchronos.notifiers`` driver, as tests.

    Set :attr:`notifier_class` and :attr:`plugin`. Provide the fixtures
    ``notifier`` (an instance that delivers) and ``failing_notifier`` (one
    whose deliveries fail); override ``notification`` to send something
    channel-specific, and ``check_delivered`` to verify that the message
    really arrived.
    """

    #: The driver class under test.
    notifier_class: ClassVar[type[Notifier]]
    #: The plugin module (hooks) that declares the matching ``NotifierType``.
    plugin: ClassVar[Any]

    @pytest.fixture
    def notification(self) -> Notification:
        """What the tests send; override for a channel that needs another recipient format."""
        return Notification(
            subject="ONU down at Rua das Flores, 12",
            body="ONU HWTC11E70E9A reported LOS at 03:12 UTC.",
            recipient="noc@example.net",
            template="onu.los",
            variables={"serial": "HWTC11E70E9A"},
        )

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Notifier, notification: Notification
    ) -> None:
        """Assert that ``notification`` reached its destination (override per channel).

        ``request.getfixturevalue`` reaches the fixtures that hold the
        destination (a file, a local server).
        """

    # -- the contract -----------------------------------------------------------

    def test_is_a_notifier(self) -> None:
        assert issubclass(self.notifier_class, Notifier)
        assert not inspect.isabstract(self.notifier_class), "send() must be implemented"

    def test_declares_name(self) -> None:
        name = getattr(self.notifier_class, "name", None)
        assert isinstance(name, str) and name, "declare a class attribute `name`"

    def test_declares_match(self) -> None:
        assert isinstance(self.notifier_class.match, DriverMatch)

    def test_send_is_async(self) -> None:
        assert inspect.iscoroutinefunction(self.notifier_class.send)

    def test_send_returns_delivery_result(
        self, request: pytest.FixtureRequest, notifier: Notifier, notification: Notification
    ) -> None:
        result = asyncio.run(notifier.send(notification))
        assert isinstance(result, DeliveryResult)
        assert result.delivered, f"delivery failed: {result.detail}"
        self.check_delivered(request, notifier, notification)

    def test_failure_is_a_result_not_an_exception(
        self, failing_notifier: Notifier, notification: Notification
    ) -> None:
        result = asyncio.run(failing_notifier.send(notification))
        assert isinstance(result, DeliveryResult)
        assert not result.delivered
        assert result.detail, "say why the delivery failed"

    def test_registered_in_notifier_namespace(self) -> None:
        name = self.notifier_class.name
        found = {ep.name: ep for ep in metadata.entry_points(group="rjchronos.notifiers")}
        assert name in found, f"no entry point {name!r} in the rjchronos.notifiers group"
        assert found[name].load() is self.notifier_class

    def test_declared_notifier_type(self, notifier: Notifier) -> None:
        declared = {t.name: t for t in self.plugin.rjc_notifier_types()}
        assert self.notifier_class.name in declared, (
            f"the plugin declares no NotifierType named {self.notifier_class.name!r}"
        )
        notifier_type = declared[self.notifier_class.name]
        assert isinstance(notifier_type, NotifierType)
        jsonschema.Draft202012Validator.check_schema(notifier_type.config_schema)
        jsonschema.validate(dict(notifier.config), notifier_type.config_schema)
        undeclared = set(notifier_type.secret_fields) - set(
            notifier_type.config_schema.get("properties", {})
        )
        assert not undeclared, f"secret fields missing from the schema: {sorted(undeclared)}"

    def test_results_never_show_secrets(
        self, notifier: Notifier, failing_notifier: Notifier, notification: Notification
    ) -> None:
        declared = {t.name: t for t in self.plugin.rjc_notifier_types()}
        secret_fields = declared[self.notifier_class.name].secret_fields
        for sender in (notifier, failing_notifier):
            result = asyncio.run(sender.send(notification))
            secrets = [str(sender.config[f]) for f in secret_fields if sender.config.get(f)]
            for secret in secrets:
                assert secret not in result.detail, "a secret is in the delivery detail"
                assert secret not in result.provider_id, "a secret is in the provider id"


__all__ = ["NotifierConformance"]
