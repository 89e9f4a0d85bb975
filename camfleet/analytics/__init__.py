"""camfleet.analytics: tracking, zones, lines and rules that turn detections into events.

``schema`` (config models), ``geometry`` (vectorized zones and lines), ``tracking``
(ByteTrack per camera and model), ``rules`` (presence, dwell, line crossing, crowd),
``pipeline`` (:class:`~camfleet.analytics.pipeline.AnalyticsSink`, the engine's result sink).
"""
