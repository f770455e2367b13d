"""The ``olt-zte`` plugin: it adds the ``zte-zxan`` OLT driver.

The driver comes through the ``rjchronos.drivers.olt`` entry point group
(see pyproject.toml); the plugin has no routes or tasks of its own.
"""

PLUGIN = "olt-zte"
