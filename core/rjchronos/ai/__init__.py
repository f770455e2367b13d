"""Diagnosis and safe automation: likely causes with their evidence, and actions under policies.

- :mod:`~rjchronos.ai.contracts`: what plugins declare (diagnosis rules, action executors);
- :mod:`~rjchronos.ai.diagnosis`: a device's or an incident's ranked causes;
- :mod:`~rjchronos.ai.actions`: suggested and executed actions, verification, rollback, stats.
"""
