"""antrian"""
