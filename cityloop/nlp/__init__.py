"""Appeal text processing: normalisation, segmentation, classification and model registry.

Submodules are imported lazily by callers; nothing heavy happens at import time.
"""
