"""Engine plumbing for development and tests on this machine: not part of the shipped package."""
