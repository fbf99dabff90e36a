"""The build that runs the pipeline (pipeline.py: ``publisher.build``), redoing only what changed: the
state store (state.py, one SQLite database), what decides an output besides the articles
(fingerprint.py), what changed in the content folder (incremental.py, records.py) and rendering many
articles on both cores (prerender.py), with the second core's one forked process (forked.py)."""
