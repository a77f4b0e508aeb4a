"""Where the sandbox keeps Graph objects, and the sorted lead indexes behind ``/leads``."""

from __future__ import annotations

import bisect
import collections
import typing as t

Obj = dict[str, t.Any]
LeadKey = tuple[int, int]


class LeadIndex:
    """(created_time, numeric id) pairs kept sorted, so a time window is two bisects.

    ``/leads`` lists newest first; Graph rows come from the end of the window backwards.
    """

    def __init__(self) -> None:
        self.keys: list[LeadKey] = []

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, created: int, lead_id: str) -> None:
        key = (created, int(lead_id))
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)  # the usual case: a lead newer than all others
        else:
            bisect.insort(self.keys, key)

    def extend(self, keys: t.Iterable[LeadKey]) -> None:
        self.keys.extend(keys)
        self.keys.sort()

    def remove(self, created: int, lead_id: str) -> None:
        key = (created, int(lead_id))
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]

    def bounds(self, lo: int | None, hi: int | None) -> tuple[int, int]:
        """Index range of leads with ``lo <= created < hi`` (None = unbounded)."""
        start = 0 if lo is None else bisect.bisect_left(self.keys, (lo, -1))
        stop = len(self.keys) if hi is None else bisect.bisect_left(self.keys, (hi, -1))
        return start, max(start, stop)

    def position(self, key: LeadKey) -> int:
        return bisect.bisect_left(self.keys, key)


class Store:
    """id → object, id → kind, and ordered child lists per (parent, child kind)."""

    def __init__(self) -> None:
        self.objects: dict[str, Obj] = {}
        self.kinds: dict[str, str] = {}
        self.children: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        #: ids per kind in creation order (leads excluded: they live in the lead indexes)
        self.by_kind: dict[str, list[str]] = collections.defaultdict(list)
        self.form_leads: dict[str, LeadIndex] = collections.defaultdict(LeadIndex)
        self.ad_leads: dict[str, LeadIndex] = collections.defaultdict(LeadIndex)

    def add(self, kind: str, obj: Obj, parents: t.Iterable[str | None] = ()) -> Obj:
        self.objects[obj["id"]] = obj
        self.kinds[obj["id"]] = kind
        self.by_kind[kind].append(obj["id"])
        for parent in parents:
            if parent:
                self.children[(parent, kind)].append(obj["id"])
        return obj

    def get(self, object_id: str, kind: str | None = None) -> Obj | None:
        obj = self.objects.get(object_id)
        if obj is None or (kind is not None and self.kinds[object_id] != kind):
            return None
        return obj

    def all(self, kind: str) -> list[Obj]:
        return [self.objects[i] for i in self.by_kind.get(kind, ())]

    def kind(self, object_id: str) -> str | None:
        return self.kinds.get(object_id)

    def children_of(self, parent_id: str, kind: str) -> list[Obj]:
        return [self.objects[i] for i in self.children.get((parent_id, kind), ())]

    def add_lead(self, lead: Obj) -> None:
        self.objects[lead["id"]] = lead
        self.kinds[lead["id"]] = "lead"
        self.form_leads[lead["form_id"]].add(lead["created"], lead["id"])
        if lead.get("ad_id"):
            self.ad_leads[lead["ad_id"]].add(lead["created"], lead["id"])

    def add_leads_bulk(self, leads: list[Obj]) -> None:
        by_index: dict[int, list[LeadKey]] = collections.defaultdict(list)
        indexes: dict[int, LeadIndex] = {}
        for lead in leads:
            self.objects[lead["id"]] = lead
            self.kinds[lead["id"]] = "lead"
            targets = [self.form_leads[lead["form_id"]]]
            if lead.get("ad_id"):
                targets.append(self.ad_leads[lead["ad_id"]])
            for index in targets:
                indexes[id(index)] = index
                by_index[id(index)].append((lead["created"], int(lead["id"])))
        for key, keys in by_index.items():
            indexes[key].extend(keys)

    def remove_lead(self, lead: Obj) -> None:
        self.form_leads[lead["form_id"]].remove(lead["created"], lead["id"])
        if lead.get("ad_id"):
            self.ad_leads[lead["ad_id"]].remove(lead["created"], lead["id"])
        lead["deleted"] = True
