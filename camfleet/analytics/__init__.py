"""camfleet.analytics"""
