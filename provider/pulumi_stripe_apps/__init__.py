"""Pulumi resources for Stripe Apps."""
