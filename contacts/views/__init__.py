"""The agent UI: short function views that read through selectors, validate a form, call a
service and redirect or render. Every page showing personal data writes audit events."""
