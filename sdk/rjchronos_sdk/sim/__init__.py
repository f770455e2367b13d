"""Device simulators: virtual OLTs and CPEs that answer on 127.0.0.1."""
