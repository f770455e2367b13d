"""The pluggy markers of the ``rjchronos`` project."""

import pluggy

from rjchronos.hookspecs import PROJECT

hookimpl = pluggy.HookimplMarker(PROJECT)
