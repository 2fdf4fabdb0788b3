"""publikasi"""
