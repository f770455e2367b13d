"""The public plugin API of RJChronos.

Everything a plugin imports comes from here. What this module does not
re-export is not supported plugin API: it may change in any release without
notice, however handy it looks inside ``rjchronos``.

- Hooks: decorate functions named after the hooks in ``docs/hooks.md`` with
  :data:`hookimpl`.
- HTTP: :class:`ApiRoute`, :class:`ApiCall`, :data:`AUTHENTICATED`,
  :class:`Problem`, :class:`Permission`.
- Web UI: :class:`MenuItem`, :class:`Panel`.
- Events and work: :class:`EventType`, :class:`DeviceEvent`,
  :class:`TaskHandler`, :class:`Schedule`, :class:`CollectorSpec`.
- Declarations: :class:`ProtocolEndpoint`, :class:`AnalyzerSpec`,
  :class:`NotifierType`, :class:`CpeQuirk`, :class:`ProvisioningExtension`,
  :class:`CustomerSource`.
- Driver contracts: :class:`Driver`, :class:`DriverMatch`,
  :class:`DeviceFacts`, :class:`OltDriver`, :class:`ProtocolDriver`,
  :class:`Notifier`, :class:`Notification`, :class:`Attachment`, :class:`DeliveryResult`,
  :class:`Analyzer`, :class:`UnsupportedOperation`.
- The OLT model every OLT driver speaks: :class:`Onu`, :class:`OnuStatus`,
  :class:`UnconfiguredOnu`, :class:`Board`, :class:`PonPort`,
  :class:`Inventory`, :class:`Listing`, :class:`ParseIssue`,
  :class:`AuthorizeRequest`, :class:`CliStep`, :class:`WriteResult`,
  :class:`OltCapability`.
- Diagnosis and actions: :class:`DiagnosisRule`, :class:`DiagnosisContext`,
  :class:`Cause`, :class:`SuggestedAction`, :class:`Verification`,
  :class:`ActionExecutor`, :class:`Applied`, :class:`ActionError`, :func:`texts`.
- :class:`Kernel` (for type hints) and :func:`normalise_gpon_serial`.

Testing helpers live in :mod:`rjchronos_sdk.pytest_plugin` (fixtures, loaded
automatically by pytest) and :mod:`rjchronos_sdk.conformance`.
"""

from rjchronos import hookimpl
from rjchronos.ai.context import DiagnosisContext
from rjchronos.ai.contracts import (
    ActionError,
    ActionExecutor,
    Applied,
    Cause,
    DiagnosisRule,
    SuggestedAction,
    Verification,
    texts,
)
from rjchronos.customers.sources import CustomerSource
from rjchronos.drivers.contracts import (
    Analyzer,
    Attachment,
    DeliveryResult,
    DeviceFacts,
    Driver,
    DriverMatch,
    Notification,
    Notifier,
    OltCapability,
    OltDriver,
    ProtocolDriver,
    UnsupportedOperation,
)
from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    Board,
    CliStep,
    Inventory,
    Listing,
    Onu,
    OnuStatus,
    ParseIssue,
    PonPort,
    UnconfiguredOnu,
    WriteResult,
)
from rjchronos.events import DeviceEvent, EventType
from rjchronos.http.problems import Problem
from rjchronos.http.routing import AUTHENTICATED, ApiCall, ApiRoute
from rjchronos.jobs.spec import CollectorSpec, Schedule, TaskHandler
from rjchronos.kernel import Kernel
from rjchronos.plugins.declarations import (
    AnalyzerSpec,
    CpeQuirk,
    NotifierType,
    ProtocolEndpoint,
    ProvisioningExtension,
)
from rjchronos.security.permissions import Permission
from rjchronos.serials import normalise_gpon_serial
from rjchronos.ui import MenuItem, Panel

__all__ = [
    "AUTHENTICATED",
    "ActionError",
    "ActionExecutor",
    "Analyzer",
    "AnalyzerSpec",
    "ApiCall",
    "ApiRoute",
    "Applied",
    "Attachment",
    "AuthorizeRequest",
    "Board",
    "Cause",
    "CliStep",
    "CollectorSpec",
    "CpeQuirk",
    "CustomerSource",
    "DeliveryResult",
    "DeviceEvent",
    "DeviceFacts",
    "DiagnosisContext",
    "DiagnosisRule",
    "Driver",
    "DriverMatch",
    "EventType",
    "Inventory",
    "Kernel",
    "Listing",
    "MenuItem",
    "Notification",
    "Notifier",
    "NotifierType",
    "OltCapability",
    "OltDriver",
    "Onu",
    "OnuStatus",
    "Panel",
    "ParseIssue",
    "Permission",
    "PonPort",
    "Problem",
    "ProtocolDriver",
    "ProtocolEndpoint",
    "ProvisioningExtension",
    "Schedule",
    "SuggestedAction",
    "TaskHandler",
    "UnconfiguredOnu",
    "UnsupportedOperation",
    "Verification",
    "WriteResult",
    "hookimpl",
    "normalise_gpon_serial",
    "texts",
]
