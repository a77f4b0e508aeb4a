"""Writes to Meta's campaigns, ad sets and ads: what we judge ourselves, what we send, and how a
write that Meta refused, that a dead token stopped, or whose answer was lost ends (``writes``);
the Meta parameters each write needs under the current rules (``params``); storing what Meta
now has on our rows (``store``)."""
