"""survei"""
