"""Starting Ray the one way every stage does it (RAY_NOTES: loopback, ``address="local"``)."""
from __future__ import annotations

import os


def start_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Join ``address``, or the job's cluster under ``ray job submit`` (RAY_ADDRESS), or start a
    private local instance on loopback. Returns True when this call started Ray (the caller
    then shuts it down); False when Ray was already up in this process."""
    import ray

    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep Ray on loopback
    if address:
        ray.init(address=address, log_to_driver=False)
    elif os.environ.get("RAY_ADDRESS"):          # set by `ray job submit`
        ray.init(log_to_driver=False)
    else:
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return True
