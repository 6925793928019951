"""sssp-print: a self-assessment framework in YAML -> a fillable PDF booklet -> answers as JSON."""

__version__ = "0.1.0"
