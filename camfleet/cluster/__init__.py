"""Many workers, one fleet: camera leases in the database and the worker that follows them."""
