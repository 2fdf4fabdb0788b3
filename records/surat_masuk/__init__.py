"""Incoming letters (naskah masuk), the buku agenda and the Camat's dispositions."""
