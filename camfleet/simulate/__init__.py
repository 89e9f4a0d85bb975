"""A discrete-event simulator of the engine on a modelled device: capacity without the device.

The real :class:`~camfleet.engine.batcher.DeadlineBatcher` and
:class:`~camfleet.engine.latency_model.LatencyModel` run on a simulated clock; only the
device (seconds per batch, time-slicing between contexts) and host decode are modelled.
"""

from camfleet.simulate.device import DeviceModel, device_from_profile, published_device
from camfleet.simulate.profile import SimulateOptions, simulate_profile
from camfleet.simulate.trial import Workload, simulate_trial

__all__ = [
    "DeviceModel",
    "SimulateOptions",
    "Workload",
    "device_from_profile",
    "published_device",
    "simulate_profile",
    "simulate_trial",
]
