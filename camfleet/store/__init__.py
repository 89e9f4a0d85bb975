"""camfleet.store"""
