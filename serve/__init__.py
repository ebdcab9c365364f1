"""HTTP edge (FastAPI). Built in the serving issue; imports `classifier` only."""
