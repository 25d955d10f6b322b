"""Demo data generated in Python (the XML files of this folder call :func:`generator.populate`)."""
