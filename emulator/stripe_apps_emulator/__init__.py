"""A local emulator of the Stripe Apps API."""
