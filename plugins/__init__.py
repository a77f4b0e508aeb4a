"""The host platform's modules (accounts, persons, socials) and the core they share."""
