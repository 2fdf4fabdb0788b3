"""pengaduan"""
