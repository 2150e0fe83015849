"""formgen: JSON-Schema form definitions compiled to fillable Word, Excel and PDF, read back and validated."""

__version__ = "0.1.0"
