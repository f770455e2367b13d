"""The plugin contract of RJChronos: every hook a plugin may implement.

Hooks *declare*: they return routes, permissions, panels, specs and types.
The objects they return *act*: core awaits their methods under its own
timeouts and scheduling. Every hook is named ``rjc_*``. A plugin implements a
hook by defining a function of the same name decorated with
:data:`rjchronos.hookimpl`; it may accept fewer arguments than the spec.

Unless a hook says otherwise it is synchronous and collects the results of
every plugin in a list (plugins registered later are called first).
``async def`` is accepted only for the hooks in :data:`ASYNC_HOOKS`; core
awaits them through :func:`rjchronos.plugins.await_hook`. An ``async def``
implementation of any other hook is rejected when the plugin loads.

The reference with examples is ``docs/hooks.md``; a test fails when a hook
here is missing there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from starlette.middleware import Middleware

    from rjchronos.ai.contracts import ActionExecutor, DiagnosisRule
    from rjchronos.customers.sources import CustomerSource
    from rjchronos.events import DeviceEvent, EventType
    from rjchronos.http.routing import ApiRoute
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
    from rjchronos.ui import MenuItem, Panel

PROJECT = "rjchronos"
hookspec = pluggy.HookspecMarker(PROJECT)

#: Hooks whose implementations may be ``async def``: events core awaits.
ASYNC_HOOKS = frozenset({"rjc_startup", "rjc_shutdown", "rjc_device_event"})


# ---------------------------------------------------------------------------
# Lifecycle: configure, start, stop
# ---------------------------------------------------------------------------


@hookspec
def rjc_settings_schema() -> Mapping[str, Any] | None:
    """Declare the JSON Schema of this plugin's settings.

    Core validates ``[plugins.<name>]`` of the configuration against it at
    start, fills in ``default`` values, and stops with an error that names the
    plugin and the bad key. The validated settings reach the plugin through
    :meth:`Kernel.plugin_settings`.

    :return: a JSON Schema (draft 2020-12) object, or ``None``.
    """


@hookspec
def rjc_configure(kernel: Kernel) -> None:
    """Called once, after every plugin is loaded and its settings validated.

    The place to read settings, create drivers and keep references on the
    plugin's own objects. Must not do I/O that can block for long.

    :param kernel: the application kernel.
    """


@hookspec
def rjc_startup(kernel: Kernel) -> None:
    """Called when a server or worker process starts, after migrations.

    May be ``async def``. Long-running work belongs to a schedule or a task,
    not here.

    :param kernel: the application kernel.
    """


@hookspec
def rjc_shutdown(kernel: Kernel) -> None:
    """Called when a server or worker process stops. May be ``async def``.

    :param kernel: the application kernel.
    """


@hookspec
def rjc_migrations() -> str | None:
    """Declare the folder of this plugin's Alembic migration scripts.

    The folder's revisions form the plugin's own history (``down_revision =
    None`` for the first), recorded in its own version table and applied
    after core's, so they may use core's tables. ``rjchronos db upgrade``
    applies every history.

    :return: an absolute path, or ``None``.
    """


# ---------------------------------------------------------------------------
# HTTP: routes, middleware, protocol listeners
# ---------------------------------------------------------------------------


@hookspec
def rjc_api_routes(kernel: Kernel) -> Iterable[ApiRoute]:
    """Declare REST routes under ``/api/v1``.

    Each :class:`~rjchronos.http.routing.ApiRoute` names the permission it
    needs; core authenticates, authorises, validates the JSON body against
    the route's schema and documents it in the OpenAPI document. A path and
    method registered twice is a start-up error naming both plugins.

    :return: routes.
    """


@hookspec
def rjc_middleware(kernel: Kernel) -> Iterable[Middleware]:
    """Declare ASGI middleware for the HTTP application (outermost last).

    :return: ``starlette.middleware.Middleware`` entries.
    """


@hookspec
def rjc_protocol_endpoints(kernel: Kernel) -> Iterable[ProtocolEndpoint]:
    """Declare device-facing listeners that authenticate their own way.

    A protocol endpoint (the CWMP ACS, say) is an ASGI application that
    ``rjchronos serve`` runs on its own port, with ``--role all`` or with the
    role it names.

    :return: :class:`~rjchronos.plugins.declarations.ProtocolEndpoint` entries.
    """


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@hookspec
def rjc_cli_commands() -> Iterable[click.Command]:
    """Declare subcommands of ``rjchronos``.

    Called before any kernel exists; a command builds one with
    :func:`rjchronos.cli.context.open_kernel` when it needs it.

    :return: ``click`` commands or groups.
    """


@hookspec
def rjc_serve_options() -> Iterable[click.Option]:
    """Declare extra options of ``rjchronos serve`` (the ACS adds ``--acs-port``).

    Option values are stored in ``Settings.options`` under the option's name.

    :return: ``click.Option`` objects.
    """


# ---------------------------------------------------------------------------
# Security
# ---------------------------------------------------------------------------


@hookspec
def rjc_permissions() -> Iterable[Permission]:
    """Declare the permissions this plugin's routes and actions check.

    Each permission names the built-in roles that hold it by default;
    operators compose custom roles from any declared permission.

    :return: :class:`~rjchronos.security.permissions.Permission` entries.
    """


# ---------------------------------------------------------------------------
# Web UI
# ---------------------------------------------------------------------------


@hookspec
def rjc_menu_items(kernel: Kernel) -> Iterable[MenuItem]:
    """Declare entries of the web UI's menus.

    :return: :class:`~rjchronos.ui.MenuItem` entries; each names a permission.
    """


@hookspec
def rjc_ui_panels(kernel: Kernel) -> Iterable[Panel]:
    """Declare panels the web UI shell composes into pages.

    A panel names its slot, the API it reads, its permission and either a
    generic kind the shell renders or an ES module in the plugin's
    ``static/`` folder.

    :return: :class:`~rjchronos.ui.Panel` entries.
    """


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


@hookspec
def rjc_event_types() -> Iterable[EventType]:
    """Declare device event types this plugin emits (name, severity, schema).

    :return: :class:`~rjchronos.events.EventType` entries.
    """


@hookspec
def rjc_device_event(kernel: Kernel, event: DeviceEvent) -> None:
    """Called for every device event after it is stored on the timeline.

    May be ``async def``. Core calls listeners concurrently under a timeout;
    an exception is logged with the plugin's name and never reaches the
    emitter.

    :param kernel: the application kernel.
    :param event: the stored event.
    """


@hookspec
def rjc_device_events(kernel: Kernel, events: Sequence[DeviceEvent]) -> Any:
    """Called once for the device events of one commit, in the order they were stored.

    A plain ``def``, called on the thread that committed the events right
    after the commit: it must return at once, handing any work on (to a
    thread or queue of its own). It may return a ``concurrent.futures.Future``
    of that work, which ``kernel.events.drain`` waits for (and, with no event
    loop bound, the emitter, under the listener timeout). An exception is
    logged with the plugin's name and never reaches the emitter. For
    listeners that work in batches: a burst costs one call and no event loop
    wake-up.

    :param kernel: the application kernel.
    :param events: the stored events of one transaction or group commit.
    """


# ---------------------------------------------------------------------------
# Work outside the request
# ---------------------------------------------------------------------------


@hookspec
def rjc_task_handlers(kernel: Kernel) -> Iterable[TaskHandler]:
    """Declare handlers for durable jobs, by job type.

    Jobs are rows in the database; queue messages only trigger them, so a
    job survives a crash and is re-run by the reconciler.

    :return: :class:`~rjchronos.jobs.spec.TaskHandler` entries.
    """


@hookspec
def rjc_schedules(kernel: Kernel) -> Iterable[Schedule]:
    """Declare periodic jobs (interval with jitter).

    :return: :class:`~rjchronos.jobs.spec.Schedule` entries.
    """


@hookspec
def rjc_collectors(kernel: Kernel) -> Iterable[CollectorSpec]:
    """Declare collectors: periodic, per-device reads (OLT polls, CPE stats).

    :return: :class:`~rjchronos.jobs.spec.CollectorSpec` entries.
    """


@hookspec
def rjc_analyzers(kernel: Kernel) -> Iterable[AnalyzerSpec]:
    """Declare analyzers that score telemetry and events.

    :return: :class:`~rjchronos.plugins.declarations.AnalyzerSpec` entries.
    """


@hookspec
def rjc_diagnosis_rules(kernel: Kernel) -> Iterable[DiagnosisRule]:
    """Declare diagnosis rules: each looks at one device and returns likely causes.

    A rule's ``evaluate(context)`` gets a
    :class:`~rjchronos.ai.context.DiagnosisContext` (the device, its PON
    neighbours, telemetry, events, analyzers' scores) and returns
    :class:`~rjchronos.ai.contracts.Cause` entries, each with a score in
    [0, 1], evidence in ``en`` and ``pt-BR`` and the actions it suggests.

    :return: :class:`~rjchronos.ai.contracts.DiagnosisRule` entries; names are unique.
    """


@hookspec
def rjc_action_executors(kernel: Kernel) -> Iterable[ActionExecutor]:
    """Declare executors of suggested actions, one per action kind (``wifi.change_channel``).

    ``execute`` returns the values it replaced, which ``rollback`` restores.

    :return: :class:`~rjchronos.ai.contracts.ActionExecutor` entries; kinds are unique.
    """


@hookspec
def rjc_notifier_types() -> Iterable[NotifierType]:
    """Declare notification channel types (email, webhook, SMS, chat).

    :return: :class:`~rjchronos.plugins.declarations.NotifierType` entries.
    """


# ---------------------------------------------------------------------------
# Devices and customers
# ---------------------------------------------------------------------------


@hookspec
def rjc_cpe_quirks() -> Iterable[CpeQuirk]:
    """Declare CPE quirks keyed by OUI, ProductClass and software version.

    Two quirks that match one device are an error, not a guess.

    :return: :class:`~rjchronos.plugins.declarations.CpeQuirk` entries.
    """


@hookspec(firstresult=True)
def rjc_cpe_credentials(kernel: Kernel, identity: str, username: str) -> str | None:
    """The password a CPE authenticates to the ACS with, when this plugin keeps it.

    :param identity: the CPE's ``OUI-ProductClass-SerialNumber`` from its Inform.
    :param username: the username of its ``Authorization`` header.
    :return: the password, or ``None`` to let the next plugin (or the shared
        credentials of the ACS settings) answer. First result wins.
    """


@hookspec
def rjc_provisioning_extensions(kernel: Kernel) -> Iterable[ProvisioningExtension]:
    """Declare extensions that add to a device's desired provisioning state.

    :return: :class:`~rjchronos.plugins.declarations.ProvisioningExtension`
        entries.
    """


@hookspec
def rjc_customer_sources(kernel: Kernel) -> Iterable[CustomerSource]:
    """Declare sources that sync customers and plans from an ERP or RADIUS.

    :return: :class:`~rjchronos.customers.sources.CustomerSource` entries.
    """


@hookspec
def rjc_ticket_changed(kernel: Kernel, ticket: Mapping[str, Any], change: str) -> None:
    """Called after a ticket is opened, assigned or resolved (mirror it to a helpdesk or ERP).

    Not async; every implementation is called. An exception is logged and
    never undoes the change.

    :param ticket: the ticket as the API shows it (``id``, ``status``, ``customer_id``, ...).
    :param change: ``opened``, ``assigned`` or ``resolved``.
    """
