"""Dossiers: sanctions submissions, ICC communications and exhibit bundles built from a case.

One builder gathers what a case knows about an actor (names, positions, conduct, claims with
their exhibits, exculpatory information, proof chart) into a :class:`~.document.Document`; the
same document is written as a PDF (WeasyPrint) and an editable DOCX, beside a signed exhibit
bundle that ``vestige verify-bundle`` and ``sha256sum -c`` check.
"""
