"""Demo mode's widgets: mounted only when the console runs as ``secconsole demo``."""
