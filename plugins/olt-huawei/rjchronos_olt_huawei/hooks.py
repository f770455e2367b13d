"""The ``olt-huawei`` plugin: it adds the ``huawei-smartax`` OLT driver.

The driver comes through the ``rjchronos.drivers.olt`` entry point group
(see pyproject.toml); the plugin has no routes or tasks of its own.
"""

PLUGIN = "olt-huawei"
