"""Integrations with systems outside annotask; each submodule needs its extra installed.

- :mod:`annotask.integrations.celery`: a :class:`~annotask.tasks.QueueRunner`'s stages as
  Celery tasks, and dispatching a project's claimable tasks onto the queue
  (``pip install 'annotask[celery]'``).
"""
