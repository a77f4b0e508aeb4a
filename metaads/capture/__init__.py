"""Lead capture: webhook inbox → processing job → stored lead, plus the sweeper and reconciler
that make sure nothing Meta sent, or failed to send, is lost."""
