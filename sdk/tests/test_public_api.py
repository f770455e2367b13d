"""``rjchronos_sdk`` exports the public plugin API, and nothing else."""

from __future__ import annotations

import types

import rjchronos_sdk
from rjchronos import hookimpl as core_hookimpl
from rjchronos.drivers import contracts
from rjchronos.kernel import Kernel
from rjchronos.serials import normalise_gpon_serial

PUBLIC_API = {
    "hookimpl", "ApiRoute", "ApiCall", "AUTHENTICATED", "Problem", "Permission", "MenuItem",
    "Panel", "EventType", "DeviceEvent", "TaskHandler", "Schedule", "CollectorSpec",
    "ProtocolEndpoint", "AnalyzerSpec", "NotifierType", "CpeQuirk", "ProvisioningExtension",
    "CustomerSource", "Driver", "DriverMatch", "DeviceFacts", "OltDriver", "ProtocolDriver",
    "Notifier", "Notification", "Attachment", "DeliveryResult", "Analyzer", "Kernel",
    "normalise_gpon_serial",
    "UnsupportedOperation", "OltCapability", "Onu", "OnuStatus", "UnconfiguredOnu", "Board",
    "PonPort", "Inventory", "Listing", "ParseIssue", "AuthorizeRequest", "CliStep", "WriteResult",
    "DiagnosisRule", "DiagnosisContext", "Cause", "SuggestedAction", "Verification",
    "ActionExecutor", "Applied", "ActionError", "texts",
}  # fmt: skip


def test_all_is_exactly_the_public_api() -> None:
    assert set(rjchronos_sdk.__all__) == PUBLIC_API
    assert len(rjchronos_sdk.__all__) == len(PUBLIC_API)


def test_nothing_else_is_public() -> None:
    public = {
        name
        for name, value in vars(rjchronos_sdk).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == PUBLIC_API


def test_the_exports_are_core_objects_themselves() -> None:
    assert rjchronos_sdk.hookimpl is core_hookimpl
    assert rjchronos_sdk.Kernel is Kernel
    assert rjchronos_sdk.Notifier is contracts.Notifier
    assert rjchronos_sdk.normalise_gpon_serial is normalise_gpon_serial
    assert rjchronos_sdk.normalise_gpon_serial("4857544311E70E9A") == "HWTC11E70E9A"


def test_the_docs_say_what_is_not_exported_is_not_supported() -> None:
    assert "not supported plugin API" in (rjchronos_sdk.__doc__ or "")
