"""gratifikasi"""
