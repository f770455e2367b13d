"""OLT management: OLTs, ONU authorization and the collectors of ONU state (``olt-manager``)."""

PLUGIN = "olt-manager"
