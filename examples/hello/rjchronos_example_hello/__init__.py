"""An example third-party RJChronos plugin, written only against ``rjchronos_sdk``."""
