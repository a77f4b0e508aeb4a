"""The Conversions API for CRM (issue 13): each stage a lead reaches goes back to Meta as an
event on the business's dataset, so Meta's "Conversion Leads" optimisation learns which leads
turn into customers.

* ``settings``: the one settings row (dataset, on/off, status → stage name, test event code);
* ``events``: which stages a lead sends, written in the transaction that changed the lead, and
  the event Meta receives (its docstring lists what we rely on from Meta's specification);
* ``delivery``: the job that sends pending events in batches, and the test event;
* ``admin``: changing the settings, and what the lead and Pipeline pages show.
"""
