"""A fleet of simulated TR-069 CPEs (TR-098 gateways or TR-181 ONTs) in one asyncio process.

fleet = Fleet("http://127.0.0.1:7547/", 1000, "tr181", seed=1, interval=300)
await fleet.start()
...
fleet.cpes[0].parameters["Device.DeviceInfo.SoftwareVersion"]
await fleet.stop()
"""

from rjchronos_sdk.sim.cpe.cpe import QUIRKS, SimulatedCpe
from rjchronos_sdk.sim.cpe.datamodel import MODELS, load_schema
from rjchronos_sdk.sim.cpe.firmware import firmware_image
from rjchronos_sdk.sim.cpe.fleet import Fleet

__all__ = ["MODELS", "QUIRKS", "Fleet", "SimulatedCpe", "firmware_image", "load_schema"]
