"""The law as data: crimes, modes of liability and sanctions criteria with their elements, and
the case's characterisations and proof charts built on them."""
