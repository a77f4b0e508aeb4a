"""metaads: Meta's Marketing API (lead ads, ads, insights) as a Flask extension."""

from metaads.extension import MetaAds, get_state

__all__ = ["MetaAds", "get_state"]
