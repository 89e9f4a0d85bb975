"""The ``camfleet serve`` HTTP service: REST API under ``/api/v1``, probes, Prometheus
metrics and the dashboard. :func:`camfleet.api.app.create_app` builds it from a
:class:`camfleet.api.service.Service`."""
