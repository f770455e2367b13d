"""Plugin loading, the hook bus and the helpers around it."""

from rjchronos.plugins.awaiting import await_hook, await_me_maybe
from rjchronos.plugins.host import PluginError, PluginHost, PluginRecord
from rjchronos.plugins.markers import hookimpl

__all__ = ["PluginError", "PluginHost", "PluginRecord", "await_hook", "await_me_maybe", "hookimpl"]
